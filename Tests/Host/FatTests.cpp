// Tests for the FAT32 reader (Userland/FileSystems/Fat) against images Linux's mkfs.fat
// makes and mtools fills: long names (with non-ASCII letters), 8.3 names in either case, a
// file of many clusters, a directory of 300 entries, nested directories, a fragmented file;
// then images corrupted on purpose (chains that loop or leave the volume, bad boot sectors).

#include <Tests/Host/FileSystemTestSupport.h>
#include <Userland/FileSystems/Fat/FatVolume.h>
#include <gtest/gtest.h>
#include <string>

namespace {

namespace Fat = FileSystems::Fat;
using Core::ErrorCode;
using TestSupport::ImageSource;
using TestSupport::test_pattern;
using TestSupport::write_file;

std::string mtools(const std::string& arguments)
{
    return "LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1 " + arguments;
}

class FatImage : public testing::Test {
protected:
    static void SetUpTestSuite()
    {
        char directory[] = "/tmp/raeen-fat-XXXXXX";
        ASSERT_NE(mkdtemp(directory), nullptr);
        s_directory = directory;
        std::filesystem::path tree = s_directory / "tree";
        std::filesystem::create_directories(tree / "Many");
        std::filesystem::create_directories(tree / "Sub" / "Deeper");
        write_file(tree / "Hello World.txt", "Hello, FAT!\n");
        write_file(tree / "short.txt", "short\n");
        write_file(tree / "UPPER.TXT", "UP\n");
        write_file(tree / "Grüße.txt", "grüße\n");
        write_file(tree / "big.bin", test_pattern(300'000));
        for (int index = 0; index < 300; ++index)
            write_file(tree / "Many" / ("file" + std::to_string(index) + ".txt"), std::to_string(index));
        write_file(tree / "Sub" / "Deeper" / "deep.txt", "deep\n");
        std::filesystem::path image = s_directory / "fat.img";
        std::string output;
        std::ofstream(image).close();
        std::filesystem::resize_file(image, 40u << 20);
        ASSERT_EQ(TestSupport::run_command("mkfs.fat -F 32 -s 1 -n RAEEN " + image.string(), output), 0)
            << output;
        std::string copy = mtools("mcopy -s -i " + image.string());
        for (const char* name :
            { "Hello World.txt", "short.txt", "UPPER.TXT", "Grüße.txt", "big.bin", "Many", "Sub" })
            copy += " '" + (tree / name).string() + "'";
        ASSERT_EQ(TestSupport::run_command(copy + " ::/", output), 0) << output;
        // A fragmented file: written into the gaps two deleted files leave.
        write_file(tree / "a.bin", test_pattern(3000));
        write_file(tree / "b.bin", test_pattern(5000));
        write_file(tree / "c.bin", test_pattern(3000));
        for (const char* name : { "a.bin", "b.bin", "c.bin" })
            ASSERT_EQ(
                TestSupport::run_command(
                    mtools("mcopy -i " + image.string() + " " + (tree / name).string() + " ::/"), output),
                0)
                << output;
        ASSERT_EQ(
            TestSupport::run_command(mtools("mdel -i " + image.string() + " ::/a.bin ::/c.bin"), output), 0)
            << output;
        write_file(tree / "fragmented.bin", test_pattern(20'000));
        ASSERT_EQ(TestSupport::run_command(mtools("mcopy -i " + image.string() + " "
                                               + (tree / "fragmented.bin").string() + " ::/"),
                      output),
            0)
            << output;
        ASSERT_EQ(TestSupport::run_command("fsck.fat -n " + image.string(), output), 0) << output;
    }
    static void TearDownTestSuite() { std::filesystem::remove_all(s_directory); }

    void SetUp() override
    {
        source = std::make_unique<ImageSource>(TestSupport::read_image(s_directory / "fat.img"));
    }

    Fat::Volume open_volume()
    {
        auto volume = Fat::Volume::open(*source);
        EXPECT_FALSE(volume.is_error()) << (volume.is_error() ? volume.error().name() : "");
        return volume.release_value();
    }
    std::string read_whole(Fat::Volume& volume, const char* path)
    {
        auto entry = volume.resolve(Core::StringView(path));
        EXPECT_FALSE(entry.is_error()) << path;
        if (entry.is_error())
            return {};
        std::string data(entry.value().size, '\0');
        auto copied = volume.read(
            entry.value(), 0, Core::Bytes(reinterpret_cast<std::uint8_t*>(data.data()), data.size()));
        EXPECT_FALSE(copied.is_error()) << path;
        return data;
    }

    static inline std::filesystem::path s_directory;
    std::unique_ptr<ImageSource> source;
};

TEST_F(FatImage, boot_sector_matches_what_mkfs_fat_made)
{
    Fat::Volume volume = open_volume();
    const Fat::BootSector& boot = volume.boot_sector();
    EXPECT_EQ(boot.bytes_per_sector, 512);
    EXPECT_EQ(boot.sectors_per_cluster, 1);
    EXPECT_EQ(boot.fat_count, 2);
    EXPECT_EQ(boot.root_cluster, 2u);
    EXPECT_EQ(std::string(boot.label, 11), "RAEEN      ");
    EXPECT_EQ(std::uint64_t { boot.total_sectors } * 512, 40u << 20);
    EXPECT_GE(boot.cluster_count, 65525u);
}

TEST_F(FatImage, names_long_and_short_read_as_written)
{
    Fat::Volume volume = open_volume();
    std::vector<std::string> names;
    ASSERT_FALSE(volume
                     .for_each_entry(volume.root(),
                         [&](const Fat::Entry& entry) {
                             names.emplace_back(entry.name, entry.name_length);
                             return true;
                         })
                     .is_error());
    for (const char* expected : { "Hello World.txt", "short.txt", "UPPER.TXT", "Grüße.txt", "big.bin", "Many",
             "Sub", "b.bin", "fragmented.bin" })
        EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
    EXPECT_EQ(std::find(names.begin(), names.end(), "a.bin"), names.end()) << "deleted";
    EXPECT_EQ(std::find(names.begin(), names.end(), "RAEEN"), names.end()) << "the volume label is no file";
    // FAT matches names without regard to ASCII case.
    EXPECT_EQ(read_whole(volume, "/hello world.TXT"), "Hello, FAT!\n");
    EXPECT_EQ(read_whole(volume, "/Grüße.txt"), "grüße\n");
    EXPECT_EQ(read_whole(volume, "/upper.txt"), "UP\n");
}

TEST_F(FatImage, files_of_many_clusters_and_fragmented_ones_read_back)
{
    Fat::Volume volume = open_volume();
    EXPECT_EQ(read_whole(volume, "/big.bin"), test_pattern(300'000));
    EXPECT_EQ(read_whole(volume, "/fragmented.bin"), test_pattern(20'000));
    EXPECT_EQ(read_whole(volume, "/b.bin"), test_pattern(5000));
    Fat::Entry big = volume.resolve("/big.bin"_sv).value();
    std::vector<std::uint8_t> middle(3000);
    ASSERT_EQ(volume.read(big, 123'456, Core::Bytes(middle.data(), middle.size())).value(), 3000u);
    EXPECT_EQ(std::string(middle.begin(), middle.end()), test_pattern(300'000).substr(123'456, 3000));
    EXPECT_EQ(volume.read(big, 299'990, Core::Bytes(middle.data(), middle.size())).value(), 10u);
    EXPECT_EQ(volume.read(big, 400'000, Core::Bytes(middle.data(), middle.size())).value(), 0u);
}

TEST_F(FatImage, directories_nest_and_list_hundreds_of_entries)
{
    Fat::Volume volume = open_volume();
    Fat::Entry many = volume.resolve("/Many"_sv).value();
    EXPECT_TRUE(many.is_directory());
    int files = 0;
    int dots = 0;
    ASSERT_FALSE(volume
                     .for_each_entry(many,
                         [&](const Fat::Entry& entry) {
                             std::string name(entry.name, entry.name_length);
                             if (name == "." || name == "..")
                                 ++dots;
                             else if (name.rfind("file", 0) == 0)
                                 ++files;
                             return true;
                         })
                     .is_error());
    EXPECT_EQ(files, 300);
    EXPECT_EQ(dots, 2);
    EXPECT_EQ(read_whole(volume, "/Many/file299.txt"), "299");
    EXPECT_EQ(read_whole(volume, "/Sub/Deeper/deep.txt"), "deep\n");
    EXPECT_EQ(read_whole(volume, "/Sub/Deeper/../../Sub/./Deeper/deep.txt"), "deep\n");
    EXPECT_EQ(read_whole(volume, "/Sub/../Many/file0.txt"), "0");
    EXPECT_EQ(volume.resolve("/../big.bin"_sv).value().size, 300'000u);
}

TEST_F(FatImage, bad_paths_are_refused)
{
    Fat::Volume volume = open_volume();
    EXPECT_EQ(volume.resolve("/missing"_sv).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(volume.resolve("/big.bin/x"_sv).error().code(), ErrorCode::NotADirectory);
    EXPECT_EQ(volume.resolve("big.bin"_sv).error().code(), ErrorCode::InvalidArgument);
    Fat::Entry many = volume.resolve("/Many"_sv).value();
    std::uint8_t byte;
    EXPECT_EQ(volume.read(many, 0, Core::Bytes(&byte, 1)).error().code(), ErrorCode::InvalidArgument);
}

class FatCorruption : public FatImage {
protected:
    void put32(std::uint64_t offset, std::uint32_t value)
    {
        for (int index = 0; index < 4; ++index)
            source->bytes.at(offset + index) = static_cast<std::uint8_t>(value >> (8 * index));
    }
    std::uint64_t fat_entry(std::uint32_t cluster)
    {
        return open_volume().boot_sector().fat_offset + std::uint64_t { cluster } * 4;
    }
};

TEST_F(FatCorruption, boot_sectors_that_lie_are_refused)
{
    std::vector<std::uint8_t> pristine = source->bytes;
    auto open_error = [&]() { return Fat::Volume::open(*source).error().code(); };
    source->bytes[510] = 0;
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    source->bytes[11] = 0x00; // 0-byte sectors... of 256 bytes
    source->bytes[12] = 0x01;
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    source->bytes[13] = 3; // sectors per cluster not a power of two
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    source->bytes[17] = 0xE0; // a FAT16-style fixed root directory
    EXPECT_EQ(open_error(), ErrorCode::NotSupported);
    source->bytes = pristine;
    put32(44, 0xFFFF'FF00); // root cluster outside the data
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    put32(36, 1); // a FAT too small for the clusters
    EXPECT_EQ(open_error(), ErrorCode::Malformed);
    source->bytes = pristine;
    source->bytes.resize(20u << 20); // the device shorter than the volume
    EXPECT_EQ(open_error(), ErrorCode::OutOfRange);
}

TEST_F(FatCorruption, chains_that_loop_or_leave_the_volume_are_errors)
{
    std::uint32_t big_cluster = open_volume().resolve("/big.bin"_sv).value().first_cluster;
    put32(fat_entry(big_cluster + 5), big_cluster); // back to its start: a loop
    {
        // Read a cluster at a time in order, each read going on from where the last one
        // stopped, the loop is found all the same.
        Fat::Volume piecewise = open_volume();
        Fat::Entry big = piecewise.resolve("/big.bin"_sv).value();
        std::vector<std::uint8_t> piece(piecewise.boot_sector().cluster_size);
        ErrorCode found = ErrorCode::Count;
        for (std::uint64_t offset = 0; offset < big.size && found == ErrorCode::Count;
             offset += piece.size()) {
            auto read = piecewise.read(big, offset, Core::Bytes(piece.data(), piece.size()));
            if (read.is_error())
                found = read.error().code();
        }
        EXPECT_EQ(found, ErrorCode::Malformed);
    }
    Fat::Volume volume = open_volume();
    Fat::Entry big = volume.resolve("/big.bin"_sv).value();
    std::string data(big.size, '\0');
    // The loop is found (in steps proportional to where it closes), not followed.
    EXPECT_EQ(volume.read(big, 0, Core::Bytes(reinterpret_cast<std::uint8_t*>(data.data()), data.size()))
                  .error()
                  .code(),
        ErrorCode::Malformed);
    std::uint8_t byte;
    EXPECT_EQ(volume.read(big, 200'000, Core::Bytes(&byte, 1)).error().code(), ErrorCode::Malformed);
    put32(fat_entry(big_cluster + 5), 0x0FFF'FFF0); // a cluster past the data
    EXPECT_EQ(volume.read(big, 0, Core::Bytes(reinterpret_cast<std::uint8_t*>(data.data()), data.size()))
                  .error()
                  .code(),
        ErrorCode::Malformed);
    put32(fat_entry(big_cluster + 5), 0x0FFF'FFFF); // the chain ends too early
    EXPECT_EQ(volume.read(big, 0, Core::Bytes(reinterpret_cast<std::uint8_t*>(data.data()), data.size()))
                  .error()
                  .code(),
        ErrorCode::Malformed);
    // A directory whose chain loops: found at once, each entry listed once.
    std::uint32_t root = volume.boot_sector().root_cluster;
    put32(fat_entry(root), root);
    int seen = 0;
    auto listed = volume.for_each_entry(volume.root(), [&](const Fat::Entry&) {
        ++seen;
        return true;
    });
    ASSERT_TRUE(listed.is_error());
    EXPECT_EQ(listed.error().code(), ErrorCode::Malformed);
    EXPECT_LT(seen, 100);
}

} // namespace
