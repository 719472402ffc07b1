// Host tests for Kernel/Memory/UserRange.h: which user pointers the kernel accepts.

#include <Kernel/Memory/UserRange.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <limits>

using Kernel::Memory::is_user_range;
namespace Arch = Kernel::Arch;

TEST(UserRange, NullAndTheFirstPagesAreRefused)
{
    EXPECT_FALSE(is_user_range(0, 1));
    EXPECT_FALSE(is_user_range(0, 0));
    EXPECT_FALSE(is_user_range(8, 8));
    EXPECT_FALSE(is_user_range(Arch::user_space_base - 1, 1));
    EXPECT_TRUE(is_user_range(Arch::user_space_base, 1));
}

TEST(UserRange, KernelAddressesAreRefused)
{
    EXPECT_FALSE(is_user_range(Arch::kernel_virtual_base, 8));
    EXPECT_FALSE(is_user_range(Arch::direct_map_base, 8));
    EXPECT_FALSE(is_user_range(0x0000800000000000ull, 1)); // first non-canonical address
    EXPECT_FALSE(is_user_range(std::numeric_limits<std::uint64_t>::max(), 1));
}

TEST(UserRange, RangesMustEndInsideUserSpace)
{
    EXPECT_TRUE(is_user_range(Arch::user_space_end - 16, 16));
    EXPECT_FALSE(is_user_range(Arch::user_space_end - 16, 17));
    EXPECT_TRUE(is_user_range(Arch::user_space_end, 0));
    EXPECT_FALSE(is_user_range(Arch::user_space_end, 1));
    EXPECT_TRUE(is_user_range(Arch::user_space_base, Arch::user_space_end - Arch::user_space_base));
    EXPECT_FALSE(is_user_range(Arch::user_space_base, Arch::user_space_end - Arch::user_space_base + 1));
}

TEST(UserRange, LengthsThatWrapAreRefused)
{
    const std::uint64_t address = 0x400000;
    EXPECT_FALSE(is_user_range(address, std::numeric_limits<std::uint64_t>::max()));
    EXPECT_FALSE(is_user_range(address, std::numeric_limits<std::uint64_t>::max() - address + 1));
    EXPECT_FALSE(is_user_range(address, 0x0000800000000000ull));
}

TEST(UserRange, ZeroLengthIsAcceptedInsideUserSpace)
{
    EXPECT_TRUE(is_user_range(0x400000, 0));
    EXPECT_FALSE(is_user_range(Arch::kernel_virtual_base, 0));
}
