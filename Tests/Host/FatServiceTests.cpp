// The FAT service's backend (Userland/Services/Fat/FatBackend.cpp) on images mkfs.fat made and
// mtools filled, through the page cache, as the service runs it: then Linux's tools judge what
// it wrote (`fsck.fat -n` must find the image clean, mtools must read back exactly what was
// written). Also the node numbers it gives FAT's files, which have none of their own.

#include "FileSystemTestSupport.h"

#include <Userland/FileSystems/BlockCache.h>
#include <Userland/Services/Fat/FatBackend.h>
#include <algorithm>
#include <gtest/gtest.h>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Core::ErrorCode;
using FatService::FatBackend;
using FatService::NodeNumbers;
using FileSystem::NodeType;
using FileSystems::Fat::Location;
using TestSupport::test_pattern;

// 2023-11-14 22:13:20 UTC: an even second, which FAT's two-second times hold exactly.
constexpr Core::i64 host_time = 1'700'000'000;
constexpr Core::i64 service_time = 1'750'000'000;

Core::i64 service_clock()
{
    return service_time;
}

Core::ReadonlyBytes bytes_of(const std::string& text)
{
    return { reinterpret_cast<const std::uint8_t*>(text.data()), text.size() };
}

Core::StringView view_of(const std::string& text)
{
    return Core::StringView(text.data(), text.size());
}

template<typename T> ErrorCode error_of(const Core::Result<T>& result)
{
    return result.is_error() ? result.error().code() : ErrorCode::Count;
}

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);)
        lines.push_back(line);
    return lines;
}

// mtools with UTF-8 names, without its geometry checks, and in UTC (FAT keeps local times,
// which mtools converts with the time zone; the service writes UTC).
std::string mtools(const std::string& arguments)
{
    return "LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1 TZ=UTC " + arguments;
}

// A disk in memory, in 512-byte blocks.
class MemoryDevice final : public FileSystems::BlockDevice {
public:
    explicit MemoryDevice(std::vector<std::uint8_t> bytes)
        : data(std::move(bytes))
    {
    }
    std::uint32_t block_size() const override { return 512; }
    std::uint64_t block_count() const override { return data.size() / 512; }
    std::uint32_t maximum_transfer() const override { return 32 * 1024; }
    Core::Result<void> read_blocks(std::uint64_t first, Core::Bytes destination) override
    {
        if (first * 512 + destination.size() > data.size())
            return ErrorCode::OutOfRange;
        std::memcpy(destination.data(), data.data() + first * 512, destination.size());
        return {};
    }
    Core::Result<void> write_blocks(std::uint64_t first, Core::ReadonlyBytes source) override
    {
        if (first * 512 + source.size() > data.size())
            return ErrorCode::OutOfRange;
        std::memcpy(data.data() + first * 512, source.data(), source.size());
        return {};
    }
    Core::Result<void> flush() override
    {
        ++flushes;
        return {};
    }

    std::vector<std::uint8_t> data;
    int flushes { 0 };
};

struct Listing {
    std::vector<std::string> names;
    std::vector<std::uint64_t> nodes;
    std::vector<NodeType> types;
};

bool collect(void* context, std::uint64_t node, NodeType type, Core::StringView name)
{
    auto& listing = *static_cast<Listing*>(context);
    listing.names.emplace_back(name.characters(), name.length());
    listing.nodes.push_back(node);
    listing.types.push_back(type);
    return true;
}

class FatServiceTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char directory[] = "/tmp/raeen-fat-service-XXXXXX";
        ASSERT_NE(mkdtemp(directory), nullptr);
        m_directory = directory;
        std::filesystem::create_directories(m_directory / "tree");
        TestSupport::write_file(m_directory / "tree" / "hello.txt", "from the host\n");
        TestSupport::write_file(m_directory / "tree" / "A long file name.txt", "long\n");
        TestSupport::write_file(m_directory / "tree" / "big.bin", test_pattern(300000, 7));
        std::string output;
        // 40 MiB: FAT32 with 512-byte clusters (it needs 65,525 clusters at least).
        ASSERT_EQ(TestSupport::run_command("mkfs.fat -F 32 -C -n RAEEN " + image() + " 40960", output), 0)
            << output;
        for (const char* name : { "hello.txt", "A long file name.txt", "big.bin" })
            ASSERT_EQ(TestSupport::run_command("touch -d @" + std::to_string(host_time) + " '"
                              + (m_directory / "tree" / name).string() + "'",
                          output),
                0);
        for (const std::string& command :
            { "mmd -i " + image() + " ::/Sub", "mcopy -m -i " + image() + " '" + tree("hello.txt") + "' ::/",
                "mcopy -m -i " + image() + " '" + tree("A long file name.txt") + "' ::/",
                "mcopy -m -i " + image() + " '" + tree("big.bin") + "' ::/Sub/" })
            ASSERT_EQ(TestSupport::run_command(mtools(command), output), 0) << command << "\n" << output;
        m_device = std::make_unique<MemoryDevice>(TestSupport::read_image(image_path()));
        mount();
    }
    void TearDown() override
    {
        m_backend.reset();
        m_cache.reset();
        std::filesystem::remove_all(m_directory);
    }

    std::filesystem::path image_path() const { return m_directory / "fat.img"; }
    std::string image() const { return image_path().string(); }
    std::string tree(const std::string& name) const { return (m_directory / "tree" / name).string(); }

    // A new service on the device, as a new mount starts one (whatever the old one left
    // unwritten in its cache is lost, as in a crash).
    void mount(bool read_only = false)
    {
        m_backend.reset();
        auto cache = FileSystems::BlockCache::create(*m_device, 64);
        ASSERT_FALSE(cache.is_error());
        m_cache.reset(cache.value());
        auto backend = FatBackend::create(*m_cache, read_only, service_clock);
        ASSERT_FALSE(backend.is_error()) << backend.error().name();
        m_backend.reset(backend.value());
    }

    // Unmounts (everything written, the volume marked clean) and has fsck.fat check the image
    // without changing it: it must say nothing but its banner and its summary.
    void expect_clean()
    {
        ASSERT_FALSE(m_backend->sync(true).is_error());
        TestSupport::write_image(image_path(), m_device->data);
        std::string output;
        EXPECT_EQ(TestSupport::run_command("fsck.fat -n " + image(), output), 0) << output;
        EXPECT_EQ(lines_of(output).size(), 2u) << output;
    }
    // As expect_clean, for a volume a crash left: fsck.fat must say only that it was not
    // unmounted cleanly (FAT[1]'s bit, which only a check may set again).
    void expect_clean_but_for_the_crash()
    {
        ASSERT_FALSE(m_backend->sync(true).is_error());
        TestSupport::write_image(image_path(), m_device->data);
        std::string output;
        EXPECT_EQ(TestSupport::run_command("fsck.fat -n " + image(), output), 1) << output;
        std::vector<std::string> lines = lines_of(output);
        std::erase_if(lines, [](const std::string& line) {
            return line.empty() || line.starts_with("Dirty bit is set.")
                || line == " Automatically removing dirty bit." || line == "Leaving filesystem unchanged.";
        });
        EXPECT_EQ(lines.size(), 2u) << output;
    }
    // What mtools reads of the file at `path` (the image as expect_clean last wrote it).
    std::string host_read(const std::string& path)
    {
        std::filesystem::path copy = m_directory / "copied";
        std::filesystem::remove(copy);
        std::string output;
        EXPECT_EQ(TestSupport::run_command(
                      mtools("mcopy -n -i " + image() + " '::" + path + "' " + copy.string()), output),
            0)
            << path << ": " << output;
        if (!std::filesystem::exists(copy))
            return {};
        std::vector<std::uint8_t> bytes = TestSupport::read_image(copy);
        return std::string(bytes.begin(), bytes.end());
    }
    // The attribute flags mattrib shows for `path` ("  A    R"), as expect_clean last wrote
    // the image.
    std::string host_attributes(const std::string& path)
    {
        std::string output;
        EXPECT_EQ(TestSupport::run_command(mtools("mattrib -i " + image() + " '::" + path + "'"), output), 0)
            << path << ": " << output;
        return output.substr(0, output.find("::"));
    }
    // Every path mtools finds, recursively ("::/Sub/", "::/Sub/big.bin").
    std::vector<std::string> host_tree()
    {
        std::string output;
        EXPECT_EQ(TestSupport::run_command(mtools("mdir -/ -b -a -i " + image() + " ::/"), output), 0)
            << output;
        return lines_of(output);
    }

    std::uint64_t lookup(std::uint64_t directory, const std::string& name)
    {
        auto found = m_backend->lookup(directory, view_of(name));
        EXPECT_FALSE(found.is_error()) << name << ": " << (found.is_error() ? found.error().name() : "");
        return found.is_error() ? 0 : found.value();
    }
    std::uint64_t create(std::uint64_t directory, const std::string& name, NodeType type = NodeType::Regular)
    {
        auto made = m_backend->create(directory, view_of(name), type, 0644, {});
        EXPECT_FALSE(made.is_error()) << name << ": " << (made.is_error() ? made.error().name() : "");
        return made.is_error() ? 0 : made.value();
    }
    std::string read_all(std::uint64_t node)
    {
        auto attributes = m_backend->attributes(node);
        EXPECT_FALSE(attributes.is_error());
        if (attributes.is_error())
            return {};
        std::string data(attributes.value().size, '\0');
        auto got = m_backend->read(
            node, 0, Core::Bytes(reinterpret_cast<std::uint8_t*>(data.data()), data.size()));
        EXPECT_FALSE(got.is_error());
        EXPECT_EQ(got.is_error() ? 0 : got.value(), data.size());
        return data;
    }
    Listing list(std::uint64_t directory, std::uint64_t position = 0)
    {
        Listing listing;
        EXPECT_FALSE(m_backend->read_directory(directory, position, collect, &listing).is_error());
        return listing;
    }
    std::uint64_t free_clusters() { return m_backend->statistics().value().free_blocks; }

    std::filesystem::path m_directory;
    std::unique_ptr<MemoryDevice> m_device;
    std::unique_ptr<FileSystems::BlockCache> m_cache;
    std::unique_ptr<FatBackend> m_backend;
};

