// Tests for the ext2 reader (Userland/FileSystems/Ext2) against images Linux's mke2fs makes
// from a directory tree (`mke2fs -d`): small and large files (through double indirect
// blocks), holes, a directory of 2,000 entries, fast and slow symbolic links, loops,
// permissions and timestamps, with 1 KiB and 4 KiB blocks; then images corrupted on purpose.

#include <Tests/Host/FileSystemTestSupport.h>
#include <Userland/FileSystems/Ext2/Ext2Volume.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>
#include <vector>

namespace {

namespace Ext2 = FileSystems::Ext2;
using Core::ErrorCode;

using TestSupport::ImageSource;
using TestSupport::test_pattern;
using TestSupport::write_file;

constexpr std::size_t big_size = 300 * 1024; // past 268 KiB: double indirect with 1 KiB blocks
constexpr int many_count = 2000;
const std::string long_target = "./" + std::string(96, 'x') + "/../hello.txt"; // over 60 bytes: a slow link
constexpr std::time_t hello_time = 1'700'000'000;

// Room for 2,000 one-block files and the rest.
int image_megabytes(int block_size)
{
    return block_size == 1024 ? 8 : 16;
}

// Makes the tree once and an image of it for each block size.
class Ext2Image : public testing::TestWithParam<int> {
protected:
    static void SetUpTestSuite()
    {
        char pattern[] = "/tmp/raeen-ext2-XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        s_directory = pattern;
        std::filesystem::path tree = s_directory / "tree";
        std::filesystem::create_directories(tree / "many");
        write_file(tree / "hello.txt", "Hello, ext2!\n");
        chmod((tree / "hello.txt").c_str(), 0640);
        utimbuf times { hello_time, hello_time };
        utime((tree / "hello.txt").c_str(), &times);
        write_file(tree / "big.bin", test_pattern(big_size));
        {
            std::ofstream sparse(tree / "sparse.bin", std::ios::binary);
            sparse.seekp(90 * 1024);
            sparse << "end";
        }
        for (int index = 0; index < many_count; ++index)
            write_file(tree / "many" / ("file" + std::to_string(index)), std::to_string(index));
        std::filesystem::create_symlink("hello.txt", tree / "link-short");
        std::filesystem::create_directories(tree / std::string(96, 'x'));
        std::filesystem::create_symlink(long_target, tree / "link-long");
        std::filesystem::create_symlink("loop-b", tree / "loop-a");
        std::filesystem::create_symlink("loop-a", tree / "loop-b");
        std::filesystem::create_symlink("many", tree / "dir-link");
        for (int block_size : { 1024, 4096 }) {
            std::filesystem::path image = s_directory / ("ext2-" + std::to_string(block_size) + ".img");
            std::string output;
            ASSERT_TRUE(
                TestSupport::make_ext2_image(tree, image, block_size, image_megabytes(block_size), output))
                << output;
        }
    }
    static void TearDownTestSuite() { std::filesystem::remove_all(s_directory); }

    static std::vector<std::uint8_t> image_bytes(int block_size)
    {
        return TestSupport::read_image(s_directory / ("ext2-" + std::to_string(block_size) + ".img"));
    }

    void SetUp() override { source = std::make_unique<ImageSource>(image_bytes(GetParam())); }

    Ext2::Volume open_volume()
    {
        auto volume = Ext2::Volume::open(*source);
        EXPECT_FALSE(volume.is_error()) << (volume.is_error() ? volume.error().name() : "");
        return volume.release_value();
    }

    std::string read_whole(Ext2::Volume& volume, const char* path)
    {
        auto number = volume.resolve(Core::StringView(path));
        EXPECT_FALSE(number.is_error()) << path;
        if (number.is_error())
            return {};
        Ext2::Inode inode = volume.read_inode(number.value()).release_value();
        std::string data(inode.size, '\0');
        auto copied
            = volume.read(inode, 0, Core::Bytes(reinterpret_cast<std::uint8_t*>(data.data()), data.size()));
        EXPECT_FALSE(copied.is_error());
        EXPECT_EQ(copied.value(), data.size());
        return data;
    }

