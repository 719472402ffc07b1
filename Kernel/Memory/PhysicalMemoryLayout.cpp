#include <Core/Utility.h>
#include <Kernel/Memory/PhysicalMemoryLayout.h>
#include <Kernel/Memory/PhysicalPage.h>

namespace Kernel::Memory {

namespace {

constexpr Core::u64 max_frame = max_physical_address >> page_shift;

// Frames [first, end). Planning happens in frame numbers: below max_physical_address
// they fit easily in 64 bits, so no step below can overflow once inputs are clamped.
struct FrameSpan {
    Core::u64 first { 0 };
    Core::u64 end { 0 };

    [[nodiscard]] bool is_empty() const { return first >= end; }
    [[nodiscard]] bool contains(Core::u64 frame) const { return first <= frame && frame < end; }
};

// The last byte of [base, base + length), clamped below max_physical_address; nothing
// when the range is empty or starts above the limit. Computing the last byte instead of
// the end keeps a range that runs to 2^64 representable.
Core::Optional<Core::u64> clamped_last_byte(Core::u64 base, Core::u64 length)
{
    if (length == 0 || base >= max_physical_address)
        return {};
    Core::u64 last_byte = 0;
    if (__builtin_add_overflow(base, length - 1, &last_byte))
        last_byte = ~Core::u64 { 0 };
    return Core::min(last_byte, max_physical_address - 1);
}

// The whole frames inside a byte range: what may be used of usable memory.
FrameSpan frames_inside(Core::u64 base, Core::u64 length)
{
    auto last_byte = clamped_last_byte(base, length);
    if (!last_byte.has_value())
        return {};
    return { Core::align_up(base, page_size) >> page_shift, (last_byte.value() + 1) >> page_shift };
}

// Every frame a byte range touches: what a reservation takes away.
FrameSpan frames_touched(Core::u64 base, Core::u64 length)
{
    auto last_byte = clamped_last_byte(base, length);
    if (!last_byte.has_value())
        return {};
    return { base >> page_shift, (last_byte.value() >> page_shift) + 1 };
}

class MemoryMapView {
public:
    MemoryMapView(
        Core::Span<const Boot::MemoryRegion> memory_map, Core::Span<const PhysicalRange> reserved_ranges)
        : m_memory_map(memory_map)
        , m_reserved_ranges(reserved_ranges)
    {
    }

    // The lowest usable frame at or above `frame`, ignoring reservations.
    [[nodiscard]] Core::Optional<Core::u64> next_usable_frame(Core::u64 frame) const
    {
        Core::Optional<Core::u64> lowest;
        for (const Boot::MemoryRegion& region : m_memory_map) {
            if (region.type != Boot::MemoryRegionType::Usable)
                continue;
            FrameSpan usable = frames_inside(region.base, region.length);
            if (usable.is_empty() || usable.end <= frame)
                continue;
            Core::u64 candidate = Core::max(usable.first, frame);
            if (!lowest.has_value() || candidate < lowest.value())
                lowest = candidate;
        }
        return lowest;
    }

    // One past the last frame of the run of usable frames starting at the usable `frame`,
    // following overlapping and touching usable regions.
    [[nodiscard]] Core::u64 end_of_usable_run(Core::u64 frame) const
    {
        Core::u64 run_end = frame;
        bool extended = true;
        while (extended) {
            extended = false;
            for (const Boot::MemoryRegion& region : m_memory_map) {
                if (region.type != Boot::MemoryRegionType::Usable)
                    continue;
                FrameSpan usable = frames_inside(region.base, region.length);
                if (usable.contains(run_end)) {
                    run_end = usable.end;
                    extended = true;
                }
            }
        }
        return run_end;
    }

    // When `frame` is blocked (by a non-usable region or a reserved range), the end of the
    // farthest-reaching block containing it; nothing when it is not blocked.
    [[nodiscard]] Core::Optional<Core::u64> end_of_block_containing(Core::u64 frame) const
    {
        Core::Optional<Core::u64> block_end;
        for_each_blocked_span([&](FrameSpan blocked) {
            if (blocked.contains(frame) && (!block_end.has_value() || blocked.end > block_end.value()))
                block_end = blocked.end;
        });
        return block_end;
    }