TEST_F(FatServiceTest, reads_the_hosts_files_through_the_cache)
{
    auto root = m_backend->root();
    EXPECT_FALSE(m_backend->read_only());
    std::uint64_t hello = lookup(root, "hello.txt");
    EXPECT_EQ(read_all(hello), "from the host\n");
    // Names match without regard to case, as FAT's do, and name the same node.
    EXPECT_EQ(lookup(root, "HELLO.TXT"), hello);
    EXPECT_EQ(read_all(lookup(root, "a LONG file NAME.txt")), "long\n");
    std::uint64_t sub = lookup(root, "sub");
    std::uint64_t big = lookup(sub, "big.bin");
    EXPECT_TRUE(read_all(big) == test_pattern(300000, 7));
    // A read from the middle, across clusters.
    char middle[1000];
    auto got
        = m_backend->read(big, 123457, Core::Bytes(reinterpret_cast<std::uint8_t*>(middle), sizeof(middle)));
    ASSERT_FALSE(got.is_error());
    EXPECT_EQ(std::string(middle, got.value()), test_pattern(300000, 7).substr(123457, 1000));
    EXPECT_EQ(error_of(m_backend->read(sub, 0, Core::Bytes())), ErrorCode::IsADirectory);
    EXPECT_EQ(error_of(m_backend->lookup(root, "missing"_sv)), ErrorCode::NotFound);
    EXPECT_EQ(error_of(m_backend->lookup(hello, "x"_sv)), ErrorCode::NotADirectory);
    // "." and "..", the root's included (it has no entries of its own for them).
    EXPECT_EQ(lookup(sub, ".."), root);
    EXPECT_EQ(lookup(sub, "."), sub);
    EXPECT_EQ(lookup(root, ".."), root);

    auto attributes = m_backend->attributes(big).value();
    EXPECT_EQ(attributes.type, static_cast<std::uint8_t>(NodeType::Regular));
    EXPECT_EQ(attributes.size, 300000u);
    EXPECT_EQ(attributes.mode, 0644u);
    EXPECT_EQ(attributes.links, 1u);
    EXPECT_EQ(attributes.node, big);
    EXPECT_EQ(attributes.modification_time, host_time);
    EXPECT_EQ(attributes.block_size, 512u);
    EXPECT_EQ(attributes.blocks, (300000u + 511) / 512);
    auto directory = m_backend->attributes(sub).value();
    EXPECT_EQ(directory.type, static_cast<std::uint8_t>(NodeType::Directory));
    EXPECT_EQ(directory.mode, 0755u);
    EXPECT_EQ(directory.size % 512, 0u);
    EXPECT_GT(directory.size, 0u);
    EXPECT_EQ(m_backend->attributes(root).value().type, static_cast<std::uint8_t>(NodeType::Directory));

    Listing listing = list(root);
    EXPECT_EQ(
        listing.names, (std::vector<std::string> { ".", "..", "Sub", "hello.txt", "A long file name.txt" }));
    EXPECT_EQ(listing.nodes[0], root);
    EXPECT_EQ(listing.nodes[1], root);
    EXPECT_EQ(listing.nodes[2], sub);
    EXPECT_EQ(listing.types[2], NodeType::Directory);
    EXPECT_EQ(listing.nodes[3], hello);
    // A listing resumed at a position gives the rest.
    EXPECT_EQ(list(root, 3).names, (std::vector<std::string> { "hello.txt", "A long file name.txt" }));
    Listing inside = list(sub);
    EXPECT_EQ(inside.names, (std::vector<std::string> { ".", "..", "big.bin" }));
    EXPECT_EQ(inside.nodes[0], sub);
    EXPECT_EQ(inside.nodes[1], root);
    EXPECT_EQ(inside.nodes[2], big);

    auto statistics = m_backend->statistics().value();
    EXPECT_EQ(statistics.block_size, 512u);
    EXPECT_GE(statistics.total_blocks, 65525u);
    EXPECT_LT(statistics.free_blocks, statistics.total_blocks);
    EXPECT_EQ(statistics.maximum_name, 255u);
}

