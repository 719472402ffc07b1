#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Panic/Backtrace.h>

extern "C" char __kernel_image_start[];
extern "C" char __kernel_image_end[];

namespace Kernel::Panic {

namespace {

// True when [address, address + 16) is inside the kernel image or the direct map,
// both of which stay mapped for the whole life of the kernel.
bool is_always_mapped(Core::u64 address)
{
    constexpr Core::u64 frame_record_size = 16;
    // The linker script places these two symbols at the bounds of the loaded image; only
    // their addresses mean anything, so they are compared as integers, never dereferenced.
    auto image_start = reinterpret_cast<Core::u64>(__kernel_image_start);
    auto image_end = reinterpret_cast<Core::u64>(__kernel_image_end);
    if (address >= image_start && address <= image_end - frame_record_size)
        return true;
    return address >= Arch::direct_map_base
        && address - Arch::direct_map_base <= Arch::direct_map_size - frame_record_size;
}

} // namespace

Core::usize collect_backtrace(Core::u64 frame_pointer, Core::Span<Core::u64> return_addresses)
{
    Core::usize count = 0;
    Core::u64 previous_frame = 0;
    while (count < return_addresses.size()) {
        if (frame_pointer == 0 || (frame_pointer & 7) != 0 || frame_pointer <= previous_frame
            || !is_always_mapped(frame_pointer))
            break;
        // Invariant: frame_pointer is 8-byte aligned and the 16 bytes at it are mapped
        // (checked above). A frame record is { saved frame pointer, return address }.
        auto* record = reinterpret_cast<const Core::u64*>(frame_pointer);
        Core::u64 return_address = record[1];
        if (return_address == 0)
            break;
        return_addresses[count++] = return_address;
        previous_frame = frame_pointer;
        frame_pointer = record[0];
    }
    return count;
}

} // namespace Kernel::Panic
