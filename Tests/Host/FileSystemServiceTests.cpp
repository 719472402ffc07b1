// The file system services' pure parts: the page cache (BlockCache) against a device in
// memory that counts its requests, tmpfs through the Backend interface, and the ext2 backend
// on mke2fs images through the page cache, checked with e2fsck and debugfs afterwards.

#include "FileSystemTestSupport.h"

#include <Userland/FileSystems/BlockCache.h>
#include <Userland/Services/Ext2/Ext2Backend.h>
#include <Userland/Services/Tmpfs/TmpfsBackend.h>
#include <algorithm>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using Core::ErrorCode;
using FileSystem::NodeType;
using TestSupport::test_pattern;

// A disk in memory that counts its requests, and can be told to fail.
class MemoryDevice final : public FileSystems::BlockDevice {
public:
    MemoryDevice(std::size_t bytes, std::uint32_t block_size)
        : data(bytes)
        , m_block_size(block_size)
    {
    }
    std::uint32_t block_size() const override { return m_block_size; }
    std::uint64_t block_count() const override { return data.size() / m_block_size; }
    std::uint32_t maximum_transfer() const override { return 32 * 1024; }
    Core::Result<void> read_blocks(std::uint64_t first, Core::Bytes destination) override
    {
        ++reads;
        EXPECT_EQ(destination.size() % m_block_size, 0u);
        EXPECT_LE(destination.size(), 32u * 1024);
        if (failing)
            return ErrorCode::Malformed;
        std::uint64_t offset = first * m_block_size;
        if (offset + destination.size() > data.size())
            return ErrorCode::OutOfRange;
        std::memcpy(destination.data(), data.data() + offset, destination.size());
        return {};
    }
    Core::Result<void> write_blocks(std::uint64_t first, Core::ReadonlyBytes source) override
    {
        ++writes;
        EXPECT_EQ(source.size() % m_block_size, 0u);
        if (failing)
            return ErrorCode::Malformed;
        std::uint64_t offset = first * m_block_size;
        if (offset + source.size() > data.size())
            return ErrorCode::OutOfRange;
        std::memcpy(data.data() + offset, source.data(), source.size());
        return {};
    }
    Core::Result<void> flush() override
    {
        ++flushes;
        return {};
    }

    std::vector<std::uint8_t> data;
    int reads { 0 };
    int writes { 0 };
    int flushes { 0 };
    bool failing { false };

private:
    std::uint32_t m_block_size;
};

std::unique_ptr<FileSystems::BlockCache> make_cache(MemoryDevice& device, std::uint32_t pages)
{
    auto cache = FileSystems::BlockCache::create(device, pages);
    EXPECT_FALSE(cache.is_error());
    return std::unique_ptr<FileSystems::BlockCache>(cache.is_error() ? nullptr : cache.value());
}

TEST(BlockCache, reads_what_the_device_holds_and_serves_it_again_from_memory)
{
    MemoryDevice device(1 << 20, 512);
    std::string pattern = test_pattern(device.data.size(), 3);
    std::memcpy(device.data.data(), pattern.data(), pattern.size());
    auto cache = make_cache(device, 64);
    std::vector<std::uint8_t> buffer(10000);
    ASSERT_FALSE(cache->read(12345, Core::Bytes(buffer.data(), buffer.size())).is_error());
    EXPECT_EQ(0, std::memcmp(buffer.data(), pattern.data() + 12345, buffer.size()));
    int reads = device.reads;
    EXPECT_GE(reads, 1);
    // Read-ahead: a miss brought the next pages in with it, in one request.
    EXPECT_LE(reads, 2);
    ASSERT_FALSE(cache->read(12345, Core::Bytes(buffer.data(), buffer.size())).is_error());
    EXPECT_EQ(device.reads, reads);
    EXPECT_EQ(0, std::memcmp(buffer.data(), pattern.data() + 12345, buffer.size()));
    EXPECT_GT(cache->counters().hits, 0u);
}

TEST(BlockCache, a_cache_smaller_than_the_data_still_reads_it_right)
{
    MemoryDevice device(1 << 20, 512);
    std::string pattern = test_pattern(device.data.size(), 5);
    std::memcpy(device.data.data(), pattern.data(), pattern.size());
    auto cache = make_cache(device, 9);
    std::vector<std::uint8_t> buffer(4096);
    // Twice over the whole disk, in an order that evicts all the time.
    for (int round = 0; round < 2; ++round) {
        for (std::uint64_t offset = 0; offset + buffer.size() <= device.data.size();
             offset += 4096 * 7 % 65536 + 1000) {
            ASSERT_FALSE(cache->read(offset, Core::Bytes(buffer.data(), buffer.size())).is_error());
            ASSERT_EQ(0, std::memcmp(buffer.data(), pattern.data() + offset, buffer.size())) << offset;
        }
    }
}