TEST_F(FatServiceTest, what_it_writes_fsck_finds_clean_and_mtools_reads_back)
{
    auto root = m_backend->root();
    std::uint64_t made = create(root, "Made by RaeenOS", NodeType::Directory);
    std::uint64_t nested = create(made, "nested", NodeType::Directory);
    std::uint64_t data = create(made, "data.bin");
    std::string contents = test_pattern(500000, 11);
    // Uneven pieces, as a program's writes come.
    for (std::size_t offset = 0; offset < contents.size(); offset += 32000)
        ASSERT_FALSE(m_backend->write(data, offset, bytes_of(contents.substr(offset, 32000))).is_error());
    EXPECT_EQ(m_backend->attributes(data).value().modification_time, service_time);
    // Appended to a host file, and a host file overwritten in the middle.
    std::uint64_t hello = lookup(root, "hello.txt");
    ASSERT_FALSE(m_backend->write(hello, 14, bytes_of("and from RaeenOS\n")).is_error());
    std::uint64_t big = lookup(lookup(root, "Sub"), "big.bin");
    ASSERT_FALSE(m_backend->write(big, 1000, bytes_of("MIDDLE")).is_error());
    std::string big_contents = test_pattern(300000, 7).replace(1000, 6, "MIDDLE");
    // A file past its end (zeros between), then truncated both ways.
    std::uint64_t grown = create(nested, "grown");
    ASSERT_FALSE(m_backend->write(grown, 5000, bytes_of("end")).is_error());
    ASSERT_FALSE(m_backend->truncate(grown, 4000).is_error());
    ASSERT_FALSE(m_backend->truncate(grown, 6000).is_error());
    // Renames: in place, across directories, over an existing file.
    ASSERT_FALSE(m_backend->rename(root, "A long file name.txt"_sv, made, "renamed.txt"_sv).is_error());
    std::uint64_t over = create(root, "over");
    ASSERT_FALSE(m_backend->write(over, 0, bytes_of("to be replaced")).is_error());
    std::uint64_t replacing = create(root, "replacing");
    ASSERT_FALSE(m_backend->write(replacing, 0, bytes_of("the replacement")).is_error());
    ASSERT_FALSE(m_backend->rename(root, "replacing"_sv, root, "over"_sv).is_error());
    // Removes: a file, an empty directory, not a full one.
    std::uint64_t doomed = create(root, "doomed", NodeType::Directory);
    EXPECT_EQ(error_of(m_backend->remove(root, "Made by RaeenOS"_sv, false)), ErrorCode::NotEmpty);
    ASSERT_FALSE(m_backend->remove(root, "doomed"_sv, false).is_error());
    EXPECT_EQ(error_of(m_backend->attributes(doomed)), ErrorCode::NotFound);
    ASSERT_FALSE(m_backend->remove(root, "hello.txt"_sv, false).is_error());
    EXPECT_EQ(error_of(m_backend->attributes(hello)), ErrorCode::NotFound);
    // What FAT cannot hold.
    EXPECT_EQ(error_of(m_backend->create(root, "link"_sv, NodeType::Symlink, 0777, "over"_sv)),
        ErrorCode::NotSupported);
    EXPECT_EQ(error_of(m_backend->create(root, "what?"_sv, NodeType::Regular, 0644, {})),
        ErrorCode::InvalidArgument);
    EXPECT_EQ(
        error_of(m_backend->create(root, "OVER"_sv, NodeType::Regular, 0644, {})), ErrorCode::AlreadyExists);
    ASSERT_FALSE(m_backend->sync(false).is_error());
    EXPECT_GE(m_device->flushes, 1);
    expect_clean();

    EXPECT_TRUE(host_read("/Made by RaeenOS/data.bin") == contents);
    EXPECT_TRUE(host_read("/Sub/big.bin") == big_contents);
    EXPECT_EQ(host_read("/Made by RaeenOS/renamed.txt"), "long\n");
    EXPECT_EQ(host_read("/over"), "the replacement");
    EXPECT_EQ(host_read("/Made by RaeenOS/nested/grown"), std::string(6000, '\0'));
    std::vector<std::string> paths = host_tree();
    std::sort(paths.begin(), paths.end());
    EXPECT_EQ(paths,
        (std::vector<std::string> { "::/Made by RaeenOS/", "::/Made by RaeenOS/data.bin",
            "::/Made by RaeenOS/nested/", "::/Made by RaeenOS/nested/grown", "::/Made by RaeenOS/renamed.txt",
            "::/Sub/", "::/Sub/big.bin", "::/over" }));
    // The node numbers outlived the changes around them.
    EXPECT_EQ(lookup(root, "Made by RaeenOS"), made);
    EXPECT_EQ(lookup(made, "data.bin"), data);
    EXPECT_EQ(lookup(root, "over"), replacing);
    EXPECT_EQ(error_of(m_backend->attributes(over)), ErrorCode::NotFound);
}

