#pragma once

// The bookkeeping of a user address space's mappings: a sorted list of non-overlapping
// regions, each a page-aligned range of virtual addresses backed by part of a memory object.
// Pure logic with no kernel dependencies, so the host tests exercise it
// (Tests/Host/RegionMapTests.cpp); AddressSpace keeps one under its lock and does the page
// tables and TLB work around it.
//
// `Backing` is what a region holds on to (a reference to the memory object in the kernel, a
// plain value in tests). It must be copyable, because splitting a region gives both halves
// a copy, and movable.
//
// Changing part of a region (unmapping or protecting a range that starts or ends inside it)
// first splits it at the range's edges: split_at() does that, and it is the only step that
// can fail (OutOfMemory, or OutOfRange at the region limit). A split changes no mapping's
// meaning, so a change that fails half-way leaves the address space as it was, only cut
// into more regions. After the splits, remove_range() and for_each_in() work on whole
// regions and cannot fail.
//
// Costs: lookups are a binary search; inserting and removing shift the regions after the
// change (the list is an array, which keeps lookups cache-friendly for the tens to hundreds
// of regions a process has).

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/Types.h>
#include <Core/Utility.h>
#include <Core/Vector.h>

namespace Kernel::Memory {

inline constexpr Core::u64 region_page_size = 4096;

template<typename Backing> class RegionMap {
public:
    struct Region {
        Core::u64 base { 0 };
        Core::u64 length { 0 };
        // Where `base` falls in the backing object, in bytes (page aligned).
        Core::u64 object_offset { 0 };
        // ABI/Memory.h protection bits: what the region allows now, and the most it may ever
        // allow (what the handle it was mapped through permitted).
        Core::u8 protection { 0 };
        Core::u8 maximum_protection { 0 };
        Backing backing {};

        [[nodiscard]] Core::u64 end() const { return base + length; }
        [[nodiscard]] bool contains(Core::u64 address) const { return address >= base && address < end(); }
    };

    // At most `region_limit` regions, counting the pieces splits make.
    explicit RegionMap(Core::usize region_limit)
        : m_region_limit(region_limit)
    {
    }

    [[nodiscard]] Core::usize size() const { return m_regions.size(); }
    [[nodiscard]] const Region& operator[](Core::usize index) const { return m_regions[index]; }

    // The region containing `address`, or null.
    [[nodiscard]] const Region* find(Core::u64 address) const
    {
        Core::usize index = first_ending_after(address);
        if (index < m_regions.size() && m_regions[index].contains(address))
            return &m_regions[index];
        return nullptr;
    }

    // Whether any region has a byte in [start, end).
    [[nodiscard]] bool overlaps(Core::u64 start, Core::u64 end) const
    {
        Core::usize index = first_ending_after(start);
        return index < m_regions.size() && m_regions[index].base < end;
    }

    // Whether regions cover every byte of [start, end), with no gap.
    [[nodiscard]] bool covers(Core::u64 start, Core::u64 end) const
    {
        Core::u64 position = start;
        for (Core::usize index = first_ending_after(start); index < m_regions.size() && position < end;
             ++index) {
            if (m_regions[index].base > position)
                return false;
            position = m_regions[index].end();
        }
        return position >= end;
    }

    // Adds a region that overlaps none (AlreadyExists otherwise). OutOfRange at the region
    // limit, OutOfMemory when the list cannot grow; nothing changes on any error.
    [[nodiscard]] Core::Result<void> insert(Region region)
    {
        if (overlaps(region.base, region.end()))
            return Core::ErrorCode::AlreadyExists;
        return insert_at(first_ending_after(region.base), Core::move(region));
    }

    // Cuts the region that contains `address` strictly inside it into two, so that a region
    // boundary falls at `address`. Nothing to do when `address` is already a boundary or
    // in no region. OutOfRange / OutOfMemory as for insert, with nothing changed.
    [[nodiscard]] Core::Result<void> split_at(Core::u64 address)
    {
        Core::usize index = first_ending_after(address);
        if (index >= m_regions.size() || m_regions[index].base >= address)
            return {};
        Region upper = m_regions[index];
        Core::u64 lower_length = address - upper.base;
        upper.base = address;
        upper.length -= lower_length;
        upper.object_offset += lower_length;
        TRY(insert_at(index + 1, Core::move(upper)));
        m_regions[index].length = lower_length;
        return {};
    }

    // Removes every region inside [start, end), which must have been split at both edges
    // first, and hands each to `removed(Region&&)` in address order. Returns how many.
    template<typename Removed> Core::usize remove_range(Core::u64 start, Core::u64 end, Removed removed)
    {
        Core::usize first = first_ending_after(start);
        Core::usize last = first;
        while (last < m_regions.size() && m_regions[last].base < end)
            ++last;
        for (Core::usize index = first; index < last; ++index)
            removed(Core::move(m_regions[index]));
        Core::usize removed_count = last - first;
        if (removed_count == 0)
            return 0;
        for (Core::usize index = last; index < m_regions.size(); ++index)
            m_regions[index - removed_count] = Core::move(m_regions[index]);
        for (Core::usize count = 0; count < removed_count; ++count)
            m_regions.remove_last();
        return removed_count;
    }

    // Calls `visit(Region&)` for every region with a byte in [start, end). Changing a
    // region's protection there is fine; its range and backing must stay.
    template<typename Visit> void for_each_in(Core::u64 start, Core::u64 end, Visit visit)
    {
        for (Core::usize index = first_ending_after(start);
             index < m_regions.size() && m_regions[index].base < end; ++index)
            visit(m_regions[index]);
    }

    // Removes every region, handing each to `removed(Region&&)`.
    template<typename Removed> void clear(Removed removed)
    {
        for (Region& region : m_regions)
            removed(Core::move(region));
        m_regions.clear();
    }

    // A free, page-aligned range of `length` bytes inside [window_start, window_end), for a
    // mapping the kernel places. `random_value` chooses the first candidate, uniformly among
    // every page-aligned start in the window; if that collides, the search goes on upwards
    // from it, to the first gap long enough, and wraps to the window's start. So the result
    // is random whenever the window is mostly free, and found whenever any gap fits.
    // Nothing when none does. Window edges and `length` must be page aligned, length nonzero.
    [[nodiscard]] Core::Optional<Core::u64> find_free_range(
        Core::u64 length, Core::u64 window_start, Core::u64 window_end, Core::u64 random_value) const
    {
        if (length == 0 || window_end <= window_start || length > window_end - window_start)
            return {};
        Core::u64 start_slots = (window_end - window_start - length) / region_page_size + 1;
        Core::u64 candidate = window_start + (random_value % start_slots) * region_page_size;
        auto fit = find_gap(length, candidate, window_end);
        if (fit.has_value())
            return fit;
        // Wrap around: a range that starts below the candidate (it may run past it).
        Core::u64 wrapped_end = candidate + length < window_end ? candidate + length : window_end;
        return find_gap(length, window_start, wrapped_end);
    }

private:
    // The index of the first region whose end lies above `address` (the regions are sorted
    // and disjoint, so ends increase with bases).
    [[nodiscard]] Core::usize first_ending_after(Core::u64 address) const
    {
        Core::usize low = 0;
        Core::usize high = m_regions.size();
        while (low < high) {
            Core::usize middle = low + (high - low) / 2;
            if (m_regions[middle].end() <= address)
                low = middle + 1;
            else
                high = middle;
        }
        return low;
    }

    // The lowest start >= `from` of a gap of `length` bytes that ends by `limit`.
    [[nodiscard]] Core::Optional<Core::u64> find_gap(Core::u64 length, Core::u64 from, Core::u64 limit) const
    {
        Core::u64 position = from;
        for (Core::usize index = first_ending_after(from); index <= m_regions.size(); ++index) {
            Core::u64 gap_end
                = index < m_regions.size() && m_regions[index].base < limit ? m_regions[index].base : limit;
            if (gap_end >= position && gap_end - position >= length)
                return position;
            if (index == m_regions.size() || m_regions[index].base >= limit)
                return {};
            if (m_regions[index].end() > position)
                position = m_regions[index].end();
        }
        return {};
    }

    [[nodiscard]] Core::Result<void> insert_at(Core::usize index, Region region)
    {
        if (m_regions.size() >= m_region_limit)
            return Core::ErrorCode::OutOfRange;
        // The append makes room at the end (the only step that can fail); the regions from
        // `index` on then move up one place.
        TRY(m_regions.try_append(Core::move(region)));
        for (Core::usize position = m_regions.size() - 1; position > index; --position)
            Core::swap(m_regions[position], m_regions[position - 1]);
        return {};
    }

    Core::Vector<Region> m_regions;
    Core::usize m_region_limit;
};

} // namespace Kernel::Memory
