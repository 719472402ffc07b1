// Kernel/Tasks/FutexKey.h: which addresses a futex may use, and how keys spread over the
// hash buckets.

#include <Kernel/Tasks/FutexKey.h>
#include <gtest/gtest.h>
#include <set>
#include <vector>

using Kernel::Tasks::futex_bucket_count;
using Kernel::Tasks::futex_bucket_index;
using Kernel::Tasks::FutexKey;
using Kernel::Tasks::validate_futex_address;

namespace {

Core::ErrorCode error_of(uint64_t address)
{
    auto result = validate_futex_address(address);
    return result.is_error() ? result.error().code() : Core::ErrorCode::Count;
}

} // namespace

TEST(FutexKey, AddressesMustBeAlignedWordsInUserSpace)
{
    EXPECT_EQ(error_of(0x400000), Core::ErrorCode::Count);
    EXPECT_EQ(error_of(0x400004), Core::ErrorCode::Count);
    EXPECT_EQ(error_of(0x400001), Core::ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(0x400002), Core::ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(0), Core::ErrorCode::BadAddress);
    EXPECT_EQ(error_of(0xFFFFFFFF80000000ull), Core::ErrorCode::BadAddress);
    EXPECT_EQ(error_of(0x0000800000000000ull), Core::ErrorCode::BadAddress);
    // The last word of user space is fine; one past it is not, aligned or not.
    uint64_t end = Kernel::Arch::user_space_end;
    EXPECT_EQ(error_of(end - 4), Core::ErrorCode::Count);
    EXPECT_EQ(error_of(end), Core::ErrorCode::BadAddress);
    EXPECT_EQ(error_of(end - 2), Core::ErrorCode::BadAddress);
}

TEST(FutexKey, KeysNameTheSpaceAndTheAddress)
{
    FutexKey key { 0x1000, 0x400000 };
    EXPECT_EQ(key, (FutexKey { 0x1000, 0x400000 }));
    EXPECT_NE(key, (FutexKey { 0x2000, 0x400000 }));
    EXPECT_NE(key, (FutexKey { 0x1000, 0x400004 }));
    // The same key always hashes to the same bucket, inside the table.
    EXPECT_EQ(futex_bucket_index(key), futex_bucket_index(FutexKey { 0x1000, 0x400000 }));
    EXPECT_LT(futex_bucket_index(key), futex_bucket_count);
}

TEST(FutexKey, NeighbouringWordsAndProcessesSpreadOverTheBuckets)
{
    // 256 consecutive words of one process (a lock array) use most buckets, none much more
    // than its share.
    std::vector<uint32_t> per_bucket(futex_bucket_count, 0);
    for (uint64_t word = 0; word < 256; ++word)
        ++per_bucket[futex_bucket_index(FutexKey { 0xFFFF800001234000ull, 0x400000 + word * 4 })];
    uint32_t used = 0;
    for (uint32_t count : per_bucket) {
        used += count != 0;
        EXPECT_LE(count, 16u);
    }
    EXPECT_GE(used, futex_bucket_count * 3 / 4);
    // The same word in 64 address spaces (heap objects, 4 KiB apart) spreads as well.
    std::set<uint32_t> buckets;
    for (uint64_t space = 0; space < 64; ++space)
        buckets.insert(futex_bucket_index(FutexKey { 0xFFFF800001000000ull + space * 4096, 0x400000 }));
    EXPECT_GE(buckets.size(), 32u);
}
