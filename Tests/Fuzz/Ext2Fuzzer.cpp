// Fuzz target: an ext2 image (Userland/FileSystems/Ext2). The input is the image's first
// bytes; the rest of it, up to 16 MiB, reads as zeros, so a small input still describes a
// whole volume. The volume is opened and walked as a file system service would: the root
// listed, each entry resolved with and without following links, files read in chunks,
// directories listed, links read. Nothing may read out of bounds, loop without end or trip a
// VERIFY, and what is returned must keep the promises the header makes. Then, on a writable
// copy, a few changes are made as a user would (files created, written through indirect
// blocks, renamed, truncated, removed): on a corrupt image they must fail cleanly.

#include <Userland/FileSystems/Ext2/Ext2Volume.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

namespace Ext2 = FileSystems::Ext2;

constexpr std::uint64_t image_limit = 16u << 20;
// Bounds on one input's work, so that every input is quick.
constexpr std::size_t maximum_names = 16;
constexpr std::uint64_t maximum_bytes_read = 32 * 1024;

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

class InputImage final : public FileSystems::BlockSource {
public:
    InputImage(const std::uint8_t* data, std::size_t size)
        : m_data(data)
        , m_size(size)
    {
    }
    Core::Result<void> read(std::uint64_t offset, Core::Bytes destination) override
    {
        if (offset > image_limit || destination.size() > image_limit - offset)
            return Core::ErrorCode::OutOfRange;
        std::size_t present = offset < m_size ? static_cast<std::size_t>(m_size - offset) : 0;
        if (present > destination.size())
            present = destination.size();
        if (present > 0)
            std::memcpy(destination.data(), m_data + offset, present);
        std::memset(destination.data() + present, 0, destination.size() - present);
        return {};
    }

private:
    const std::uint8_t* m_data;
    std::size_t m_size;
};

// A writable copy: the input, then zeros to the next 64 KiB; writes past that are refused.
class WritableImage final : public FileSystems::BlockSource {
public:
    WritableImage(const std::uint8_t* data, std::size_t size)
        : m_bytes(data, data + size)
    {
        m_bytes.resize((size + granule - 1) / granule * granule + granule, 0);
    }
    Core::Result<void> read(std::uint64_t offset, Core::Bytes destination) override
    {
        if (offset > image_limit || destination.size() > image_limit - offset)
            return Core::ErrorCode::OutOfRange;
        std::size_t present = offset < m_bytes.size() ? static_cast<std::size_t>(m_bytes.size() - offset) : 0;
        if (present > destination.size())
            present = destination.size();
        if (present > 0)
            std::memcpy(destination.data(), m_bytes.data() + offset, present);
        std::memset(destination.data() + present, 0, destination.size() - present);
        return {};
    }
    Core::Result<void> write(std::uint64_t offset, Core::ReadonlyBytes source) override
    {
        if (offset > m_bytes.size() || source.size() > m_bytes.size() - offset)
            return Core::ErrorCode::OutOfRange;
        std::memcpy(m_bytes.data() + offset, source.data(), source.size());
        return {};
    }

private:
    static constexpr std::size_t granule = 64 * 1024;
    std::vector<std::uint8_t> m_bytes;
};

void change(const std::uint8_t* data, std::size_t size)
{
    WritableImage image(data, size);
    auto opened = Ext2::Volume::open(image);
    if (opened.is_error() || !opened.value().superblock().writable)
        return;
    Ext2::Volume volume = opened.release_value();
    volume.set_current_time(1'750'000'000);
    std::vector<std::uint8_t> bytes(3000, 0x5A);
    auto file = volume.create_file(Ext2::root_inode, "new"_sv, {});
    if (!file.is_error()) {
        (void)volume.write(file.value(), 0, Core::ReadonlyBytes(bytes.data(), bytes.size()));
        (void)volume.write(file.value(), 70'000, Core::ReadonlyBytes(bytes.data(), bytes.size()));
        (void)volume.truncate(file.value(), 1'000);
    }
    auto directory = volume.create_directory(Ext2::root_inode, "dir"_sv, {});
    (void)volume.create_symlink(Ext2::root_inode, "link"_sv,
        "a-target-longer-than-sixty-bytes/so-it-needs/a-block/of-its-own"_sv, {});
    if (!directory.is_error())
        (void)volume.rename(Ext2::root_inode, "new"_sv, directory.value(), "moved"_sv);
    (void)volume.remove(Ext2::root_inode, "link"_sv);
    (void)volume.remove(Ext2::root_inode, "dir"_sv);
    // Whatever the image held at the start: its first entries are renamed and removed too.
    (void)volume.rename(Ext2::root_inode, "hello.txt"_sv, Ext2::root_inode, "fast"_sv);
    (void)volume.remove(Ext2::root_inode, "indirect.txt"_sv);
    (void)volume.remove(Ext2::root_inode, "lost+found"_sv);
}

void examine(Ext2::Volume& volume, const std::string& path, std::uint64_t& budget)
{
    for (bool follow : { false, true }) {
        auto number = volume.resolve(Core::StringView(path.c_str(), path.size()), follow);
        if (number.is_error())
            continue;
        require(number.value() >= 1 && number.value() <= volume.superblock().inode_count);
        auto inode = volume.read_inode(number.value());
        if (inode.is_error())
            continue;
        const Ext2::Inode& found = inode.value();
        std::vector<std::uint8_t> buffer(4096);
        switch (found.type()) {
        case Ext2::FileType::Regular:
            for (std::uint64_t offset = 0; offset < found.size && budget > 0; offset += buffer.size()) {
                auto copied = volume.read(found, offset, Core::Bytes(buffer.data(), buffer.size()));
                if (copied.is_error())
                    break;
                require(copied.value() <= buffer.size() && copied.value() <= found.size - offset);
                budget = budget > buffer.size() ? budget - buffer.size() : 0;
            }
            break;
        case Ext2::FileType::SymbolicLink: {
            auto length = volume.read_link(found, Core::Bytes(buffer.data(), buffer.size()));
            if (!length.is_error())
                require(length.value() == found.size && length.value() <= buffer.size());
            break;
        }
        case Ext2::FileType::Directory: {
            std::size_t listed = 0;
            (void)volume.for_each_entry(found, [&](const Ext2::DirectoryEntry& entry) {
                require(entry.inode != 0 && entry.name.length() >= 1 && entry.name.length() <= 255);
                return ++listed < maximum_names;
            });
            break;
        }
        default:
            break;
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    InputImage image(data, size);
    auto opened = Ext2::Volume::open(image);
    if (opened.is_error())
        return 0;
    Ext2::Volume volume = opened.release_value();
    const Ext2::Superblock& superblock = volume.superblock();
    require(superblock.block_size >= 1024 && superblock.block_size <= 65536);
    require(superblock.group_count >= 1);
    auto root = volume.read_inode(Ext2::root_inode);
    if (root.is_error())
        return 0;
    std::vector<std::string> names;
    (void)volume.for_each_entry(root.value(), [&](const Ext2::DirectoryEntry& entry) {
        names.emplace_back(entry.name.characters(), entry.name.length());
        return names.size() < maximum_names;
    });
    std::uint64_t budget = maximum_bytes_read;
    for (const std::string& name : names)
        examine(volume, "/" + name, budget);
    for (const char* path : { "/", "/..", "/dir/f1", "/fast", "/slow", "/dir/../hello.txt" })
        examine(volume, path, budget);
    change(data, size);
    return 0;
}
