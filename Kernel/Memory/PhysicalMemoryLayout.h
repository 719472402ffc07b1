#pragma once

// Planning which physical memory the buddy allocator may have, before anything is
// allocated: the boot loader's memory map minus everything already in use (the kernel
// image, boot modules, the boot information, the frame database, the first MiB). Pure
// arithmetic, so that it can be tested against any memory map a loader might produce:
// unsorted, overlapping, contradictory, zero-length or running to the top of the address
// space.

#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/StaticVector.h>
#include <Core/Types.h>
#include <Kernel/Boot/BootInfo.h>

namespace Kernel::Memory {

// x86-64 physical addresses have at most 52 bits. Memory a map claims above that cannot
// exist, and ignoring it keeps every planned range's end representable.
inline constexpr Core::u64 max_physical_address = Core::u64 { 1 } << 52;

struct PhysicalRange {
    Core::u64 base { 0 };
    Core::u64 length { 0 };

    // One past the last byte. Only meaningful when base + length does not overflow, which
    // holds for every range this file produces (they all end at or below
    // max_physical_address); ranges given to it are never assumed to.
    [[nodiscard]] constexpr Core::u64 end() const { return base + length; }
};

struct FreeMemoryPlan {
    // Page-aligned, sorted by base, neither overlapping nor touching.
    Core::StaticVector<PhysicalRange, 256> free_ranges;
    // Free ranges that did not fit in free_ranges (always the highest ones), and their
    // total size, so that boot can log what it leaves unused.
    Core::u64 dropped_range_count { 0 };
    Core::u64 dropped_bytes { 0 };

    [[nodiscard]] Core::u64 free_bytes() const;
};

// The whole pages that are usable in `memory_map` and in no reserved range. A page is free
// only when it lies wholly inside at least one Usable region and no byte of it lies in a
// region of any other type (memory listed as both is reserved) or in `reserved_ranges`.
// Overlapping usable regions count once; zero-length entries are ignored, as is
// everything at or above max_physical_address.
[[nodiscard]] FreeMemoryPlan plan_free_memory(
    Core::Span<const Boot::MemoryRegion> memory_map, Core::Span<const PhysicalRange> reserved_ranges);

// Where to put the frame database: the lowest page-aligned place inside one of
// `free_ranges` with room for `bytes` bytes. The result is page-aligned and its length is
// `bytes` rounded up to whole pages. Nothing when no range is large enough, or when
// `bytes` is zero.
[[nodiscard]] Core::Optional<PhysicalRange> place_frame_database(
    Core::Span<const PhysicalRange> free_ranges, Core::u64 bytes);

// The size of a frame database (one PhysicalPage per frame, from frame 0) covering every
// frame of `free_ranges`; zero when there are none.
[[nodiscard]] Core::u64 frame_database_bytes(Core::Span<const PhysicalRange> free_ranges);

} // namespace Kernel::Memory