TEST(BlockCache, writes_stay_in_memory_until_flushed_and_reads_see_them_at_once)
{
    MemoryDevice device(256 * 1024, 512);
    auto cache = make_cache(device, 16);
    std::string first = test_pattern(700, 1);
    // A partial page not cached: the page is read first, then changed in memory.
    ASSERT_FALSE(
        cache
            ->write(
                1000, Core::ReadonlyBytes(reinterpret_cast<const std::uint8_t*>(first.data()), first.size()))
            .is_error());
    EXPECT_EQ(device.writes, 0);
    EXPECT_EQ(cache->dirty_pages(), 1u);
    std::vector<std::uint8_t> back(first.size());
    ASSERT_FALSE(cache->read(1000, Core::Bytes(back.data(), back.size())).is_error());
    EXPECT_EQ(0, std::memcmp(back.data(), first.data(), first.size()));
    // Two whole pages side by side: no read, and one request for both on flush.
    std::string pages = test_pattern(8192, 9);
    int reads = device.reads;
    ASSERT_FALSE(
        cache
            ->write(
                8192, Core::ReadonlyBytes(reinterpret_cast<const std::uint8_t*>(pages.data()), pages.size()))
            .is_error());
    EXPECT_EQ(device.reads, reads);
    EXPECT_EQ(cache
                  ->write(device.data.size() - 10,
                      Core::ReadonlyBytes(reinterpret_cast<const std::uint8_t*>(pages.data()), 20))
                  .error()
                  .code(),
        ErrorCode::OutOfRange);
    ASSERT_FALSE(cache->flush().is_error());
    EXPECT_EQ(device.flushes, 1);
    EXPECT_EQ(device.writes, 2);
    EXPECT_EQ(cache->dirty_pages(), 0u);
    EXPECT_EQ(0, std::memcmp(device.data.data() + 1000, first.data(), first.size()));
    EXPECT_EQ(0, std::memcmp(device.data.data() + 8192, pages.data(), pages.size()));
}

TEST(BlockCache, a_dirty_page_is_written_back_before_its_memory_is_reused)
{
    MemoryDevice device(1 << 20, 512);
    auto cache = make_cache(device, 9);
    std::string pattern = test_pattern(device.data.size(), 12);
    // Far more pages than the cache holds, one at a time.
    for (std::size_t offset = 0; offset < pattern.size(); offset += 4096)
        ASSERT_FALSE(
            cache
                ->write(offset,
                    Core::ReadonlyBytes(reinterpret_cast<const std::uint8_t*>(pattern.data()) + offset, 4096))
                .is_error());
    ASSERT_FALSE(cache->flush().is_error());
    EXPECT_TRUE(std::memcmp(device.data.data(), pattern.data(), pattern.size()) == 0);
}

TEST(BlockCache, a_failing_device_gives_errors_and_keeps_what_it_could_not_write)
{
    MemoryDevice device(64 * 1024, 512);
    auto cache = make_cache(device, 9);
    std::vector<std::uint8_t> buffer(512);
    ASSERT_FALSE(cache->read(0, Core::Bytes(buffer.data(), buffer.size())).is_error());
    std::string data = test_pattern(512, 2);
    ASSERT_FALSE(
        cache->write(0, Core::ReadonlyBytes(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()))
            .is_error());
    device.failing = true;
    // A flush that fails keeps the page dirty, for the next one to write.
    EXPECT_TRUE(cache->flush().is_error());
    EXPECT_EQ(cache->dirty_pages(), 1u);
    EXPECT_TRUE(cache->read(40000, Core::Bytes(buffer.data(), buffer.size())).is_error());
    device.failing = false;
    ASSERT_FALSE(cache->flush().is_error());
    EXPECT_EQ(cache->dirty_pages(), 0u);
    EXPECT_EQ(0, std::memcmp(device.data.data(), data.data(), data.size()));
}

// ---- tmpfs ---------------------------------------------------------------------------------

Core::i64 fixed_clock()
{
    return 1700000000;
}

struct Listing {
    std::vector<std::string> names;
};

bool collect(void* context, std::uint64_t, NodeType, Core::StringView name)
{
    static_cast<Listing*>(context)->names.emplace_back(name.characters(), name.length());
    return true;
}

Core::ReadonlyBytes bytes_of(const std::string& text)
{
    return { reinterpret_cast<const std::uint8_t*>(text.data()), text.size() };
}

