// The launch block (Userland/LibC/LaunchBlock.h): what spawn writes, a child reads back
// unchanged, and anything cut, unterminated or out of bounds is refused.

#include <Userland/LibC/LaunchBlock.h>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace {

using LibC::HandleRole;
using LibC::LaunchHandle;

std::vector<uint8_t> encode(
    const char* const* arguments, const char* const* environment, const std::vector<LaunchHandle>& handles)
{
    size_t size = LibC::launch_block_size(arguments, environment, static_cast<uint32_t>(handles.size()));
    EXPECT_NE(size, 0u);
    std::vector<uint8_t> block(size);
    EXPECT_EQ(LibC::encode_launch_block(arguments, environment, handles.data(),
                  static_cast<uint32_t>(handles.size()), block.data()),
        size);
    return block;
}

std::vector<std::string> strings_of(const LibC::DecodedLaunchBlock& decoded)
{
    std::vector<const char*> pointers(decoded.argument_count + decoded.environment_count);
    LibC::launch_block_strings(decoded, pointers.data());
    return { pointers.begin(), pointers.end() };
}

} // namespace

TEST(LaunchBlock, RoundTripsArgumentsEnvironmentAndRoles)
{
    const char* arguments[] = { "grep", "-n", "", "a b", nullptr };
    const char* environment[] = { "PATH=/bin", "HOME=/", nullptr };
    std::vector<LaunchHandle> handles = { { HandleRole::StandardInput, LibC::launch_handle_terminal },
        { HandleRole::StandardOutput, 0 }, { HandleRole::Ramdisk, 0 } };
    auto block = encode(arguments, environment, handles);
    // A memory object is whole pages: padding after the strings is allowed.
    block.resize(4096, 0);
    LibC::DecodedLaunchBlock decoded {};
    ASSERT_TRUE(LibC::decode_launch_block(block.data(), block.size(), decoded));
    EXPECT_EQ(decoded.argument_count, 4u);
    EXPECT_EQ(decoded.environment_count, 2u);
    ASSERT_EQ(decoded.handle_count, 3u);
    EXPECT_EQ(decoded.handles[0].role, HandleRole::StandardInput);
    EXPECT_EQ(decoded.handles[0].flags, LibC::launch_handle_terminal);
    EXPECT_EQ(decoded.handles[2].role, HandleRole::Ramdisk);
    EXPECT_EQ(
        strings_of(decoded), (std::vector<std::string> { "grep", "-n", "", "a b", "PATH=/bin", "HOME=/" }));
}

TEST(LaunchBlock, EmptyAndNullListsAreAllowed)
{
    auto block = encode(nullptr, nullptr, {});
    LibC::DecodedLaunchBlock decoded {};
    ASSERT_TRUE(LibC::decode_launch_block(block.data(), block.size(), decoded));
    EXPECT_EQ(decoded.argument_count + decoded.environment_count + decoded.handle_count, 0u);
}

TEST(LaunchBlock, EveryCutIsRefused)
{
    const char* arguments[] = { "ls", "-l", nullptr };
    auto block = encode(arguments, nullptr, { { HandleRole::StandardOutput, 0 } });
    for (size_t size = 0; size < block.size(); ++size) {
        LibC::DecodedLaunchBlock decoded {};
        EXPECT_FALSE(LibC::decode_launch_block(block.data(), size, decoded)) << size;
    }
}

TEST(LaunchBlock, WrongMagicVersionCountsAndTerminatorsAreRefused)
{
    const char* arguments[] = { "echo", "hi", nullptr };
    auto good = encode(arguments, nullptr, {});
    LibC::DecodedLaunchBlock decoded {};
    ASSERT_TRUE(LibC::decode_launch_block(good.data(), good.size(), decoded));

    auto corrupt = [&](size_t offset, uint8_t value) {
        auto block = good;
        block[offset] = value;
        return LibC::decode_launch_block(block.data(), block.size(), decoded);
    };
    EXPECT_FALSE(corrupt(0, 0)); // magic
    EXPECT_FALSE(corrupt(8, 2)); // version
    EXPECT_FALSE(corrupt(12, 3)); // one argument more than there are strings
    EXPECT_FALSE(corrupt(12, 1)); // one fewer: a terminator too many
    EXPECT_FALSE(corrupt(20, 200)); // handles beyond the limit
    EXPECT_FALSE(corrupt(24, 0xFF)); // string bytes past the end
    EXPECT_FALSE(corrupt(good.size() - 1, 'x')); // the last string unterminated
}

TEST(LaunchBlock, LimitsAreEnforcedWhenEncoding)
{
    std::vector<const char*> many(LibC::launch_maximum_strings + 2, "x");
    many.back() = nullptr;
    EXPECT_EQ(LibC::launch_block_size(many.data(), nullptr, 0), 0u);
    std::string huge(LibC::launch_maximum_bytes, 'y');
    const char* one_huge[] = { huge.c_str(), nullptr };
    EXPECT_EQ(LibC::launch_block_size(one_huge, nullptr, 0), 0u);
    EXPECT_EQ(LibC::launch_block_size(nullptr, nullptr, 65), 0u);
}