    static inline std::filesystem::path s_directory;
    std::unique_ptr<ImageSource> source;
};

TEST_P(Ext2Image, superblock_matches_what_mke2fs_made)
{
    Ext2::Volume volume = open_volume();
    const Ext2::Superblock& superblock = volume.superblock();
    EXPECT_EQ(superblock.block_size, static_cast<std::uint32_t>(GetParam()));
    EXPECT_EQ(std::uint64_t { superblock.block_count } * superblock.block_size,
        std::uint64_t(image_megabytes(GetParam())) << 20);
    EXPECT_STREQ(superblock.volume_name, "raeen");
    EXPECT_EQ(superblock.revision, 1u);
    EXPECT_EQ(superblock.state, 1u) << "clean";
    EXPECT_TRUE(superblock.incompatible_features & Ext2::Feature::incompatible_filetype);
    EXPECT_TRUE(superblock.writable);
    EXPECT_GE(superblock.group_count, 1u);
}

TEST_P(Ext2Image, files_read_back_exactly)
{
    Ext2::Volume volume = open_volume();
    EXPECT_EQ(read_whole(volume, "/hello.txt"), "Hello, ext2!\n");
    EXPECT_EQ(read_whole(volume, "/big.bin"), test_pattern(big_size));
    std::string sparse = read_whole(volume, "/sparse.bin");
    ASSERT_EQ(sparse.size(), 90u * 1024 + 3);
    EXPECT_EQ(sparse.substr(0, 90 * 1024), std::string(90 * 1024, '\0'));
    EXPECT_EQ(sparse.substr(90 * 1024), "end");
    // A read from the middle, across blocks, and past the end.
    Ext2::Inode big = volume.read_inode(volume.resolve("/big.bin"_sv).value()).value();
    std::vector<std::uint8_t> middle(5000);
    ASSERT_EQ(volume.read(big, 150'000, Core::Bytes(middle.data(), middle.size())).value(), middle.size());
    EXPECT_EQ(std::string(middle.begin(), middle.end()), test_pattern(big_size).substr(150'000, 5000));
    EXPECT_EQ(volume.read(big, big_size - 10, Core::Bytes(middle.data(), middle.size())).value(), 10u);
    EXPECT_EQ(volume.read(big, big_size + 10, Core::Bytes(middle.data(), middle.size())).value(), 0u);
}

TEST_P(Ext2Image, permissions_owner_and_times_are_the_hosts)
{
    Ext2::Volume volume = open_volume();
    Ext2::Inode hello = volume.read_inode(volume.resolve("/hello.txt"_sv).value()).value();
    EXPECT_EQ(hello.type(), Ext2::FileType::Regular);
    EXPECT_EQ(hello.permissions(), 0640);
    EXPECT_EQ(hello.modification_time, static_cast<std::uint32_t>(hello_time));
    EXPECT_EQ(hello.user_id, static_cast<std::uint32_t>(getuid()));
    EXPECT_EQ(hello.link_count, 1);
    Ext2::Inode root = volume.read_inode(Ext2::root_inode).value();
    EXPECT_EQ(root.type(), Ext2::FileType::Directory);
}

TEST_P(Ext2Image, a_directory_of_thousands_lists_and_finds_every_entry)
{
    Ext2::Volume volume = open_volume();
    Ext2::Inode many = volume.read_inode(volume.resolve("/many"_sv).value()).value();
    std::vector<bool> seen(many_count, false);
    int dots = 0;
    ASSERT_FALSE(
        volume
            .for_each_entry(many,
                [&](const Ext2::DirectoryEntry& entry) {
                    std::string name(entry.name.characters(), entry.name.length());
                    if (name == "." || name == "..")
                        ++dots;
                    else if (name.rfind("file", 0) == 0)
                        seen.at(std::stoi(name.substr(4))) = true;
                    EXPECT_EQ(entry.type,
                        name == "." || name == ".." ? Ext2::FileType::Directory : Ext2::FileType::Regular);
                    return true;
                })
            .is_error());
    EXPECT_EQ(dots, 2);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), true), many_count);
    EXPECT_EQ(read_whole(volume, "/many/file1999"), "1999");
    EXPECT_EQ(read_whole(volume, "/many/../many/./file7"), "7");
}

TEST_P(Ext2Image, symbolic_links_are_read_and_followed)
{
    Ext2::Volume volume = open_volume();
    char target[256];
    Ext2::Inode short_link = volume.read_inode(volume.resolve("/link-short"_sv, false).value()).value();
    EXPECT_TRUE(short_link.is_fast_symlink(volume.superblock().block_size));
    auto length
        = volume.read_link(short_link, Core::Bytes(reinterpret_cast<std::uint8_t*>(target), sizeof(target)));
    EXPECT_EQ(std::string(target, length.value()), "hello.txt");
    Ext2::Inode long_link = volume.read_inode(volume.resolve("/link-long"_sv, false).value()).value();
    EXPECT_FALSE(long_link.is_fast_symlink(volume.superblock().block_size));
    auto long_length
        = volume.read_link(long_link, Core::Bytes(reinterpret_cast<std::uint8_t*>(target), sizeof(target)));
    EXPECT_EQ(std::string(target, long_length.value()), long_target);
    EXPECT_EQ(
        volume.read_link(long_link, Core::Bytes(reinterpret_cast<std::uint8_t*>(target), 10)).error().code(),
        ErrorCode::BufferTooSmall);

    EXPECT_EQ(read_whole(volume, "/link-short"), "Hello, ext2!\n");
    EXPECT_EQ(read_whole(volume, "/link-long"), "Hello, ext2!\n");
    EXPECT_EQ(read_whole(volume, "/dir-link/file42"), "42");
    EXPECT_EQ(volume.resolve("/loop-a"_sv).error().code(), ErrorCode::SymlinkLoop);
    // Not following the last component gives the link itself.
    EXPECT_FALSE(volume.resolve("/loop-a"_sv, false).is_error());
}

TEST_P(Ext2Image, bad_paths_are_refused)
{
    Ext2::Volume volume = open_volume();
    EXPECT_EQ(volume.resolve("/nothing-here"_sv).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(volume.resolve("/hello.txt/more"_sv).error().code(), ErrorCode::NotADirectory);
    EXPECT_EQ(volume.resolve("hello.txt"_sv).error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(volume.resolve(""_sv).error().code(), ErrorCode::InvalidArgument);
    std::string too_long = "/" + std::string(256, 'a');
    EXPECT_EQ(volume.resolve(Core::StringView(too_long.c_str())).error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(volume.resolve("/"_sv).value(), Ext2::root_inode);
    EXPECT_EQ(volume.resolve("/.."_sv).value(), Ext2::root_inode) << "the root's .. is itself";
    EXPECT_EQ(volume.read_inode(0).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(volume.read_inode(volume.superblock().inode_count + 1).error().code(), ErrorCode::NotFound);
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, Ext2Image, testing::Values(1024, 4096));

// ---- Corrupted images ------------------------------------------------------------------------------

class Ext2Corruption : public Ext2Image {
protected:
    void SetUp() override { source = std::make_unique<ImageSource>(image_bytes(1024)); }
    void put32(std::uint64_t offset, std::uint32_t value)
    {
        for (int index = 0; index < 4; ++index)
            source->bytes.at(offset + index) = static_cast<std::uint8_t>(value >> (8 * index));
    }
    void put16(std::uint64_t offset, std::uint16_t value)
    {
        source->bytes.at(offset) = static_cast<std::uint8_t>(value);
        source->bytes.at(offset + 1) = static_cast<std::uint8_t>(value >> 8);
    }
    // Where inode `number`'s record is, found through the intact volume.
    std::uint64_t inode_offset(std::uint32_t number)
    {
        Ext2::Volume volume = open_volume();
        const Ext2::Superblock& superblock = volume.superblock();
        std::uint32_t group = (number - 1) / superblock.inodes_per_group;
        std::uint32_t index = (number - 1) % superblock.inodes_per_group;
        return std::uint64_t { volume.group(group).inode_table } * superblock.block_size
            + std::uint64_t { index } * superblock.inode_size;
    }
};

TEST_F(Ext2Corruption, superblocks_that_lie_are_refused)
{
    std::vector<std::uint8_t> pristine = source->bytes;
    auto open_error = [&]() { return Ext2::Volume::open(*source).error().code(); };
    put16(1024 + 56, 0x1234); // magic
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    put32(1024 + 24, 7); // block size 128 KiB
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    put32(1024 + 24, 6); // 64 KiB: its whole-block directory records need an encoding not spoken
    EXPECT_EQ(open_error(), ErrorCode::NotSupported);
    source->bytes = pristine;
    put32(2048 + 0, 1); // group 0's block bitmap on the superblock
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    put32(1024 + 84, 5); // a first free inode among the reserved ones
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    put32(1024 + 96, 0x0002 | 0x0040); // extents
    EXPECT_EQ(open_error(), ErrorCode::NotSupported);
    source->bytes = pristine;
    put32(1024 + 40, 0); // no inodes per group
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    put32(1024 + 0, 0xFFFF'FFFF); // inode count the groups do not hold
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    put16(1024 + 88, 100); // inode size not a power of two
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    put32(2048 + 8, 0xFFFF'FF00); // group 0's inode table beyond the volume
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes.resize(1500); // cut short
    EXPECT_EQ(open_error(), ErrorCode::OutOfRange);
}

TEST_F(Ext2Corruption, block_pointers_outside_the_volume_are_errors)
{
    std::uint32_t big_number = open_volume().resolve("/big.bin"_sv).value();
    std::uint64_t record = inode_offset(big_number);
    put32(record + 40 + 4 * 3, 0x7FFF'FFFF); // direct block 3
    put32(record + 40 + 4 * 13, 0x7FFF'FFFF); // the double indirect block
    Ext2::Volume volume = open_volume();
    Ext2::Inode big = volume.read_inode(big_number).value();
    std::vector<std::uint8_t> buffer(1024);
    EXPECT_FALSE(volume.read(big, 0, Core::Bytes(buffer.data(), buffer.size())).is_error());
    EXPECT_EQ(volume.read(big, 3 * 1024, Core::Bytes(buffer.data(), buffer.size())).error().code(),
        ErrorCode::Malformed);
    EXPECT_EQ(volume.read(big, 280 * 1024, Core::Bytes(buffer.data(), buffer.size())).error().code(),
        ErrorCode::Malformed);
}

TEST_F(Ext2Corruption, broken_directory_entries_are_errors)
{
    Ext2::Volume intact = open_volume();
    Ext2::Inode root = intact.read_inode(Ext2::root_inode).value();
    std::uint64_t first_entry = std::uint64_t { root.blocks[0] } * 1024;
    put16(first_entry + 4, 6); // record length under 8
    Ext2::Volume volume = open_volume();
    EXPECT_EQ(volume.resolve("/hello.txt"_sv).error().code(), ErrorCode::Malformed);
    put16(first_entry + 4, 4000); // past the block
    EXPECT_EQ(volume.resolve("/hello.txt"_sv).error().code(), ErrorCode::Malformed);
    put16(first_entry + 4, 12);
    put32(first_entry, 0xFFFF'FFF0); // an inode past the count
    EXPECT_EQ(volume.resolve("/hello.txt"_sv).error().code(), ErrorCode::Malformed);
    put32(first_entry, 7); // a reserved inode (the resize inode)
    EXPECT_EQ(volume.resolve("/hello.txt"_sv).error().code(), ErrorCode::Malformed);
    put32(first_entry, 2);
    Ext2::Inode root_again = volume.read_inode(Ext2::root_inode).value();
    root_again.size = 3'300'000'000ull; // more blocks than the volume: refused, not walked
    EXPECT_EQ(volume.lookup(root_again, "hello.txt"_sv).error().code(), ErrorCode::Malformed);
}

TEST_F(Ext2Corruption, a_directory_that_is_not_one_is_refused)
{
    std::uint32_t hello = open_volume().resolve("/hello.txt"_sv).value();
    Ext2::Volume volume = open_volume();
    Ext2::Inode file = volume.read_inode(hello).value();
    EXPECT_EQ(volume.lookup(file, "x"_sv).error().code(), ErrorCode::NotADirectory);
    Ext2::Inode root = volume.read_inode(Ext2::root_inode).value();
    root.size += 1; // a ragged directory
    EXPECT_EQ(volume.lookup(root, "hello.txt"_sv).error().code(), ErrorCode::Malformed);
}

} // namespace