std::string read_all(FileSystem::Backend& backend, std::uint64_t node)
{
    auto attributes = backend.attributes(node);
    EXPECT_FALSE(attributes.is_error());
    std::string data(attributes.value().size, '\0');
    auto got = backend.read(node, 0, Core::Bytes(reinterpret_cast<std::uint8_t*>(data.data()), data.size()));
    EXPECT_FALSE(got.is_error());
    EXPECT_EQ(got.value(), data.size());
    return data;
}

TEST(Tmpfs, files_directories_and_links_as_the_backend_promises)
{
    auto made = Tmpfs::TmpfsBackend::create(1 << 20, fixed_clock);
    ASSERT_FALSE(made.is_error());
    std::unique_ptr<Tmpfs::TmpfsBackend> tmpfs(made.value());
    auto root = tmpfs->root();
    auto directory = tmpfs->create(root, "dir"_sv, NodeType::Directory, 0755, {});
    ASSERT_FALSE(directory.is_error());
    auto file = tmpfs->create(directory.value(), "file"_sv, NodeType::Regular, 0644, {});
    ASSERT_FALSE(file.is_error());
    EXPECT_EQ(tmpfs->create(directory.value(), "file"_sv, NodeType::Regular, 0644, {}).error().code(),
        ErrorCode::AlreadyExists);
    // Written in pieces past a hole; read back whole.
    std::string first = test_pattern(100000, 4);
    ASSERT_FALSE(tmpfs->write(file.value(), 0, bytes_of(first)).is_error());
    ASSERT_FALSE(tmpfs->write(file.value(), 200000, bytes_of("end")).is_error());
    std::string whole = read_all(*tmpfs, file.value());
    ASSERT_EQ(whole.size(), 200003u);
    EXPECT_TRUE(whole.substr(0, first.size()) == first);
    EXPECT_TRUE(whole.substr(first.size(), 100000) == std::string(100000, '\0'));
    EXPECT_EQ(whole.substr(200000), "end");
    EXPECT_EQ(tmpfs->attributes(file.value()).value().modification_time, fixed_clock());
    ASSERT_FALSE(tmpfs->truncate(file.value(), 10).is_error());
    EXPECT_EQ(read_all(*tmpfs, file.value()), first.substr(0, 10));
    // "." and ".." in lookups and listings.
    EXPECT_EQ(tmpfs->lookup(directory.value(), ".."_sv).value(), root);
    EXPECT_EQ(tmpfs->lookup(root, ".."_sv).value(), root);
    Listing listing;
    ASSERT_FALSE(tmpfs->read_directory(directory.value(), 0, collect, &listing).is_error());
    EXPECT_EQ(listing.names, (std::vector<std::string> { ".", "..", "file" }));
    // Removing a directory that is not empty; renaming into itself.
    EXPECT_EQ(tmpfs->remove(root, "dir"_sv, false).error().code(), ErrorCode::NotEmpty);
    EXPECT_EQ(tmpfs->rename(root, "dir"_sv, directory.value(), "inside"_sv).error().code(),
        ErrorCode::InvalidArgument);
    // A symbolic link's target.
    auto link = tmpfs->create(root, "link"_sv, NodeType::Symlink, 0777, "dir/file"_sv);
    ASSERT_FALSE(link.is_error());
    char target[32];
    auto length = tmpfs->read_link(
        link.value(), Core::Bytes(reinterpret_cast<std::uint8_t*>(target), sizeof(target)));
    ASSERT_FALSE(length.is_error());
    EXPECT_EQ(std::string(target, length.value()), "dir/file");
    // Link counts follow directories.
    EXPECT_EQ(tmpfs->attributes(root).value().links, 3u);
    ASSERT_FALSE(tmpfs->rename(directory.value(), "file"_sv, root, "moved"_sv).is_error());
    ASSERT_FALSE(tmpfs->remove(root, "dir"_sv, false).is_error());
    EXPECT_EQ(tmpfs->attributes(root).value().links, 2u);
    EXPECT_EQ(tmpfs->attributes(directory.value()).error().code(), ErrorCode::NotFound);
}

