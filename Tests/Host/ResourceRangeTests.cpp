// Kernel/Devices/ResourceRange.h: containment and narrowing of port, MMIO and interrupt
// ranges, with arguments anywhere in 64 bits.

#include <Kernel/Devices/ResourceRange.h>
#include <gtest/gtest.h>

using Kernel::Devices::narrow_range;
using Kernel::Devices::ResourceRange;

TEST(ResourceRange, ContainsOnlyNonEmptySubRangesInside)
{
    ResourceRange range { 0x70, 2 };
    EXPECT_TRUE(range.contains(0x70, 1));
    EXPECT_TRUE(range.contains(0x71, 1));
    EXPECT_TRUE(range.contains(0x70, 2));
    EXPECT_FALSE(range.contains(0x70, 0));
    EXPECT_FALSE(range.contains(0x71, 2));
    EXPECT_FALSE(range.contains(0x6F, 1));
    EXPECT_FALSE(range.contains(0x72, 1));
    EXPECT_FALSE(range.contains(0x70, 3));
}

TEST(ResourceRange, ContainmentNeverOverflows)
{
    // The highest range whose end still fits in 64 bits.
    ResourceRange top { ~uint64_t(0) - 16, 16 };
    EXPECT_TRUE(top.is_well_formed());
    EXPECT_EQ(top.end(), ~uint64_t(0));
    EXPECT_TRUE(top.contains(~uint64_t(0) - 1, 1));
    EXPECT_FALSE(top.contains(~uint64_t(0) - 1, 2));
    EXPECT_FALSE(top.contains(~uint64_t(0), 1));
    EXPECT_FALSE(top.contains(~uint64_t(0) - 16, ~uint64_t(0)));
    // One unit higher, the end would pass 2^64.
    EXPECT_FALSE((ResourceRange { ~uint64_t(0) - 15, 16 }).is_well_formed());
    ResourceRange low { 0, 16 };
    // first + length would wrap to a small number inside the range.
    EXPECT_FALSE(low.contains(8, ~uint64_t(0) - 4));
    EXPECT_FALSE(low.contains(~uint64_t(0), 2));
    EXPECT_FALSE((ResourceRange { 1, ~uint64_t(0) }).is_well_formed());
}

TEST(ResourceRange, AnEmptyRangeGrantsNothing)
{
    ResourceRange empty { 0x1000, 0 };
    EXPECT_FALSE(empty.contains(0x1000, 1));
    EXPECT_FALSE(empty.contains(0x1000, 0));
    auto narrowed = narrow_range(empty, 0x1000, 1, 1);
    ASSERT_TRUE(narrowed.is_error());
    EXPECT_EQ(narrowed.error().code(), Core::ErrorCode::OutOfRange);
}

TEST(ResourceRange, NarrowingChecksCountAlignmentAndContainment)
{
    ResourceRange mmio { 0x1'0000'0000, 0x10'0000 };
    auto page = narrow_range(mmio, 0x1'0000'1000, 0x1000, 0x1000);
    ASSERT_FALSE(page.is_error());
    EXPECT_EQ(page.value().base, 0x1'0000'1000u);
    EXPECT_EQ(page.value().count, 0x1000u);
    auto whole = narrow_range(mmio, mmio.base, mmio.count, 0x1000);
    ASSERT_FALSE(whole.is_error());
    EXPECT_EQ(whole.value().end(), mmio.end());

    auto expect_error = [](const Core::Result<ResourceRange>& result, Core::ErrorCode code) {
        ASSERT_TRUE(result.is_error());
        EXPECT_EQ(result.error().code(), code);
    };
    expect_error(narrow_range(mmio, mmio.base, 0, 0x1000), Core::ErrorCode::InvalidArgument);
    expect_error(narrow_range(mmio, mmio.base + 0x10, 0x1000, 0x1000), Core::ErrorCode::InvalidArgument);
    expect_error(narrow_range(mmio, mmio.base, 0x10, 0x1000), Core::ErrorCode::InvalidArgument);
    expect_error(narrow_range(mmio, mmio.base - 0x1000, 0x2000, 0x1000), Core::ErrorCode::OutOfRange);
    expect_error(narrow_range(mmio, mmio.end(), 0x1000, 0x1000), Core::ErrorCode::OutOfRange);
    expect_error(narrow_range(mmio, mmio.end() - 0x1000, 0x2000, 0x1000), Core::ErrorCode::OutOfRange);
    expect_error(
        narrow_range(mmio, ~uint64_t(0) & ~uint64_t(0xFFF), 0x1000, 0x1000), Core::ErrorCode::OutOfRange);

    ResourceRange ports { 0, 0x10000 };
    auto cmos = narrow_range(ports, 0x70, 2, 1);
    ASSERT_FALSE(cmos.is_error());
    expect_error(narrow_range(cmos.value(), 0x70, 3, 1), Core::ErrorCode::OutOfRange);
    expect_error(narrow_range(cmos.value(), 0x6F, 1, 1), Core::ErrorCode::OutOfRange);
}
