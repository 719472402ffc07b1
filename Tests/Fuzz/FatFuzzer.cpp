// Fuzz target: a FAT32 image (Userland/FileSystems/Fat). A FAT32 volume is at least 32 MiB,
// with its root directory far past the boot sector, so the input stands for two windows of
// one: its first 32 KiB are the volume's start (boot sector, reserved sectors, the FAT's
// first entries), the rest is the start of the data region (where the boot sector puts it:
// the root directory and the first files). Everything else reads as zeros. The volume is
// opened and walked: the root listed, each entry resolved, files read, directories listed.
// Nothing may read out of bounds, loop without end or trip a VERIFY.

#include <Userland/FileSystems/Fat/FatVolume.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

namespace Fat = FileSystems::Fat;

constexpr std::size_t start_window = 32 * 1024;
constexpr std::uint64_t device_size = 64ull << 20;
constexpr std::size_t maximum_names = 16;
constexpr std::uint64_t maximum_bytes_read = 32 * 1024;

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

class TwoWindowImage final : public FileSystems::BlockSource {
public:
    TwoWindowImage(const std::uint8_t* data, std::size_t size)
        : m_data(data)
        , m_size(size)
    {
        if (size >= Fat::boot_sector_length) {
            auto boot = Fat::decode_boot_sector(Core::ReadonlyBytes(data, Fat::boot_sector_length));
            if (!boot.is_error())
                m_data_offset = boot.value().data_offset;
        }
    }
    Core::Result<void> read(std::uint64_t offset, Core::Bytes destination) override
    {
        if (offset > device_size || destination.size() > device_size - offset)
            return Core::ErrorCode::OutOfRange;
        for (std::size_t index = 0; index < destination.size(); ++index)
            destination[index] = byte_at(offset + index);
        return {};
    }

private:
    std::uint8_t byte_at(std::uint64_t position) const
    {
        if (position < start_window)
            return position < m_size ? m_data[position] : 0;
        if (m_data_offset >= start_window && position >= m_data_offset) {
            std::uint64_t index = start_window + (position - m_data_offset);
            return index < m_size ? m_data[index] : 0;
        }
        return 0;
    }

    const std::uint8_t* m_data;
    std::size_t m_size;
    std::uint64_t m_data_offset { 0 };
};

void examine(Fat::Volume& volume, const std::string& path, std::uint64_t& budget)
{
    auto found = volume.resolve(Core::StringView(path.c_str(), path.size()));
    if (found.is_error())
        return;
    const Fat::Entry& entry = found.value();
    require(entry.name_length <= sizeof(entry.name));
    if (entry.is_directory()) {
        std::size_t listed = 0;
        (void)volume.for_each_entry(entry, [&](const Fat::Entry& child) {
            require(child.name_length >= 1 && child.name_length <= sizeof(child.name));
            return ++listed < maximum_names;
        });
        return;
    }
    std::vector<std::uint8_t> buffer(4096);
    for (std::uint64_t offset = 0; offset < entry.size && budget > 0; offset += buffer.size()) {
        auto copied = volume.read(entry, offset, Core::Bytes(buffer.data(), buffer.size()));
        if (copied.is_error())
            break;
        require(copied.value() <= buffer.size() && copied.value() <= entry.size - offset);
        budget = budget > buffer.size() ? budget - buffer.size() : 0;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    TwoWindowImage image(data, size);
    auto opened = Fat::Volume::open(image);
    if (opened.is_error())
        return 0;
    Fat::Volume volume = opened.release_value();
    const Fat::BootSector& boot = volume.boot_sector();
    require(boot.cluster_size >= 512 && boot.cluster_size <= 65536 && boot.cluster_count >= 65525);
    std::vector<std::string> names;
    (void)volume.for_each_entry(volume.root(), [&](const Fat::Entry& entry) {
        names.emplace_back(entry.name, entry.name_length);
        return names.size() < maximum_names;
    });
    std::uint64_t budget = maximum_bytes_read;
    for (const std::string& name : names)
        examine(volume, "/" + name, budget);
    for (const char* path : { "/", "/..", "/Sub/Deeper/deep.txt", "/HELLO WORLD.TXT" })
        examine(volume, path, budget);
    return 0;
}
