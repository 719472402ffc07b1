// Fuzzes the free-memory planner with arbitrary memory maps and reserved ranges: the map
// comes from the boot loader, so any entries (overlapping, unsorted, wrapping) must give a
// plan whose ranges are page-aligned, sorted, disjoint and inside usable memory.

#include <Kernel/Memory/PhysicalMemoryLayout.h>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

struct InputReader {
    const uint8_t* data;
    size_t size;

    bool read(void* destination, size_t length)
    {
        if (size < length)
            return false;
        std::memcpy(destination, data, length);
        data += length;
        size -= length;
        return true;
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace Kernel;
    InputReader reader { data, size };
    uint8_t region_count = 0;
    uint8_t reserved_count = 0;
    if (!reader.read(&region_count, 1) || !reader.read(&reserved_count, 1))
        return 0;
    std::vector<Boot::MemoryRegion> regions;
    for (uint8_t index = 0; index < region_count; ++index) {
        Boot::MemoryRegion region {};
        uint8_t type = 0;
        if (!reader.read(&region.base, 8) || !reader.read(&region.length, 8) || !reader.read(&type, 1))
            break;
        region.type = static_cast<Boot::MemoryRegionType>(type % 5);
        regions.push_back(region);
    }
    std::vector<Memory::PhysicalRange> reserved;
    for (uint8_t index = 0; index < reserved_count; ++index) {
        Memory::PhysicalRange range {};
        if (!reader.read(&range.base, 8) || !reader.read(&range.length, 8))
            break;
        reserved.push_back(range);
    }

    auto plan = Memory::plan_free_memory(Core::Span<const Boot::MemoryRegion>(regions.data(), regions.size()),
        Core::Span<const Memory::PhysicalRange>(reserved.data(), reserved.size()));
    uint64_t previous_end = 0;
    for (const auto& range : plan.free_ranges) {
        // Invariants of a plan; a violation is a bug, so stop with a crash libFuzzer reports.
        if (range.length == 0 || (range.base & 0xFFF) != 0 || (range.length & 0xFFF) != 0)
            std::abort();
        if (range.base < previous_end || range.end() < range.base)
            std::abort();
        for (const auto& reserved_range : reserved) {
            uint64_t reserved_end = reserved_range.base + reserved_range.length;
            if (reserved_range.length != 0 && reserved_end > reserved_range.base && range.base < reserved_end
                && reserved_range.base < range.end())
                std::abort();
        }
        previous_end = range.end();
    }
    auto database = Memory::place_frame_database(
        plan.free_ranges.span(), Memory::frame_database_bytes(plan.free_ranges.span()));
    if (database.has_value() && (database->base & 0xFFF) != 0)
        std::abort();
    return 0;
}
