// Host tests for Kernel/Memory/RegionMap.h: the mapping bookkeeping of user address spaces
// (insertion, overlap, splitting on partial unmap and protect, and kernel-chosen addresses).

#include <Kernel/Memory/RegionMap.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <vector>

namespace {

constexpr std::uint64_t page = 4096;
using Map = Kernel::Memory::RegionMap<int>;
using Region = Map::Region;

Region make_region(std::uint64_t base, std::uint64_t pages, int backing, std::uint64_t offset = 0)
{
    Region region;
    region.base = base;
    region.length = pages * page;
    region.object_offset = offset;
    region.protection = 3;
    region.maximum_protection = 3;
    region.backing = backing;
    return region;
}

struct Piece {
    std::uint64_t base;
    std::uint64_t length;
    std::uint64_t offset;
    int backing;
};

std::vector<Piece> pieces(const Map& map)
{
    std::vector<Piece> result;
    for (Core::usize index = 0; index < map.size(); ++index)
        result.push_back(
            { map[index].base, map[index].length, map[index].object_offset, map[index].backing });
    return result;
}

// Removes [start, end) the way AddressSpace::unmap does: split at both edges, then remove.
std::vector<Piece> unmap(Map& map, std::uint64_t start, std::uint64_t end)
{
    EXPECT_FALSE(map.split_at(start).is_error());
    EXPECT_FALSE(map.split_at(end).is_error());
    std::vector<Piece> removed;
    map.remove_range(start, end, [&](Region&& region) {
        removed.push_back({ region.base, region.length, region.object_offset, region.backing });
    });
    return removed;
}

} // namespace

TEST(RegionMap, InsertKeepsRegionsSortedAndRefusesOverlap)
{
    Map map(16);
    ASSERT_FALSE(map.insert(make_region(0x30000, 2, 3)).is_error());
    ASSERT_FALSE(map.insert(make_region(0x10000, 2, 1)).is_error());
    ASSERT_FALSE(map.insert(make_region(0x20000, 1, 2)).is_error());
    ASSERT_EQ(map.size(), 3u);
    EXPECT_EQ(map[0].backing, 1);
    EXPECT_EQ(map[1].backing, 2);
    EXPECT_EQ(map[2].backing, 3);
    // Overlapping the first page, the last page, or everything.
    EXPECT_EQ(map.insert(make_region(0x11000, 1, 9)).error().code(), Core::ErrorCode::AlreadyExists);
    EXPECT_EQ(map.insert(make_region(0x2F000, 2, 9)).error().code(), Core::ErrorCode::AlreadyExists);
    EXPECT_EQ(map.insert(make_region(0x0F000, 0x40, 9)).error().code(), Core::ErrorCode::AlreadyExists);
    // Touching edges is fine.
    EXPECT_FALSE(map.insert(make_region(0x12000, 1, 4)).is_error());
    EXPECT_EQ(map.size(), 4u);
}

TEST(RegionMap, FindAndOverlapLookUpTheRightRegion)
{
    Map map(16);
    ASSERT_FALSE(map.insert(make_region(0x10000, 2, 1)).is_error());
    ASSERT_FALSE(map.insert(make_region(0x40000, 1, 2)).is_error());
    EXPECT_EQ(map.find(0x0FFFF), nullptr);
    ASSERT_NE(map.find(0x10000), nullptr);
    EXPECT_EQ(map.find(0x11FFF)->backing, 1);
    EXPECT_EQ(map.find(0x12000), nullptr);
    EXPECT_EQ(map.find(0x40800)->backing, 2);
    EXPECT_TRUE(map.overlaps(0x11000, 0x13000));
    EXPECT_FALSE(map.overlaps(0x12000, 0x40000));
    EXPECT_TRUE(map.overlaps(0x00000, 0x50000));
}