TEST_F(FatServiceTest, node_numbers_stay_with_their_files_across_renames_and_are_never_reused)
{
    auto root = m_backend->root();
    std::uint64_t first = create(root, "first");
    std::uint64_t directory = create(root, "directory", NodeType::Directory);
    std::uint64_t inside = create(directory, "inside");
    ASSERT_FALSE(m_backend->write(inside, 0, bytes_of("inside")).is_error());
    EXPECT_NE(first, directory);
    EXPECT_NE(directory, inside);
    // Renamed in place, with a long name (which moves its entry), and across directories.
    ASSERT_FALSE(m_backend->rename(root, "first"_sv, root, "the first file, renamed"_sv).is_error());
    EXPECT_EQ(lookup(root, "the first file, renamed"), first);
    EXPECT_EQ(error_of(m_backend->lookup(root, "first"_sv)), ErrorCode::NotFound);
    ASSERT_FALSE(m_backend->rename(root, "the first file, renamed"_sv, directory, "moved"_sv).is_error());
    EXPECT_EQ(lookup(directory, "moved"), first);
    // A directory moved carries its entries (and their numbers) along.
    std::uint64_t parent = create(root, "parent", NodeType::Directory);
    ASSERT_FALSE(m_backend->rename(root, "directory"_sv, parent, "child"_sv).is_error());
    EXPECT_EQ(lookup(parent, "child"), directory);
    EXPECT_EQ(lookup(directory, "inside"), inside);
    EXPECT_EQ(lookup(directory, ".."), parent);
    EXPECT_EQ(read_all(inside), "inside");
    // Case only: FAT takes it for the same name, and nothing changes.
    ASSERT_FALSE(m_backend->rename(directory, "inside"_sv, directory, "INSIDE"_sv).is_error());
    EXPECT_EQ(lookup(directory, "inside"), inside);
    // A removed file's slot taken by a new one: a new number, the old one names nothing.
    ASSERT_FALSE(m_backend->remove(directory, "inside"_sv, false).is_error());
    std::uint64_t successor = create(directory, "inside");
    EXPECT_NE(successor, inside);
    EXPECT_EQ(error_of(m_backend->attributes(inside)), ErrorCode::NotFound);
    EXPECT_EQ(error_of(m_backend->write(inside, 0, bytes_of("x"))), ErrorCode::NotFound);
    EXPECT_EQ(error_of(m_backend->attributes(12345678)), ErrorCode::NotFound);
    // A new mount numbers the files anew, each the same way throughout.
    expect_clean();
    mount();
    std::uint64_t again = lookup(lookup(lookup(root, "parent"), "child"), "moved");
    EXPECT_EQ(lookup(lookup(lookup(root, "PARENT"), "Child"), "moved"), again);
    EXPECT_EQ(read_all(again), "");
}