TEST(Tmpfs, a_kept_file_lives_until_it_is_released_and_the_capacity_holds)
{
    auto made = Tmpfs::TmpfsBackend::create(64 * 1024, fixed_clock);
    ASSERT_FALSE(made.is_error());
    std::unique_ptr<Tmpfs::TmpfsBackend> tmpfs(made.value());
    auto file = tmpfs->create(tmpfs->root(), "open"_sv, NodeType::Regular, 0644, {});
    ASSERT_FALSE(tmpfs->write(file.value(), 0, bytes_of("data")).is_error());
    ASSERT_FALSE(tmpfs->remove(tmpfs->root(), "open"_sv, true).is_error());
    EXPECT_EQ(tmpfs->lookup(tmpfs->root(), "open"_sv).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(read_all(*tmpfs, file.value()), "data");
    ASSERT_FALSE(tmpfs->release(file.value()).is_error());
    EXPECT_EQ(tmpfs->attributes(file.value()).error().code(), ErrorCode::NotFound);
    // 64 KiB of room: a write past it is refused whole, and nothing is charged for it.
    auto big = tmpfs->create(tmpfs->root(), "big"_sv, NodeType::Regular, 0644, {});
    std::string data = test_pattern(70000, 1);
    EXPECT_EQ(tmpfs->write(big.value(), 0, bytes_of(data)).error().code(), ErrorCode::NoSpace);
    EXPECT_EQ(tmpfs->statistics().value().free_blocks, 16u);
    ASSERT_FALSE(tmpfs->write(big.value(), 0, bytes_of(data.substr(0, 60000))).is_error());
    EXPECT_EQ(tmpfs->statistics().value().free_blocks, 1u);
}

// ---- ext2 through the page cache ------------------------------------------------------------

class Ext2ServiceTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_directory
            = std::filesystem::temp_directory_path() / ("raeen-ext2-service-" + std::to_string(getpid()));
        std::filesystem::remove_all(m_directory);
        std::filesystem::create_directories(m_directory / "tree" / "sub");
        TestSupport::write_file(m_directory / "tree" / "hello.txt", "from the host\n");
        TestSupport::write_file(m_directory / "tree" / "sub" / "big", test_pattern(300000, 7));
        std::string output;
        ASSERT_TRUE(TestSupport::make_ext2_image(m_directory / "tree", image(), 1024, 8, output)) << output;
        auto bytes = TestSupport::read_image(image());
        m_device = std::make_unique<MemoryDevice>(bytes.size(), 512);
        m_device->data = bytes;
        auto cache = FileSystems::BlockCache::create(*m_device, 64);
        ASSERT_FALSE(cache.is_error());
        m_cache.reset(cache.value());
        auto backend = ::Ext2Service::Ext2Backend::create(*m_cache, false, fixed_clock);
        ASSERT_FALSE(backend.is_error());
        m_backend.reset(backend.value());
    }
    void TearDown() override { std::filesystem::remove_all(m_directory); }
    std::filesystem::path image() const { return m_directory / "disk.img"; }
    // Writes the device's bytes back to the image file and runs e2fsck on it.
    void expect_clean()
    {
        TestSupport::write_image(image(), m_device->data);
        std::string output;
        EXPECT_EQ(TestSupport::run_command("e2fsck -fn " + image().string(), output), 0) << output;
    }
    std::string debugfs(const std::string& request)
    {
        TestSupport::write_image(image(), m_device->data);
        std::string output;
        TestSupport::run_command("debugfs -R '" + request + "' " + image().string(), output);
        // debugfs names itself on its first line.
        if (output.rfind("debugfs ", 0) == 0)
            output.erase(0, output.find('\n') + 1);
        return output;
    }

    std::filesystem::path m_directory;
    std::unique_ptr<MemoryDevice> m_device;
    std::unique_ptr<FileSystems::BlockCache> m_cache;
    std::unique_ptr<::Ext2Service::Ext2Backend> m_backend;
};

TEST_F(Ext2ServiceTest, reads_the_hosts_files_through_the_cache)
{
    auto root = m_backend->root();
    auto hello = m_backend->lookup(root, "hello.txt"_sv);
    ASSERT_FALSE(hello.is_error());
    EXPECT_EQ(read_all(*m_backend, hello.value()), "from the host\n");
    auto sub = m_backend->lookup(root, "sub"_sv);
    auto big = m_backend->lookup(sub.value(), "big"_sv);
    ASSERT_FALSE(big.is_error());
    EXPECT_TRUE(read_all(*m_backend, big.value()) == test_pattern(300000, 7));
    EXPECT_EQ(m_backend->lookup(sub.value(), ".."_sv).value(), root);
    Listing listing;
    ASSERT_FALSE(m_backend->read_directory(root, 0, collect, &listing).is_error());
    EXPECT_NE(std::find(listing.names.begin(), listing.names.end(), "hello.txt"), listing.names.end());
    // A listing resumed at a position gives the rest.
    Listing rest;
    auto next = m_backend->read_directory(root, 2, collect, &rest);
    ASSERT_FALSE(next.is_error());
    EXPECT_EQ(rest.names.size() + 2, listing.names.size());
    EXPECT_EQ(m_backend->statistics().value().block_size, 1024u);
}