TEST(RegionMap, RegionLimitIsOutOfRange)
{
    Map map(2);
    ASSERT_FALSE(map.insert(make_region(0x10000, 4, 1)).is_error());
    ASSERT_FALSE(map.insert(make_region(0x20000, 4, 2)).is_error());
    EXPECT_EQ(map.insert(make_region(0x30000, 1, 3)).error().code(), Core::ErrorCode::OutOfRange);
    // A split is a new region too, and fails the same way without changing anything.
    EXPECT_EQ(map.split_at(0x11000).error().code(), Core::ErrorCode::OutOfRange);
    EXPECT_EQ(map.size(), 2u);
    EXPECT_EQ(map[0].length, 4 * page);
}

TEST(RegionMap, UnmappingTheMiddleSplitsARegionInTwo)
{
    Map map(16);
    ASSERT_FALSE(map.insert(make_region(0x10000, 4, 7, 0x100000)).is_error());
    auto removed = unmap(map, 0x11000, 0x12000);
    ASSERT_EQ(removed.size(), 1u);
    EXPECT_EQ(removed[0].base, 0x11000u);
    EXPECT_EQ(removed[0].length, page);
    // The removed piece kept its place in the object.
    EXPECT_EQ(removed[0].offset, 0x101000u);
    auto left = pieces(map);
    ASSERT_EQ(left.size(), 2u);
    EXPECT_EQ(left[0].base, 0x10000u);
    EXPECT_EQ(left[0].length, page);
    EXPECT_EQ(left[0].offset, 0x100000u);
    EXPECT_EQ(left[1].base, 0x12000u);
    EXPECT_EQ(left[1].length, 2 * page);
    EXPECT_EQ(left[1].offset, 0x102000u);
    EXPECT_EQ(left[1].backing, 7);
}

TEST(RegionMap, UnmappingAcrossRegionsTrimsBothEndsAndDropsTheInside)
{
    Map map(16);
    ASSERT_FALSE(map.insert(make_region(0x10000, 4, 1)).is_error());
    ASSERT_FALSE(map.insert(make_region(0x20000, 2, 2)).is_error());
    ASSERT_FALSE(map.insert(make_region(0x30000, 4, 3)).is_error());
    auto removed = unmap(map, 0x12000, 0x32000);
    ASSERT_EQ(removed.size(), 3u);
    EXPECT_EQ(removed[0].base, 0x12000u);
    EXPECT_EQ(removed[1].backing, 2);
    EXPECT_EQ(removed[2].base, 0x30000u);
    EXPECT_EQ(removed[2].length, 2 * page);
    auto left = pieces(map);
    ASSERT_EQ(left.size(), 2u);
    EXPECT_EQ(left[0].length, 2 * page);
    EXPECT_EQ(left[1].base, 0x32000u);
    EXPECT_EQ(left[1].offset, 2 * page);
    // Unmapping where nothing is mapped removes nothing.
    EXPECT_TRUE(unmap(map, 0x20000, 0x30000).empty());
    EXPECT_EQ(map.size(), 2u);
}

TEST(RegionMap, CoversSeesGaps)
{
    Map map(16);
    ASSERT_FALSE(map.insert(make_region(0x10000, 2, 1)).is_error());
    ASSERT_FALSE(map.insert(make_region(0x12000, 2, 2)).is_error());
    ASSERT_FALSE(map.insert(make_region(0x15000, 1, 3)).is_error());
    EXPECT_TRUE(map.covers(0x10000, 0x14000));
    EXPECT_TRUE(map.covers(0x11000, 0x13000));
    EXPECT_FALSE(map.covers(0x10000, 0x15000));
    EXPECT_FALSE(map.covers(0x0F000, 0x11000));
    EXPECT_TRUE(map.covers(0x15000, 0x16000));
    EXPECT_FALSE(map.covers(0x15000, 0x17000));
}

