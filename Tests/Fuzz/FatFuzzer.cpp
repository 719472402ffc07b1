// Fuzz target: a FAT32 image (Userland/FileSystems/Fat). A FAT32 volume is at least 32 MiB,
// with its root directory far past the boot sector, so the input stands for two windows of
// one: its first 32 KiB are the volume's start (boot sector, reserved sectors, the FAT's
// first entries), the rest is the start of the data region (where the boot sector puts it:
// the root directory and the first files). Everything else reads as zeros. The volume is
// opened and walked: the root listed, each entry resolved, files read, directories listed.
// Then, on a copy that takes writes, changes are made as a user would (files and directories
// created, written past their end, truncated, renamed and removed, what the image held too):
// on a corrupt image they must fail cleanly. Nothing may read or write out of bounds, loop
// without end or trip a VERIFY, and what is returned must keep the promises the header makes.

#include <Userland/FileSystems/Fat/FatVolume.h>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace Fat = FileSystems::Fat;

constexpr std::size_t start_window = 32 * 1024;
constexpr std::uint64_t device_size = 64ull << 20;
constexpr std::size_t maximum_names = 16;
constexpr std::uint64_t maximum_bytes_read = 32 * 1024;
// The most the writable copy holds apart from the input: 4 MiB of written pages.
constexpr std::size_t page_size = 4096;
constexpr std::size_t maximum_written_pages = 1024;
// How many of the root's entries the changes go through.
constexpr std::size_t maximum_names_changed = 6;

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
        std::memset(destination.data(), 0, destination.size());
        std::uint64_t end = offset + destination.size();
        // The start window: input bytes [0, start_window).
        copy_window(offset, end, 0, std::min<std::uint64_t>(start_window, m_size), 0, destination);
        // The data window: from the data region on, the input's bytes past start_window.
        if (m_data_offset >= start_window && m_size > start_window)
            copy_window(offset, end, m_data_offset, m_data_offset + (m_size - start_window), start_window,
                destination);
        return {};
    }

private:
    // Copies what of device bytes [offset, end) lies in [window_start, window_end), which hold
    // input bytes from `input_start` on.
    void copy_window(std::uint64_t offset, std::uint64_t end, std::uint64_t window_start,
        std::uint64_t window_end, std::uint64_t input_start, Core::Bytes destination) const
    {
        std::uint64_t low = std::max(offset, window_start);
        std::uint64_t high = std::min(end, window_end);
        if (low < high)
            std::memcpy(
                destination.data() + (low - offset), m_data + input_start + (low - window_start), high - low);
    }

    const std::uint8_t* m_data;
    std::size_t m_size;
    std::uint64_t m_data_offset { 0 };
};

// The input image with writes kept aside, a page at a time; writes past maximum_written_pages
// pages are refused (OutOfRange, as a full device).
class WritableImage final : public FileSystems::BlockSource {
public:
    explicit WritableImage(TwoWindowImage& base)
        : m_base(base)
    {
    }
    Core::Result<void> read(std::uint64_t offset, Core::Bytes destination) override
    {
        if (offset > device_size || destination.size() > device_size - offset)
            return Core::ErrorCode::OutOfRange;
        for (std::size_t done = 0; done < destination.size();) {
            std::uint64_t position = offset + done;
            std::uint64_t page = position / page_size;
            std::size_t within = static_cast<std::size_t>(position % page_size);
            std::size_t chunk = std::min(page_size - within, destination.size() - done);
            if (const std::uint8_t* written = find(page))
                std::memcpy(destination.data() + done, written + within, chunk);
            else
                TRY(m_base.read(position, Core::Bytes(destination.data() + done, chunk)));
            done += chunk;
        }
        return {};
    }
    Core::Result<void> write(std::uint64_t offset, Core::ReadonlyBytes source) override
    {
        if (offset > device_size || source.size() > device_size - offset)
            return Core::ErrorCode::OutOfRange;
        for (std::size_t done = 0; done < source.size();) {
            std::uint64_t position = offset + done;
            std::uint64_t page = position / page_size;
            std::size_t within = static_cast<std::size_t>(position % page_size);
            std::size_t chunk = std::min(page_size - within, source.size() - done);
            std::uint8_t* written = find(page);
            if (!written) {
                if (m_pages.size() >= maximum_written_pages)
                    return Core::ErrorCode::OutOfRange;
                std::vector<std::uint8_t> bytes(page_size);
                TRY(m_base.read(page * page_size, Core::Bytes(bytes.data(), bytes.size())));
                m_pages.emplace_back(page, std::move(bytes));
                written = m_pages.back().second.data();
            }
            std::memcpy(written + within, source.data() + done, chunk);
            done += chunk;
        }
        return {};
    }

private:
    // The page's bytes when it was written, else null. Few pages are written: a search will do.
    std::uint8_t* find(std::uint64_t page)
    {
        for (auto& [number, bytes] : m_pages) {
            if (number == page)
                return bytes.data();
        }
        return nullptr;
    }