TEST_F(Ext2ServiceTest, what_it_writes_e2fsck_finds_clean_and_debugfs_reads_back)
{
    auto root = m_backend->root();
    auto directory = m_backend->create(root, "made"_sv, NodeType::Directory, 0750, {});
    ASSERT_FALSE(directory.is_error());
    auto file = m_backend->create(directory.value(), "data"_sv, NodeType::Regular, 0600, {});
    ASSERT_FALSE(file.is_error());
    std::string data = test_pattern(500000, 11);
    for (std::size_t offset = 0; offset < data.size(); offset += 32768) {
        std::string piece = data.substr(offset, 32768);
        ASSERT_FALSE(m_backend->write(file.value(), offset, bytes_of(piece)).is_error());
    }
    ASSERT_FALSE(m_backend->create(root, "link"_sv, NodeType::Symlink, 0777, "made/data"_sv).is_error());
    ASSERT_FALSE(m_backend->set_mode(file.value(), 0640).is_error());
    ASSERT_FALSE(m_backend->set_times(file.value(), 1000, 2000).is_error());
    ASSERT_FALSE(m_backend->rename(root, "hello.txt"_sv, directory.value(), "renamed"_sv).is_error());
    ASSERT_FALSE(m_backend->sync(true).is_error());
    EXPECT_GE(m_device->flushes, 1);
    expect_clean();
    EXPECT_TRUE(debugfs("cat /made/data") == data);
    EXPECT_EQ(debugfs("cat /made/renamed"), "from the host\n");
    EXPECT_NE(debugfs("stat /made/data").find("Mode:  0640"), std::string::npos);
    EXPECT_NE(debugfs("stat /link").find("Fast link dest: \"made/data\""), std::string::npos);
}

TEST_F(Ext2ServiceTest, a_removed_open_file_stays_an_orphan_until_released)
{
    auto root = m_backend->root();
    auto file = m_backend->create(root, "open"_sv, NodeType::Regular, 0644, {});
    ASSERT_FALSE(m_backend->write(file.value(), 0, bytes_of(test_pattern(5000, 1))).is_error());
    auto free_before = m_backend->statistics().value().free_blocks;
    ASSERT_FALSE(m_backend->remove(root, "open"_sv, true).is_error());
    EXPECT_EQ(m_backend->lookup(root, "open"_sv).error().code(), ErrorCode::NotFound);
    // Still readable and writable, its blocks still held.
    EXPECT_EQ(read_all(*m_backend, file.value()), test_pattern(5000, 1));
    ASSERT_FALSE(m_backend->write(file.value(), 5000, bytes_of("more")).is_error());
    EXPECT_LE(m_backend->statistics().value().free_blocks, free_before);
    ASSERT_FALSE(m_backend->release(file.value()).is_error());
    EXPECT_GT(m_backend->statistics().value().free_blocks, free_before);
    ASSERT_FALSE(m_backend->sync(true).is_error());
    expect_clean();
}

TEST_F(Ext2ServiceTest, a_full_volume_is_no_space_and_stays_consistent)
{
    auto file = m_backend->create(m_backend->root(), "filler"_sv, NodeType::Regular, 0644, {});
    std::string chunk = test_pattern(65536, 3);
    Core::Result<void> written {};
    std::uint64_t offset = 0;
    for (int index = 0; index < 200 && !written.is_error(); ++index, offset += chunk.size())
        written = m_backend->write(file.value(), offset, bytes_of(chunk));
    ASSERT_TRUE(written.is_error());
    EXPECT_EQ(written.error().code(), ErrorCode::NoSpace);
    ASSERT_FALSE(m_backend->sync(true).is_error());
    expect_clean();
}

} // namespace

namespace {

TEST(Tmpfs, a_file_written_in_small_pieces_grows_without_copying_itself_over_and_over)
{
    auto made = Tmpfs::TmpfsBackend::create(8 << 20, fixed_clock);
    ASSERT_FALSE(made.is_error());
    std::unique_ptr<Tmpfs::TmpfsBackend> tmpfs(made.value());
    auto file = tmpfs->create(tmpfs->root(), "grown"_sv, NodeType::Regular, 0644, {});
    std::string piece = test_pattern(8192, 6);
    for (std::uint64_t offset = 0; offset < (2u << 20); offset += piece.size())
        ASSERT_FALSE(tmpfs->write(file.value(), offset, bytes_of(piece)).is_error()) << offset;
    EXPECT_EQ(tmpfs->attributes(file.value()).value().size, 2u << 20);
}

} // namespace
