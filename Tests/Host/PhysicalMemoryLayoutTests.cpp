// Host tests for planning free physical memory from a boot memory map: reservations
// punching holes, unsorted and overlapping maps, regions both usable and reserved,
// unaligned edges, entries running to 2^64, more free ranges than fit, and placing the
// frame database. A randomized comparison against a page-by-page model covers the
// combinations the hand-written cases miss.

#include <Kernel/Memory/PhysicalMemoryLayout.h>
#include <Kernel/Memory/PhysicalPage.h>
#include <gtest/gtest.h>
#include <random>
#include <utility>
#include <vector>

using Kernel::Boot::MemoryRegion;
using Kernel::Boot::MemoryRegionType;
using Kernel::Memory::FreeMemoryPlan;
using Kernel::Memory::max_physical_address;
using Kernel::Memory::page_size;
using Kernel::Memory::PhysicalPage;
using Kernel::Memory::PhysicalRange;

namespace {

constexpr Core::u64 kib = 1024;
constexpr Core::u64 mib = 1024 * kib;
constexpr Core::u64 gib = 1024 * mib;
constexpr Core::u64 address_limit = ~Core::u64 { 0 };

MemoryRegion usable(Core::u64 base, Core::u64 length)
{
    return { .base = base, .length = length, .type = MemoryRegionType::Usable };
}

MemoryRegion region_of(MemoryRegionType type, Core::u64 base, Core::u64 length)
{
    return { .base = base, .length = length, .type = type };
}

using Ranges = std::vector<std::pair<Core::u64, Core::u64>>;

// As (base, end) pairs, which read better in expectations than (base, length).
Ranges as_pairs(const FreeMemoryPlan& plan)
{
    Ranges pairs;
    for (const PhysicalRange& range : plan.free_ranges)
        pairs.emplace_back(range.base, range.end());
    return pairs;
}

FreeMemoryPlan plan(
    const std::vector<MemoryRegion>& memory_map, const std::vector<PhysicalRange>& reserved = {})
{
    return Kernel::Memory::plan_free_memory(
        { memory_map.data(), memory_map.size() }, { reserved.data(), reserved.size() });
}

TEST(PhysicalMemoryLayout, EmptyMapHasNothingFree)
{
    FreeMemoryPlan result = plan({});
    EXPECT_TRUE(result.free_ranges.is_empty());
    EXPECT_EQ(result.free_bytes(), 0u);
    EXPECT_EQ(result.dropped_range_count, 0u);
}

TEST(PhysicalMemoryLayout, SingleUsableRegion)
{
    FreeMemoryPlan result = plan({ usable(1 * mib, 127 * mib) });
    EXPECT_EQ(as_pairs(result), (Ranges { { 1 * mib, 128 * mib } }));
    EXPECT_EQ(result.free_bytes(), 127 * mib);
}

TEST(PhysicalMemoryLayout, UnalignedEdgesShrinkInward)
{
    FreeMemoryPlan result
        = plan({ usable(0x10001, 0x5000), usable(0x100000 + 0x234, 0x2000 - 0x234 + 0xfff) });
    // [0x10001, 0x15001) keeps 0x11000-0x15000; [0x100234, 0x102fff) keeps 0x101000-0x102000.
    EXPECT_EQ(as_pairs(result), (Ranges { { 0x11000, 0x15000 }, { 0x101000, 0x102000 } }));
}

TEST(PhysicalMemoryLayout, RegionSmallerThanAPageAfterRoundingIsDropped)
{
    FreeMemoryPlan result = plan({ usable(0x1001, 0x1ffe), usable(0x5000, 0xfff), usable(0x9000, 0x1000) });
    EXPECT_EQ(as_pairs(result), (Ranges { { 0x9000, 0xa000 } }));
}

TEST(PhysicalMemoryLayout, ReservedRangesPunchHolesAndRoundOutward)
{
    std::vector<PhysicalRange> reserved {
        { .base = 0, .length = 1 * mib },
        // The kernel image, not page-aligned at either end.
        { .base = 2 * mib + 0x10, .length = 3 * mib - 0x20 },
        // A boot module of one byte.
        { .base = 8 * mib + 0x800, .length = 1 },
    };
    FreeMemoryPlan result = plan({ usable(0, 16 * mib) }, reserved);
    EXPECT_EQ(as_pairs(result),
        (Ranges { { 1 * mib, 2 * mib }, { 5 * mib, 8 * mib }, { 8 * mib + page_size, 16 * mib } }));
    EXPECT_EQ(result.free_bytes(), 15 * mib - 3 * mib - page_size);
}

TEST(PhysicalMemoryLayout, ReservationsOutsideUsableMemoryChangeNothing)
{
    std::vector<PhysicalRange> reserved { { .base = 64 * mib, .length = 4 * mib },
        { .base = 0, .length = 0 } };
    FreeMemoryPlan result = plan({ usable(1 * mib, 15 * mib) }, reserved);
    EXPECT_EQ(as_pairs(result), (Ranges { { 1 * mib, 16 * mib } }));
}

TEST(PhysicalMemoryLayout, OverlappingUsableRegionsCountOnce)
{
    FreeMemoryPlan result = plan({ usable(0, 8 * mib), usable(4 * mib, 8 * mib), usable(5 * mib, 1 * mib) });
    EXPECT_EQ(as_pairs(result), (Ranges { { 0, 12 * mib } }));
    EXPECT_EQ(result.free_bytes(), 12 * mib);
}

TEST(PhysicalMemoryLayout, TouchingUsableRegionsMerge)
{
    FreeMemoryPlan result
        = plan({ usable(2 * mib, 2 * mib), usable(1 * mib, 1 * mib), usable(4 * mib, 1 * mib) });
    EXPECT_EQ(as_pairs(result), (Ranges { { 1 * mib, 5 * mib } }));
}

TEST(PhysicalMemoryLayout, UnsortedMapGivesSortedRanges)
{
    FreeMemoryPlan result = plan({
        usable(4 * gib, 2 * gib),
        region_of(MemoryRegionType::Reserved, 0xf0000000, 0x10000000),
        usable(1 * mib, 511 * mib),
        usable(0, 640 * kib),
    });
    EXPECT_EQ(as_pairs(result), (Ranges { { 0, 640 * kib }, { 1 * mib, 512 * mib }, { 4 * gib, 6 * gib } }));
}

TEST(PhysicalMemoryLayout, MemoryBothUsableAndReservedIsReserved)
{
    // Every non-usable type wins over usable, whichever entry comes first.
    for (MemoryRegionType type : { MemoryRegionType::Reserved, MemoryRegionType::AcpiReclaimable,
             MemoryRegionType::AcpiNvs, MemoryRegionType::Defective }) {
        FreeMemoryPlan reserved_first = plan({ region_of(type, 4 * mib + 0x100, 0x100),
            usable(1 * mib, 15 * mib), region_of(type, 0, 2 * mib) });
        Ranges expected { { 2 * mib, 4 * mib }, { 4 * mib + page_size, 16 * mib } };
        EXPECT_EQ(as_pairs(reserved_first), expected) << static_cast<int>(type);
        FreeMemoryPlan usable_first = plan({ usable(1 * mib, 15 * mib), region_of(type, 0, 2 * mib),
            region_of(type, 4 * mib + 0x100, 0x100) });
        EXPECT_EQ(as_pairs(usable_first), expected) << static_cast<int>(type);
    }
    // A type number outside the enumeration is not usable either.
    FreeMemoryPlan unknown
        = plan({ usable(0, 4 * mib), region_of(static_cast<MemoryRegionType>(99), 0, 1 * mib) });
    EXPECT_EQ(as_pairs(unknown), (Ranges { { 1 * mib, 4 * mib } }));
}

TEST(PhysicalMemoryLayout, ReservedRegionCoveringEverythingLeavesNothing)
{
    FreeMemoryPlan result
        = plan({ usable(1 * mib, 100 * mib), region_of(MemoryRegionType::Reserved, 0, address_limit) });
    EXPECT_TRUE(result.free_ranges.is_empty());
}

TEST(PhysicalMemoryLayout, ZeroLengthEntriesAreIgnored)
{
    FreeMemoryPlan result = plan({ usable(0, 0), usable(1 * mib, 3 * mib),
        region_of(MemoryRegionType::Reserved, 2 * mib, 0), usable(64 * mib, 0) });
    EXPECT_EQ(as_pairs(result), (Ranges { { 1 * mib, 4 * mib } }));
}

TEST(PhysicalMemoryLayout, EntriesRunningToTheTopOfTheAddressSpace)
{
    // Ending exactly at 2^64, and wholly above what x86-64 can address.
    FreeMemoryPlan above = plan({ usable(address_limit - 2 * mib + 1, 2 * mib) });
    EXPECT_TRUE(above.free_ranges.is_empty());

    // From 4 GiB to 2^64: clipped at the architectural limit.
    FreeMemoryPlan huge = plan({ usable(1 * mib, 1 * mib), usable(4 * gib, address_limit - 4 * gib + 1) });
    EXPECT_EQ(as_pairs(huge), (Ranges { { 1 * mib, 2 * mib }, { 4 * gib, max_physical_address } }));

    // A reservation whose end would overflow blocks everything above its start.
    std::vector<PhysicalRange> reserved { { .base = 8 * gib + 1, .length = address_limit } };
    FreeMemoryPlan clipped = plan({ usable(4 * gib, 8 * gib) }, reserved);
    EXPECT_EQ(as_pairs(clipped), (Ranges { { 4 * gib, 8 * gib } }));

    // A usable entry with a length that overflows, as a broken loader might pass it.
    FreeMemoryPlan overflowing = plan({ usable(16 * gib, address_limit) });
    EXPECT_EQ(as_pairs(overflowing), (Ranges { { 16 * gib, max_physical_address } }));
}

TEST(PhysicalMemoryLayout, RangesBeyondCapacityAreCountedAsDropped)
{
    // 300 free pages, each separated by a reserved page.
    std::vector<PhysicalRange> reserved;
    for (Core::u64 index = 0; index < 300; ++index)
        reserved.push_back({ .base = (2 * index + 1) * page_size, .length = page_size });
    FreeMemoryPlan result = plan({ usable(0, 600 * page_size) }, reserved);
    ASSERT_EQ(result.free_ranges.size(), 256u);
    EXPECT_EQ(result.dropped_range_count, 44u);
    EXPECT_EQ(result.dropped_bytes, 44 * page_size);
    // The lowest ranges are the ones kept.
    EXPECT_EQ(result.free_ranges[0].base, 0u);
    EXPECT_EQ(result.free_ranges[255].base, 510 * page_size);
    EXPECT_EQ(result.free_bytes(), 256 * page_size);
}

TEST(PhysicalMemoryLayout, TypicalPcMapWithBootReservations)
{
    std::vector<MemoryRegion> memory_map {
        usable(0, 0x9fc00),
        region_of(MemoryRegionType::Reserved, 0x9fc00, 0x400),
        region_of(MemoryRegionType::Reserved, 0xf0000, 0x10000),
        usable(0x100000, 0x7ee0000),
        region_of(MemoryRegionType::AcpiReclaimable, 0x7fe0000, 0x20000),
        region_of(MemoryRegionType::Reserved, 0xfffc0000, 0x40000),
    };
    std::vector<PhysicalRange> reserved {
        { .base = 0, .length = 1 * mib },
        { .base = 1 * mib, .length = 0x2345f0 },
        { .base = 0x400000, .length = 0x1000 },
        { .base = 0x500000 + 0x80, .length = 0x300 },
    };
    FreeMemoryPlan result = plan(memory_map, reserved);
    EXPECT_EQ(as_pairs(result),
        (Ranges { { 0x335000, 0x400000 }, { 0x401000, 0x500000 }, { 0x501000, 0x7fe0000 } }));
}

// A page-by-page model of the rule plan_free_memory implements, over a small address
// space: a page is free when some usable region contains all of it and no other region or
// reservation touches it.
std::vector<bool> model_free_pages(const std::vector<MemoryRegion>& memory_map,
    const std::vector<PhysicalRange>& reserved, Core::u64 page_count)
{
    std::vector<bool> free(page_count, false);
    for (Core::u64 page = 0; page < page_count; ++page) {
        Core::u64 page_start = page * page_size;
        Core::u64 page_end = page_start + page_size;
        bool inside_usable = false;
        bool touched = false;
        for (const MemoryRegion& region : memory_map) {
            if (region.length == 0)
                continue;
            if (region.type == MemoryRegionType::Usable) {
                if (region.base <= page_start && page_end <= region.base + region.length)
                    inside_usable = true;
            } else if (region.base < page_end && page_start < region.base + region.length) {
                touched = true;
            }
        }
        for (const PhysicalRange& range : reserved) {
            if (range.length != 0 && range.base < page_end && page_start < range.base + range.length)
                touched = true;
        }
        free[page] = inside_usable && !touched;
    }
    return free;
}

TEST(PhysicalMemoryLayout, RandomMapsMatchAPageByPageModel)
{
    constexpr Core::u64 page_count = 512;
    constexpr Core::u64 space = page_count * page_size;
    std::mt19937_64 random(1234567);
    auto random_byte_range = [&](Core::u64 maximum_length) {
        Core::u64 base = random() % space;
        Core::u64 length = random() % 4 == 0 ? 0 : random() % maximum_length;
        // Snap to pages sometimes, so that touching and exact edges happen often.
        if (random() % 2 == 0) {
            base &= ~(page_size - 1);
            length &= ~(page_size - 1);
        }
        length = std::min(length, space - base);
        return std::make_pair(base, length);
    };
    for (int iteration = 0; iteration < 400; ++iteration) {
        std::vector<MemoryRegion> memory_map;
        std::vector<PhysicalRange> reserved;
        int region_count = 1 + static_cast<int>(random() % 12);
        for (int index = 0; index < region_count; ++index) {
            auto [base, length] = random_byte_range(space / 2);
            MemoryRegionType type = random() % 3 == 0 ? static_cast<MemoryRegionType>(1 + random() % 4)
                                                      : MemoryRegionType::Usable;
            memory_map.push_back(region_of(type, base, length));
        }
        int reserved_count = static_cast<int>(random() % 6);
        for (int index = 0; index < reserved_count; ++index) {
            auto [base, length] = random_byte_range(space / 8);
            reserved.push_back({ .base = base, .length = length });
        }

        FreeMemoryPlan result = plan(memory_map, reserved);
        std::vector<bool> expected = model_free_pages(memory_map, reserved, page_count);
        std::vector<bool> actual(page_count, false);
        Core::u64 previous_end = 0;
        for (const PhysicalRange& range : result.free_ranges) {
            ASSERT_EQ(range.base % page_size, 0u);
            ASSERT_EQ(range.length % page_size, 0u);
            ASSERT_GT(range.length, 0u);
            // Sorted, and neither overlapping nor touching the previous range.
            if (&range != result.free_ranges.begin())
                ASSERT_GT(range.base, previous_end) << "iteration " << iteration;
            previous_end = range.end();
            ASSERT_LE(range.end(), space);
            for (Core::u64 page = range.base / page_size; page < range.end() / page_size; ++page)
                actual[page] = true;
        }
        ASSERT_EQ(actual, expected) << "iteration " << iteration;
        EXPECT_EQ(result.dropped_range_count, 0u);
    }
}

TEST(FrameDatabasePlacement, PicksTheLowestRangeThatFits)
{
    std::vector<PhysicalRange> free_ranges {
        { .base = 64 * mib, .length = 64 * mib },
        { .base = 1 * mib, .length = 8 * kib },
        { .base = 16 * mib, .length = 2 * mib },
        { .base = 2 * mib, .length = 1 * mib },
    };
    auto placement
        = Kernel::Memory::place_frame_database({ free_ranges.data(), free_ranges.size() }, 1 * mib + 1);
    ASSERT_TRUE(placement.has_value());
    EXPECT_EQ(placement->base, 16 * mib);
    EXPECT_EQ(placement->length, 1 * mib + page_size);

    // Exactly the size of a range fits it.
    auto exact = Kernel::Memory::place_frame_database({ free_ranges.data(), free_ranges.size() }, 1 * mib);
    ASSERT_TRUE(exact.has_value());
    EXPECT_EQ(exact->base, 2 * mib);
    EXPECT_EQ(exact->length, 1 * mib);

    auto small = Kernel::Memory::place_frame_database({ free_ranges.data(), free_ranges.size() }, 100);
    ASSERT_TRUE(small.has_value());
    EXPECT_EQ(small->base, 1 * mib);
    EXPECT_EQ(small->length, page_size);
}

TEST(FrameDatabasePlacement, NothingWhenNoRangeIsLargeEnough)
{
    std::vector<PhysicalRange> free_ranges { { .base = 1 * mib, .length = 4 * mib } };
    Core::Span<const PhysicalRange> span { free_ranges.data(), free_ranges.size() };
    EXPECT_FALSE(Kernel::Memory::place_frame_database(span, 4 * mib + 1).has_value());
    EXPECT_FALSE(Kernel::Memory::place_frame_database(span, 0).has_value());
    EXPECT_FALSE(Kernel::Memory::place_frame_database(span, address_limit).has_value());
    EXPECT_FALSE(Kernel::Memory::place_frame_database({}, 4096).has_value());
}

TEST(FrameDatabasePlacement, UnalignedRangesAreRoundedInward)
{
    // Given ranges not made by plan_free_memory: only their whole pages count.
    std::vector<PhysicalRange> free_ranges { { .base = 0x1001, .length = 0x3000 } };
    Core::Span<const PhysicalRange> span { free_ranges.data(), free_ranges.size() };
    auto placement = Kernel::Memory::place_frame_database(span, 0x2000);
    ASSERT_TRUE(placement.has_value());
    EXPECT_EQ(placement->base, 0x2000u);
    EXPECT_FALSE(Kernel::Memory::place_frame_database(span, 0x2001).has_value());
}

TEST(FrameDatabasePlacement, SizeCoversFramesUpToTheHighestFreeRange)
{
    std::vector<PhysicalRange> free_ranges {
        { .base = 4 * gib, .length = 1 * gib },
        { .base = 1 * mib, .length = 15 * mib },
    };
    EXPECT_EQ(Kernel::Memory::frame_database_bytes({ free_ranges.data(), free_ranges.size() }),
        (5 * gib / page_size) * sizeof(PhysicalPage));
    EXPECT_EQ(Kernel::Memory::frame_database_bytes({}), 0u);

    // The usual boot sequence: plan, place the database, plan again without it.
    std::vector<MemoryRegion> memory_map { usable(0, 640 * kib), usable(1 * mib, 255 * mib) };
    std::vector<PhysicalRange> reserved { { .base = 0, .length = 1 * mib },
        { .base = 1 * mib, .length = 2 * mib } };
    FreeMemoryPlan first = plan(memory_map, reserved);
    Core::u64 database_bytes = Kernel::Memory::frame_database_bytes(first.free_ranges.span());
    EXPECT_EQ(database_bytes, (256 * mib / page_size) * sizeof(PhysicalPage));
    auto placement = Kernel::Memory::place_frame_database(first.free_ranges.span(), database_bytes);
    ASSERT_TRUE(placement.has_value());
    EXPECT_EQ(placement->base, 3 * mib);
    reserved.push_back(placement.value());
    FreeMemoryPlan second = plan(memory_map, reserved);
    EXPECT_EQ(as_pairs(second), (Ranges { { 3 * mib + placement->length, 256 * mib } }));
}

} // namespace