TEST(FatNodeNumbers, a_table_of_many_entries_keeps_each_number_to_its_location)
{
    NodeNumbers numbers;
    std::vector<std::uint64_t> given;
    for (std::uint32_t index = 0; index < 5000; ++index) {
        auto number = numbers.number_at(Location { 2 + index / 100, index % 100 });
        ASSERT_FALSE(number.is_error());
        given.push_back(number.value());
    }
    for (std::uint32_t index = 0; index < 5000; ++index) {
        EXPECT_EQ(numbers.number_at(Location { 2 + index / 100, index % 100 }).value(), given[index]);
        EXPECT_TRUE(numbers.location_of(given[index]).value() == (Location { 2 + index / 100, index % 100 }));
    }
    EXPECT_EQ(numbers.count(), 5000u);
    EXPECT_EQ(numbers.number_at(Location {}).value(), NodeNumbers::root);
    std::sort(given.begin(), given.end());
    EXPECT_EQ(std::adjacent_find(given.begin(), given.end()), given.end());
    // Moved onto a numbered place: that place's number ends.
    std::uint64_t moved = numbers.number_at(Location { 2, 0 }).value();
    std::uint64_t replaced = numbers.number_at(Location { 2, 1 }).value();
    numbers.move(moved, Location { 2, 1 });
    EXPECT_EQ(numbers.number_at(Location { 2, 1 }).value(), moved);
    EXPECT_EQ(error_of(numbers.location_of(replaced)), ErrorCode::NotFound);
    EXPECT_FALSE(numbers.find(Location { 2, 0 }).has_value());
    // Forgotten, then the place taken again: a new number.
    numbers.forget(Location { 2, 1 });
    EXPECT_EQ(error_of(numbers.location_of(moved)), ErrorCode::NotFound);
    std::uint64_t successor = numbers.number_at(Location { 2, 1 }).value();
    EXPECT_NE(successor, moved);
    EXPECT_NE(successor, replaced);
    EXPECT_EQ(numbers.count(), 4999u);
}

