#include <Kernel/Devices/KernelDeviceMemory.h>

namespace Kernel::Devices {

namespace {

constexpr Core::u64 page_size = 4096;
constexpr Core::u32 maximum_ranges = 16;

struct PageRange {
    Core::u64 first_page;
    Core::u64 end_page; // one past the last
};

// Written only at boot, before user space (and the calls that read it) can run; read-only
// after, so it needs no lock.
PageRange s_ranges[maximum_ranges];
Core::u32 s_range_count = 0;

// [base, base + size) as whole pages, clamped at the top of the address space.
PageRange pages_of(Core::u64 physical_base, Core::u64 size)
{
    Core::u64 first_page = physical_base / page_size;
    Core::u64 last_byte = size > ~Core::u64(0) - physical_base ? ~Core::u64(0) : physical_base + size - 1;
    return { first_page, last_byte / page_size + 1 };
}

} // namespace

bool reserve_kernel_device_memory(Core::u64 physical_base, Core::u64 size)
{
    if (size == 0)
        return true;
    if (s_range_count == maximum_ranges)
        return false;
    s_ranges[s_range_count++] = pages_of(physical_base, size);
    return true;
}

bool overlaps_kernel_device_memory(Core::u64 physical_base, Core::u64 size)
{
    if (size == 0)
        return false;
    PageRange asked = pages_of(physical_base, size);
    for (Core::u32 index = 0; index < s_range_count; ++index) {
        if (asked.first_page < s_ranges[index].end_page && s_ranges[index].first_page < asked.end_page)
            return true;
    }
    return false;
}

} // namespace Kernel::Devices
