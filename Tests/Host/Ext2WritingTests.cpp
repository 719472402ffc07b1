// Tests for writing ext2 (Userland/FileSystems/Ext2/Ext2Writing.cpp): RaeenOS's writer
// changes an image Linux's mke2fs made, and then Linux's own tools judge it: `e2fsck -fn`
// must find it clean and `debugfs` must read back exactly what was written. The writer's own
// reader must agree too.

#include <Tests/Host/FileSystemTestSupport.h>
#include <Userland/FileSystems/Ext2/Ext2Volume.h>
#include <gtest/gtest.h>
#include <string>

namespace {

namespace Ext2 = FileSystems::Ext2;
using Core::ErrorCode;
using TestSupport::ImageSource;
using TestSupport::test_pattern;

constexpr std::uint32_t now = 1'750'000'000;

Core::ReadonlyBytes bytes_of(const std::string& text)
{
    return Core::ReadonlyBytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

class Ext2Writing : public testing::TestWithParam<int> {
protected:
    void SetUp() override
    {
        char directory[] = "/tmp/raeen-ext2w-XXXXXX";
        ASSERT_NE(mkdtemp(directory), nullptr);
        m_directory = directory;
        std::filesystem::create_directories(m_directory / "tree" / "old");
        std::ofstream(m_directory / "tree" / "host.txt") << "from the host\n";
        std::ofstream(m_directory / "tree" / "old" / "keep.txt") << "kept\n";
        std::string output;
        ASSERT_TRUE(TestSupport::make_ext2_image(m_directory / "tree", image_path(), GetParam(), 16, output))
            << output;
        source = std::make_unique<ImageSource>(TestSupport::read_image(image_path()));
        auto opened = Ext2::Volume::open(*source);
        ASSERT_FALSE(opened.is_error());
        volume = std::make_unique<Ext2::Volume>(opened.release_value());
        volume->set_current_time(now);
    }
    void TearDown() override { std::filesystem::remove_all(m_directory); }

    std::filesystem::path image_path() const { return m_directory / "ext2.img"; }

    // Marks the volume clean (as unmounting would), writes the image out and has e2fsck check
    // it without changing it.
    void expect_clean()
    {
        ASSERT_FALSE(volume->mark_clean().is_error());
        TestSupport::write_image(image_path(), source->bytes);
        std::string output;
        int status = TestSupport::run_command("e2fsck -fn " + image_path().string(), output);
        EXPECT_EQ(status, 0) << output;
    }
    std::string debugfs(const std::string& request)
    {
        std::string output;
        TestSupport::run_command(
            "debugfs -R '" + request + "' " + image_path().string() + " 2>/dev/null", output);
        // debugfs prints its banner on standard error; the request's output follows it.
        auto banner = output.find("debugfs ");
        if (banner == 0)
            output = output.substr(output.find('\n') + 1);
        return output;
    }
    std::uint32_t resolve(const char* path) { return volume->resolve(Core::StringView(path)).value(); }
    // Lets the host's debugfs change the image (`requests` with -w), then reopens it.
    void change_on_the_host(const std::vector<std::string>& requests)
    {
        TestSupport::write_image(image_path(), source->bytes);
        for (const std::string& request : requests) {
            std::string output;
            ASSERT_EQ(
                TestSupport::run_command("debugfs -w -R '" + request + "' " + image_path().string(), output),
                0)
                << output;
        }
        source->bytes = TestSupport::read_image(image_path());
        auto opened = Ext2::Volume::open(*source);
        ASSERT_FALSE(opened.is_error());
        volume = std::make_unique<Ext2::Volume>(opened.release_value());
        volume->set_current_time(now);
    }
    std::string read_back(const char* path)
    {
        Ext2::Inode inode = volume->read_inode(resolve(path)).value();
        std::string data(inode.size, '\0');
        EXPECT_EQ(
            volume->read(inode, 0, Core::Bytes(reinterpret_cast<std::uint8_t*>(data.data()), data.size()))
                .value(),
            data.size());
        return data;
    }

    std::filesystem::path m_directory;
    std::unique_ptr<ImageSource> source;
    std::unique_ptr<Ext2::Volume> volume;
};

TEST_P(Ext2Writing, new_files_of_every_size_are_what_linux_reads)
{
    Ext2::Volume::NewInode attributes { 0640, 1000, 100 };
    std::uint32_t small = volume->create_file(Ext2::root_inode, "small.txt"_sv, attributes).value();
    ASSERT_FALSE(volume->write(small, 0, bytes_of("written by RaeenOS\n")).is_error());
    // Past direct and single indirect blocks with 1 KiB blocks (268 KiB), in uneven chunks.
    std::string big = test_pattern(700 * 1024 + 123, 1);
    std::uint32_t large = volume->create_file(Ext2::root_inode, "large.bin"_sv, attributes).value();
    for (std::size_t offset = 0; offset < big.size(); offset += 5000) {
        std::string chunk = big.substr(offset, 5000);
        ASSERT_FALSE(volume->write(large, offset, bytes_of(chunk)).is_error());
    }
    // Appending, and overwriting the middle.
    ASSERT_FALSE(volume->write(small, 19, bytes_of("and appended\n")).is_error());
    ASSERT_FALSE(volume->write(large, 1000, bytes_of("MIDDLE")).is_error());
    big.replace(1000, 6, "MIDDLE");
    // A sparse file: a hole, then data.
    std::uint32_t sparse = volume->create_file(Ext2::root_inode, "sparse.bin"_sv, attributes).value();
    ASSERT_FALSE(volume->write(sparse, 100'000, bytes_of("after the hole")).is_error());
    expect_clean();
    EXPECT_EQ(debugfs("cat /small.txt"), "written by RaeenOS\nand appended\n");
    EXPECT_EQ(debugfs("cat /large.bin"), big);
    EXPECT_EQ(debugfs("cat /sparse.bin"), std::string(100'000, '\0') + "after the hole");
    EXPECT_EQ(read_back("/large.bin"), big);
    std::string stat = debugfs("stat /small.txt");
    EXPECT_NE(stat.find("Mode:  0640"), std::string::npos) << stat;
    EXPECT_NE(stat.find("User:  1000"), std::string::npos) << stat;
    EXPECT_NE(stat.find("Group:   100"), std::string::npos) << stat;
    EXPECT_NE(stat.find("Size: 32"), std::string::npos) << stat;
}

TEST_P(Ext2Writing, directories_links_and_a_thousand_entries)
{
    std::uint32_t docs = volume->create_directory(Ext2::root_inode, "docs"_sv, { 0755, 0, 0 }).value();
    std::uint32_t deep = volume->create_directory(docs, "deep"_sv, { 0700, 0, 0 }).value();
    std::uint32_t note = volume->create_file(deep, "note"_sv, {}).value();
    ASSERT_FALSE(volume->write(note, 0, bytes_of("deep note")).is_error());
    ASSERT_FALSE(
        volume->create_symlink(Ext2::root_inode, "short-link"_sv, "docs/deep/note"_sv, {}).is_error());
    std::string long_target = "docs/" + std::string(70, 'y') + "/../deep/note";
    ASSERT_FALSE(
        volume->create_directory(docs, Core::StringView(std::string(70, 'y').c_str()), {}).is_error());
    ASSERT_FALSE(
        volume->create_symlink(Ext2::root_inode, "long-link"_sv, Core::StringView(long_target.c_str()), {})
            .is_error());
    std::uint32_t many = volume->create_directory(Ext2::root_inode, "many"_sv, {}).value();
    for (int index = 0; index < 1000; ++index) {
        std::string name = "entry-" + std::to_string(index);
        ASSERT_FALSE(volume->create_file(many, Core::StringView(name.c_str()), {}).is_error()) << index;
    }
    EXPECT_EQ(volume->create_file(many, "entry-7"_sv, {}).error().code(), ErrorCode::AlreadyExists);
    expect_clean();
    EXPECT_EQ(debugfs("cat /docs/deep/note"), "deep note");
    // debugfs shows a fast link's target and prints a slow one's as its contents.
    EXPECT_NE(debugfs("stat /short-link").find("Fast link dest: \"docs/deep/note\""), std::string::npos);
    EXPECT_EQ(debugfs("cat /long-link"), long_target);
    EXPECT_EQ(read_back("/long-link"), "deep note");
    EXPECT_EQ(read_back("/short-link"), "deep note");
    std::string listing = debugfs("ls /many");
    std::size_t entries = 0;
    for (std::size_t at = listing.find("entry-"); at != std::string::npos;
         at = listing.find("entry-", at + 1))
        ++entries;
    EXPECT_EQ(entries, 1000u) << listing;
    EXPECT_NE(debugfs("stat /docs").find("Links: 4"), std::string::npos)
        << "., docs' entry, deep's .., yyy's ..";
}

TEST_P(Ext2Writing, remove_truncate_and_rename_keep_the_volume_clean)
{
    std::uint32_t file = volume->create_file(Ext2::root_inode, "doomed.bin"_sv, {}).value();
    ASSERT_FALSE(volume->write(file, 0, bytes_of(test_pattern(400 * 1024, 2))).is_error());
    std::uint32_t trimmed = volume->create_file(Ext2::root_inode, "trimmed.bin"_sv, {}).value();
    std::string data = test_pattern(300 * 1024, 3);
    ASSERT_FALSE(volume->write(trimmed, 0, bytes_of(data)).is_error());
    std::uint32_t free_before = volume->superblock().free_block_count;
    ASSERT_FALSE(volume->remove(Ext2::root_inode, "doomed.bin"_sv).is_error());
    EXPECT_GT(volume->superblock().free_block_count, free_before + 400 * 1024 / GetParam())
        << "its data and indirect blocks came back";
    ASSERT_FALSE(volume->truncate(trimmed, 13'000).is_error());
    ASSERT_FALSE(volume->truncate(trimmed, 20'000).is_error()); // grows: a hole after byte 13,000
    // Rename in place, across directories, over an existing file, and a directory moved.
    ASSERT_FALSE(
        volume->rename(Ext2::root_inode, "host.txt"_sv, Ext2::root_inode, "renamed.txt"_sv).is_error());
    std::uint32_t target = volume->create_directory(Ext2::root_inode, "target"_sv, {}).value();
    ASSERT_FALSE(volume->rename(Ext2::root_inode, "renamed.txt"_sv, target, "moved.txt"_sv).is_error());
    std::uint32_t other = volume->create_file(target, "other.txt"_sv, {}).value();
    ASSERT_FALSE(volume->write(other, 0, bytes_of("replaced")).is_error());
    ASSERT_FALSE(volume->rename(target, "moved.txt"_sv, target, "other.txt"_sv).is_error());
    std::uint32_t old = resolve("/old");
    ASSERT_FALSE(volume->rename(Ext2::root_inode, "old"_sv, target, "old-moved"_sv).is_error());
    EXPECT_EQ(
        volume->rename(target, "old-moved"_sv, old, "inside"_sv).error().code(), ErrorCode::InvalidArgument);
    // Removing: a non-empty directory is refused, an empty one goes.
    EXPECT_EQ(volume->remove(Ext2::root_inode, "target"_sv).error().code(), ErrorCode::NotEmpty);
    ASSERT_FALSE(volume->create_directory(Ext2::root_inode, "empty"_sv, {}).is_error());
    ASSERT_FALSE(volume->remove(Ext2::root_inode, "empty"_sv).is_error());
    ASSERT_FALSE(volume->create_symlink(Ext2::root_inode, "gone"_sv, "nowhere"_sv, {}).is_error());
    ASSERT_FALSE(volume->remove(Ext2::root_inode, "gone"_sv).is_error());
    expect_clean();
    std::string expected = data.substr(0, 13'000) + std::string(7'000, '\0');
    EXPECT_EQ(debugfs("cat /trimmed.bin"), expected);
    EXPECT_EQ(read_back("/trimmed.bin"), expected);
    EXPECT_EQ(debugfs("cat /target/other.txt"), "from the host\n");
    EXPECT_EQ(debugfs("cat /target/old-moved/keep.txt"), "kept\n");
    EXPECT_EQ(read_back("/target/old-moved/../other.txt"), "from the host\n");
    EXPECT_NE(debugfs("cat /doomed.bin").find("not found"), std::string::npos);
    EXPECT_EQ(volume->resolve("/doomed.bin"_sv).error().code(), ErrorCode::NotFound);
}

TEST_P(Ext2Writing, a_change_marks_the_volume_in_use_until_it_is_marked_clean)
{
    ASSERT_FALSE(volume->create_file(Ext2::root_inode, "x"_sv, {}).is_error());
    TestSupport::write_image(image_path(), source->bytes);
    EXPECT_NE(debugfs("stats").find("Filesystem state:         not clean"), std::string::npos);
    ASSERT_FALSE(volume->mark_clean().is_error());
    TestSupport::write_image(image_path(), source->bytes);
    EXPECT_NE(debugfs("stats").find("Filesystem state:         clean"), std::string::npos);
}

TEST_P(Ext2Writing, hard_links_and_extended_attributes_made_on_the_host)
{
    // debugfs adds a second name for host.txt and an attribute block to old/keep.txt.
    change_on_the_host({ "ln /host.txt /hard", "sif /host.txt links_count 2",
        "ea_set /old/keep.txt user.note " + std::string(300, 'v') });
    ASSERT_NE(volume->read_inode(resolve("/old/keep.txt")).value().extended_attribute_block, 0u);
    // Renaming one name of an inode onto another of its names does nothing.
    ASSERT_FALSE(volume->rename(Ext2::root_inode, "hard"_sv, Ext2::root_inode, "host.txt"_sv).is_error());
    EXPECT_EQ(resolve("/hard"), resolve("/host.txt"));
    // Removing one name keeps the file; the last takes it.
    ASSERT_FALSE(volume->remove(Ext2::root_inode, "hard"_sv).is_error());
    EXPECT_EQ(read_back("/host.txt"), "from the host\n");
    EXPECT_EQ(volume->read_inode(resolve("/host.txt")).value().link_count, 1);
    // The attribute block goes with its last user.
    std::uint32_t free_before = volume->superblock().free_block_count;
    ASSERT_FALSE(volume->remove(resolve("/old"), "keep.txt"_sv).is_error());
    EXPECT_EQ(volume->superblock().free_block_count, free_before + 2)
        << "its data block and its attribute block";
    expect_clean();
}

TEST_P(Ext2Writing, a_full_volume_fails_cleanly)
{
    std::uint32_t file = volume->create_file(Ext2::root_inode, "filler"_sv, {}).value();
    std::string chunk = test_pattern(64 * 1024, 4);
    std::uint64_t offset = 0;
    for (;; offset += chunk.size()) {
        auto written = volume->write(file, offset, bytes_of(chunk));
        if (written.is_error()) {
            EXPECT_EQ(written.error().code(), ErrorCode::OutOfRange);
            break;
        }
        ASSERT_LT(offset, 64u << 20) << "the volume never filled";
    }
    EXPECT_EQ(volume->superblock().free_block_count, 0u);
    // Nothing can be made that needs a block, and a failed attempt leaves nothing behind.
    std::uint32_t free_inodes = volume->superblock().free_inode_count;
    EXPECT_EQ(
        volume->create_directory(Ext2::root_inode, "no-room"_sv, {}).error().code(), ErrorCode::OutOfRange);
    EXPECT_EQ(volume
                  ->create_symlink(
                      Ext2::root_inode, "no-room"_sv, Core::StringView(std::string(100, 'l').c_str()), {})
                  .error()
                  .code(),
        ErrorCode::OutOfRange);
    EXPECT_EQ(volume->superblock().free_inode_count, free_inodes);
    EXPECT_EQ(volume->resolve("/no-room"_sv).error().code(), ErrorCode::NotFound);
    expect_clean();
    // What was written before it filled is all there.
    Ext2::Inode filler = volume->read_inode(file).value();
    EXPECT_GE(filler.size, offset);
}

TEST_P(Ext2Writing, sizes_past_the_largest_file_are_refused_and_change_nothing)
{
    std::uint32_t file = volume->create_file(Ext2::root_inode, "limits"_sv, {}).value();
    EXPECT_EQ(volume->write(file, 1ull << 42, bytes_of("x")).error().code(), ErrorCode::OutOfRange);
    EXPECT_EQ(volume->truncate(file, 1ull << 42).error().code(), ErrorCode::OutOfRange);
    ASSERT_FALSE(volume->write(file, 1 << 20, Core::ReadonlyBytes()).is_error());
    EXPECT_EQ(volume->read_inode(file).value().size, 0u) << "an empty write changes no size";
    EXPECT_EQ(
        volume->create_symlink(Ext2::root_inode, "nul"_sv, Core::StringView("a\0b", 3), {}).error().code(),
        ErrorCode::InvalidArgument);
    expect_clean();
}

TEST_P(Ext2Writing, bad_requests_change_nothing)
{
    std::vector<std::uint8_t> before = source->bytes;
    EXPECT_EQ(volume->create_file(Ext2::root_inode, "a/b"_sv, {}).error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(volume->create_file(Ext2::root_inode, ".."_sv, {}).error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(volume->create_file(Ext2::root_inode, ""_sv, {}).error().code(), ErrorCode::InvalidArgument);
    std::string long_name(256, 'n');
    EXPECT_EQ(volume->create_file(Ext2::root_inode, Core::StringView(long_name.c_str()), {}).error().code(),
        ErrorCode::InvalidArgument);
    std::uint32_t host = resolve("/host.txt");
    EXPECT_EQ(volume->create_file(host, "x"_sv, {}).error().code(), ErrorCode::NotADirectory);
    EXPECT_EQ(volume->remove(Ext2::root_inode, "missing"_sv).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(volume->write(Ext2::root_inode, 0, bytes_of("x")).error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(volume->rename(Ext2::root_inode, "old"_sv, Ext2::root_inode, "host.txt"_sv).error().code(),
        ErrorCode::NotADirectory);
    EXPECT_EQ(volume->rename(Ext2::root_inode, "host.txt"_sv, Ext2::root_inode, "old"_sv).error().code(),
        ErrorCode::AlreadyExists);
    EXPECT_TRUE(source->bytes == before) << "a refused request wrote something";
    expect_clean();
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, Ext2Writing, testing::Values(1024, 4096));

} // namespace