TEST_F(FatServiceTest, a_file_removed_while_open_stays_until_released)
{
    auto root = m_backend->root();
    std::uint64_t sub = lookup(root, "Sub");
    auto free_at_start = free_clusters();
    std::uint64_t open = create(sub, "open");
    std::string contents = test_pattern(20000, 1);
    ASSERT_FALSE(m_backend->write(open, 0, bytes_of(contents)).is_error());
    ASSERT_FALSE(m_backend->remove(sub, "open"_sv, true).is_error());
    EXPECT_EQ(error_of(m_backend->lookup(sub, "open"_sv)), ErrorCode::NotFound);
    // Nowhere to be seen, and its directory can go.
    EXPECT_EQ(list(root).names,
        (std::vector<std::string> { ".", "..", "Sub", "hello.txt", "A long file name.txt" }));
    std::string orphan = ".raeenos-orphan-" + std::to_string(open);
    EXPECT_EQ(error_of(m_backend->lookup(root, view_of(orphan))), ErrorCode::NotFound);
    EXPECT_EQ(error_of(m_backend->create(root, view_of(orphan), NodeType::Regular, 0644, {})),
        ErrorCode::InvalidArgument);
    // The name is free again at once; the open file still reads and grows.
    std::uint64_t successor = create(sub, "open");
    EXPECT_NE(successor, open);
    EXPECT_TRUE(read_all(open) == contents);
    ASSERT_FALSE(m_backend->write(open, contents.size(), bytes_of("more")).is_error());
    EXPECT_EQ(m_backend->attributes(open).value().size, contents.size() + 4);
    // Its 40 clusters are still its own.
    EXPECT_EQ(free_clusters(), free_at_start - 40);
    // What a crash now would leave: fsck.fat finds nothing wrong, a file under the orphan's
    // name in the root.
    expect_clean();
    std::vector<std::string> paths = host_tree();
    EXPECT_NE(std::find(paths.begin(), paths.end(), "::/" + orphan), paths.end());
    EXPECT_EQ(host_read("/" + orphan), contents + "more");
    ASSERT_FALSE(m_backend->release(open).is_error());
    EXPECT_EQ(error_of(m_backend->attributes(open)), ErrorCode::NotFound);
    EXPECT_EQ(free_clusters(), free_at_start);
    ASSERT_FALSE(m_backend->remove(sub, "open"_sv, false).is_error());
    ASSERT_FALSE(m_backend->remove(sub, "big.bin"_sv, false).is_error());
    ASSERT_FALSE(m_backend->remove(root, "Sub"_sv, false).is_error());
    expect_clean();
    paths = host_tree();
    EXPECT_EQ(paths.size(), 2u);
}

TEST_F(FatServiceTest, the_next_mount_removes_what_a_crash_left_open_and_removed)
{
    auto root = m_backend->root();
    std::uint64_t first = create(root, "first");
    ASSERT_FALSE(m_backend->write(first, 0, bytes_of(test_pattern(9000, 2))).is_error());
    std::uint64_t second = create(lookup(root, "Sub"), "second");
    ASSERT_FALSE(m_backend->write(second, 0, bytes_of("second")).is_error());
    auto free_before = free_clusters();
    ASSERT_FALSE(m_backend->remove(root, "first"_sv, true).is_error());
    ASSERT_FALSE(m_backend->remove(lookup(root, "Sub"), "second"_sv, true).is_error());
    // The service ends without releasing them (the VFS went away: synced, not marked clean).
    ASSERT_FALSE(m_backend->sync(false).is_error());
    mount();
    EXPECT_EQ(free_clusters(), free_before + 18 + 1);
    expect_clean_but_for_the_crash();
    std::vector<std::string> paths = host_tree();
    std::sort(paths.begin(), paths.end());
    EXPECT_EQ(paths,
        (std::vector<std::string> {
            "::/A long file name.txt", "::/Sub/", "::/Sub/big.bin", "::/hello.txt" }));
}

TEST_F(FatServiceTest, a_full_volume_is_no_space_and_stays_consistent)
{
    auto root = m_backend->root();
    std::uint64_t filler = create(root, "filler");
    std::string chunk = test_pattern(32768, 3);
    Core::Result<void> written {};
    std::uint64_t offset = 0;
    for (int index = 0; index < 2000 && !written.is_error(); ++index, offset += chunk.size())
        written = m_backend->write(filler, offset, bytes_of(chunk));
    ASSERT_TRUE(written.is_error());
    EXPECT_EQ(written.error().code(), ErrorCode::NoSpace);
    // What fits still goes in, to the last cluster; then nothing does.
    offset -= chunk.size();
    std::uint64_t left = free_clusters() * 512;
    ASSERT_FALSE(m_backend->write(filler, offset, bytes_of(chunk.substr(0, left))).is_error());
    EXPECT_EQ(free_clusters(), 0u);
    EXPECT_EQ(error_of(m_backend->write(filler, offset + left, bytes_of("x"))), ErrorCode::NoSpace);
    // A directory needs a cluster of its own; a file's entry fits the root's free slots.
    EXPECT_EQ(
        error_of(m_backend->create(root, "directory"_sv, NodeType::Directory, 0755, {})), ErrorCode::NoSpace);
    EXPECT_EQ(m_backend->attributes(filler).value().size, offset + left);
    expect_clean();
    EXPECT_EQ(host_read("/filler").size(), offset + left);
}