    TwoWindowImage& m_base;
    std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>> m_pages;
};

Core::StringView view_of(const std::string& text)
{
    return Core::StringView(text.data(), text.size());
}

// A change that succeeded returns an entry that says so; one that failed changed nothing the
// checks here can see.
void check_entry(Fat::Volume& volume, const Fat::Entry& entry)
{
    require(entry.name_length >= 1 && entry.name_length <= sizeof(entry.name));
    auto again = volume.entry_at(entry.location);
    if (!again.is_error())
        require(again.value().size == entry.size && again.value().first_cluster == entry.first_cluster);
}

void change(TwoWindowImage& base, const std::vector<std::string>& names)
{
    WritableImage image(base);
    auto opened = Fat::Volume::open(image);
    if (opened.is_error() || !opened.value().boot_sector().writable)
        return;
    Fat::Volume volume = opened.release_value();
    volume.set_current_time(1'750'000'000);
    Fat::Entry root = volume.root();
    std::vector<std::uint8_t> bytes(3000, 0x5A);
    Core::ReadonlyBytes data(bytes.data(), bytes.size());
    auto file = volume.create_file(root, "A New File.txt"_sv);
    if (!file.is_error()) {
        check_entry(volume, file.value());
        auto written = volume.write(file.value().location, 0, data);
        if (!written.is_error()) {
            require(written.value().size == bytes.size());
            check_entry(volume, written.value());
        }
        // Past the end: the gap is filled.
        auto past_the_end = volume.write(file.value().location, 20'000, data);
        if (!past_the_end.is_error())
            require(past_the_end.value().size == 23'000);
        auto truncated = volume.truncate(file.value().location, 1000);
        if (!truncated.is_error())
            require(truncated.value().size == 1000);
    }
    auto directory = volume.create_directory(root, "Dir"_sv);
    if (!directory.is_error()) {
        check_entry(volume, directory.value());
        (void)volume.create_file(directory.value(), "inner"_sv);
        auto moved = volume.rename(root, "A New File.txt"_sv, directory.value(), "moved.txt"_sv);
        if (!moved.is_error())
            check_entry(volume, moved.value());
        (void)volume.rename(root, "Dir"_sv, directory.value(), "into itself"_sv);
        (void)volume.remove(root, "Dir"_sv);
    }
    // What the image held: written, truncated, renamed (across directories too), removed.
    for (std::size_t index = 0; index < names.size() && index < maximum_names_changed; ++index) {
        Core::StringView name = view_of(names[index]);
        auto found = volume.lookup(root, name);
        if (found.is_error())
            continue;
        if (!found.value().is_directory()) {
            (void)volume.write(found.value().location, found.value().size, data);
            (void)volume.truncate(found.value().location, index * 700);
        }
        switch (index % 3) {
        case 0:
            (void)volume.remove(root, name);
            break;
        case 1:
            (void)volume.rename(root, name, root, view_of("renamed " + std::to_string(index)));
            break;
        default:
            if (!directory.is_error())
                (void)volume.rename(root, name, directory.value(), name);
            break;
        }
    }
    (void)volume.mark_clean();
}

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
    change(image, names);
    return 0;
}