    // The first blocked frame in (frame, limit), or limit when there is none.
    [[nodiscard]] Core::u64 next_blocked_frame(Core::u64 frame, Core::u64 limit) const
    {
        Core::u64 first_blocked = limit;
        for_each_blocked_span([&](FrameSpan blocked) {
            if (blocked.first > frame && blocked.first < first_blocked)
                first_blocked = blocked.first;
        });
        return first_blocked;
    }

private:
    template<typename Callback> void for_each_blocked_span(Callback callback) const
    {
        for (const Boot::MemoryRegion& region : m_memory_map) {
            if (region.type == Boot::MemoryRegionType::Usable)
                continue;
            FrameSpan blocked = frames_touched(region.base, region.length);
            if (!blocked.is_empty())
                callback(blocked);
        }
        for (const PhysicalRange& range : m_reserved_ranges) {
            FrameSpan blocked = frames_touched(range.base, range.length);
            if (!blocked.is_empty())
                callback(blocked);
        }
    }

    Core::Span<const Boot::MemoryRegion> m_memory_map;
    Core::Span<const PhysicalRange> m_reserved_ranges;
};

} // namespace

Core::u64 FreeMemoryPlan::free_bytes() const
{
    Core::u64 total = 0;
    for (const PhysicalRange& range : free_ranges)
        total += range.length;
    return total;
}

FreeMemoryPlan plan_free_memory(
    Core::Span<const Boot::MemoryRegion> memory_map, Core::Span<const PhysicalRange> reserved_ranges)
{
    // A sweep upwards through the address space. Each step moves `cursor` to a region or
    // reservation boundary strictly above it, so the loop runs at most once per boundary;
    // with a few hundred entries the quadratic scans cost nothing, and need no memory
    // beyond the result.
    MemoryMapView view(memory_map, reserved_ranges);
    FreeMemoryPlan plan;
    Core::u64 cursor = 0;
    while (true) {
        auto usable_frame = view.next_usable_frame(cursor);
        if (!usable_frame.has_value())
            break;
        Core::u64 first_frame = usable_frame.value();
        if (auto block_end = view.end_of_block_containing(first_frame); block_end.has_value()) {
            cursor = block_end.value();
            continue;
        }
        Core::u64 end_frame = view.next_blocked_frame(first_frame, view.end_of_usable_run(first_frame));
        VERIFY(end_frame > first_frame && end_frame <= max_frame);
        PhysicalRange range { .base = first_frame << page_shift,
            .length = (end_frame - first_frame) << page_shift };
        if (plan.free_ranges.try_append(range).is_error()) {
            ++plan.dropped_range_count;
            plan.dropped_bytes += range.length;
        }
        cursor = end_frame;
    }
    return plan;
}

Core::Optional<PhysicalRange> place_frame_database(
    Core::Span<const PhysicalRange> free_ranges, Core::u64 bytes)
{
    if (bytes == 0 || bytes > max_physical_address)
        return {};
    Core::u64 frames_needed = Core::align_up(bytes, page_size) >> page_shift;
    Core::Optional<PhysicalRange> lowest;
    for (const PhysicalRange& range : free_ranges) {
        FrameSpan frames = frames_inside(range.base, range.length);
        if (frames.is_empty() || frames.end - frames.first < frames_needed)
            continue;
        Core::u64 base = frames.first << page_shift;
        if (!lowest.has_value() || base < lowest->base)
            lowest = PhysicalRange { .base = base, .length = frames_needed << page_shift };
    }
    return lowest;
}

Core::u64 frame_database_bytes(Core::Span<const PhysicalRange> free_ranges)
{
    Core::u64 end_frame = 0;
    for (const PhysicalRange& range : free_ranges) {
        FrameSpan frames = frames_inside(range.base, range.length);
        if (!frames.is_empty())
            end_frame = Core::max(end_frame, frames.end);
    }
    return end_frame * sizeof(PhysicalPage);
}

} // namespace Kernel::Memory