TEST(RegionMap, ProtectingPartOfARegionChangesOnlyThatPart)
{
    Map map(16);
    ASSERT_FALSE(map.insert(make_region(0x10000, 4, 1)).is_error());
    ASSERT_FALSE(map.split_at(0x11000).is_error());
    ASSERT_FALSE(map.split_at(0x13000).is_error());
    map.for_each_in(0x11000, 0x13000, [](Region& region) { region.protection = 1; });
    ASSERT_EQ(map.size(), 3u);
    EXPECT_EQ(map[0].protection, 3);
    EXPECT_EQ(map[1].protection, 1);
    EXPECT_EQ(map[1].length, 2 * page);
    EXPECT_EQ(map[2].protection, 3);
    // Splitting at an existing edge, or outside any region, adds nothing.
    ASSERT_FALSE(map.split_at(0x11000).is_error());
    ASSERT_FALSE(map.split_at(0x90000).is_error());
    EXPECT_EQ(map.size(), 3u);
}

TEST(RegionMap, KernelChosenAddressesAreRandomAlignedAndFree)
{
    Map map(64);
    constexpr std::uint64_t window_start = 0x100000000ull;
    constexpr std::uint64_t window_end = window_start + (1ull << 30);
    auto first = map.find_free_range(4 * page, window_start, window_end, 12345);
    auto second = map.find_free_range(4 * page, window_start, window_end, 987654321);
    ASSERT_TRUE(first.has_value() && second.has_value());
    EXPECT_NE(first.value(), second.value());
    for (std::uint64_t address : { first.value(), second.value() }) {
        EXPECT_EQ(address % page, 0u);
        EXPECT_GE(address, window_start);
        EXPECT_LE(address + 4 * page, window_end);
    }
    // A collision moves the range to the next gap up.
    ASSERT_FALSE(map.insert(make_region(first.value(), 4, 1)).is_error());
    auto moved = map.find_free_range(4 * page, window_start, window_end, 12345);
    ASSERT_TRUE(moved.has_value());
    EXPECT_FALSE(map.overlaps(moved.value(), moved.value() + 4 * page));
}

TEST(RegionMap, FreeRangeSearchWrapsAndFailsOnlyWhenNothingFits)
{
    Map map(64);
    constexpr std::uint64_t window_start = 0x100000;
    constexpr std::uint64_t window_end = window_start + 16 * page;
    // Fill the window except one 2-page gap at its very start.
    ASSERT_FALSE(map.insert(make_region(window_start + 2 * page, 14, 1)).is_error());
    for (std::uint64_t random = 0; random < 64; ++random) {
        auto found = map.find_free_range(2 * page, window_start, window_end, random);
        ASSERT_TRUE(found.has_value());
        EXPECT_EQ(found.value(), window_start);
    }
    EXPECT_FALSE(map.find_free_range(3 * page, window_start, window_end, 5).has_value());
    EXPECT_FALSE(map.find_free_range(0, window_start, window_end, 5).has_value());
    EXPECT_FALSE(map.find_free_range(32 * page, window_start, window_end, 5).has_value());
    // A gap at the end is found from a candidate below it, too.
    Map tail(4);
    ASSERT_FALSE(tail.insert(make_region(window_start, 15, 1)).is_error());
    for (std::uint64_t random = 0; random < 16; ++random) {
        auto found = tail.find_free_range(page, window_start, window_end, random);
        ASSERT_TRUE(found.has_value());
        EXPECT_EQ(found.value(), window_end - page);
    }
}

TEST(RegionMap, ClearHandsBackEveryRegion)
{
    Map map(8);
    ASSERT_FALSE(map.insert(make_region(0x10000, 1, 1)).is_error());
    ASSERT_FALSE(map.insert(make_region(0x20000, 1, 2)).is_error());
    int sum = 0;
    map.clear([&](Region&& region) { sum += region.backing; });
    EXPECT_EQ(sum, 3);
    EXPECT_EQ(map.size(), 0u);
}