TEST_F(FatServiceTest, modes_and_times_are_what_fat_holds)
{
    auto root = m_backend->root();
    std::uint64_t file = create(root, "file");
    // FAT keeps no permissions but read-only: a file is 0644 or 0444, a directory 0755, and
    // any other mode is refused, changing nothing.
    EXPECT_FALSE(m_backend->set_mode(file, 0644).is_error());
    EXPECT_FALSE(m_backend->set_mode(file, 0444).is_error());
    EXPECT_EQ(m_backend->attributes(file).value().mode, 0444u);
    EXPECT_EQ(error_of(m_backend->set_mode(file, 0600)), ErrorCode::NotSupported);
    EXPECT_EQ(error_of(m_backend->set_mode(file, 0751)), ErrorCode::NotSupported);
    EXPECT_EQ(m_backend->attributes(file).value().mode, 0444u);
    expect_clean();
    EXPECT_NE(host_attributes("/file").find('R'), std::string::npos);
    EXPECT_FALSE(m_backend->set_mode(file, 0644).is_error());
    EXPECT_EQ(m_backend->attributes(file).value().mode, 0644u);
    EXPECT_FALSE(m_backend->set_mode(root, 0755).is_error());
    EXPECT_EQ(error_of(m_backend->set_mode(root, 0555)), ErrorCode::NotSupported);
    // The modification time, to FAT's two seconds; the access time goes with it.
    ASSERT_FALSE(m_backend->set_times(file, 1'000'000'000, 1'234'567'891).is_error());
    auto attributes = m_backend->attributes(file).value();
    EXPECT_EQ(attributes.modification_time, 1'234'567'890);
    EXPECT_EQ(attributes.access_time, 1'234'567'890);
    // Times FAT cannot hold are clamped to its range, 1980 to 2107.
    ASSERT_FALSE(m_backend->set_times(file, 0, 0).is_error());
    EXPECT_EQ(m_backend->attributes(file).value().modification_time, 315'532'800);
    // A directory's too (its entry's write time); the root has no entry to hold any.
    ASSERT_FALSE(m_backend->set_times(lookup(root, "Sub"), 0, 1'300'000'000).is_error());
    EXPECT_EQ(m_backend->attributes(lookup(root, "Sub")).value().modification_time, 1'300'000'000);
    EXPECT_EQ(error_of(m_backend->set_times(root, 0, 0)), ErrorCode::NotSupported);
    ASSERT_FALSE(m_backend->set_times(file, 0, 1'234'567'890).is_error());
    expect_clean();
    std::string output;
    ASSERT_EQ(TestSupport::run_command(mtools("mdir -i " + image() + " ::/file"), output), 0) << output;
    EXPECT_NE(output.find("2009-02-13  23:31"), std::string::npos) << output;
    ASSERT_EQ(TestSupport::run_command(mtools("mdir -i " + image() + " ::/"), output), 0) << output;
    EXPECT_NE(output.find("2011-03-13   7:06"), std::string::npos) << output;
    // A time decoded: fields out of range read as FAT's earliest.
    EXPECT_EQ(FatBackend::unix_time((45 << 9) | (6 << 5) | 15, (15 << 11) | (6 << 5) | 20), 1'750'000'000);
    EXPECT_EQ(FatBackend::unix_time(0, 0), 315'532'800);
}

TEST_F(FatServiceTest, a_read_only_mount_reads_but_changes_nothing)
{
    mount(true);
    EXPECT_TRUE(m_backend->read_only());
    EXPECT_EQ(read_all(lookup(m_backend->root(), "hello.txt")), "from the host\n");
    auto before = m_device->data;
    ASSERT_FALSE(m_backend->sync(true).is_error());
    EXPECT_TRUE(m_device->data == before);
}

} // namespace
