// Path resolution without a file system (Userland/LibC/Paths.h).

#include <Userland/LibC/Paths.h>
#include <gtest/gtest.h>
#include <string>

namespace {

std::string canonical(const char* working_directory, const char* path)
{
    char output[64];
    if (!LibC::canonical_path(working_directory, path, output, sizeof(output)))
        return "<refused>";
    return output;
}

} // namespace

TEST(Paths, AbsolutePathsIgnoreTheWorkingDirectory)
{
    EXPECT_EQ(canonical("/tests", "/bin/ls"), "bin/ls");
    EXPECT_EQ(canonical("/tests", "/"), "");
    EXPECT_EQ(canonical("/", "///bin//ls/"), "bin/ls");
}

TEST(Paths, RelativePathsJoinTheWorkingDirectory)
{
    EXPECT_EQ(canonical("/bin", "ls"), "bin/ls");
    EXPECT_EQ(canonical("/", "etc/services"), "etc/services");
    EXPECT_EQ(canonical("/a/b", "c/./d"), "a/b/c/d");
}

TEST(Paths, DotDotGoesUpAndStopsAtTheRoot)
{
    EXPECT_EQ(canonical("/a/b", ".."), "a");
    EXPECT_EQ(canonical("/a/b", "../../.."), "");
    EXPECT_EQ(canonical("/", "../../etc/../bin/./sh"), "bin/sh");
    EXPECT_EQ(canonical("/a", "b/../../c"), "c");
    EXPECT_EQ(canonical("/", "..."), "...");
}

TEST(Paths, EmptyAndOversizedPathsAreRefused)
{
    EXPECT_EQ(canonical("/", ""), "<refused>");
    std::string long_name(70, 'x');
    EXPECT_EQ(canonical("/", long_name.c_str()), "<refused>");
    char tiny[4];
    EXPECT_FALSE(LibC::canonical_path("/", "abcd", tiny, sizeof(tiny)));
    EXPECT_TRUE(LibC::canonical_path("/", "abc", tiny, sizeof(tiny)));
}
