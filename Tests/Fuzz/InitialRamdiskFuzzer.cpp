// libFuzzer target for the initial RAM disk reader. parse() must survive any bytes (the
// sanitizers catch out-of-bounds reads and overflow; a VERIFY aborts), and an archive it
// accepts must keep the promises Core/UstarArchive.h makes: every entry's data lies inside
// the input, every path is canonical and unique, every regular file can be found by its
// path, and the counts match what iteration sees. Contents are folded into a checksum so
// that the optimizer cannot drop the work of producing them.

#include <Core/UstarArchive.h>
#include <stddef.h>
#include <stdint.h>

namespace {

using InitialRamdisk = Core::UstarArchive;

// Stops the run on a broken promise; libFuzzer saves the input that caused it.
void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

// Whether `inner` lies within the `size` bytes at `data`; an empty span may also sit just
// past their end.
bool lies_inside(Core::ReadonlyBytes inner, const uint8_t* data, size_t size)
{
    // Only addresses are compared, nothing is read through them. They are compared as
    // integers because ordering pointers into different objects is unspecified, and a
    // broken parser could hand out exactly such a pointer.
    auto inner_start = reinterpret_cast<uintptr_t>(inner.data());
    auto outer_start = reinterpret_cast<uintptr_t>(data);
    return inner_start >= outer_start && inner_start - outer_start <= size
        && inner.size() <= size - (inner_start - outer_start);
}

bool is_canonical(Core::StringView path)
{
    if (path.is_empty() || path.length() > InitialRamdisk::maximum_path_length)
        return false;
    size_t component_start = 0;
    for (size_t index = 0; index <= path.length(); ++index) {
        if (index < path.length() && path[index] != '/')
            continue;
        Core::StringView component = path.substring(component_start, index - component_start);
        if (component.is_empty() || component == "."_sv || component == ".."_sv)
            return false;
        component_start = index + 1;
    }
    return true;
}

uint64_t checksum_and_check(const InitialRamdisk& ramdisk, const uint8_t* data, size_t size)
{
    require(lies_inside(ramdisk.archive(), data, size));
    require(ramdisk.archive().size() % InitialRamdisk::block_size == 0);
    uint64_t sum = ramdisk.archive().size();
    size_t files = 0;
    size_t directories = 0;
    ramdisk.for_each_entry([&](const InitialRamdisk::Entry& entry) {
        require(lies_inside(entry.data, ramdisk.archive().data(), ramdisk.archive().size()));
        require(is_canonical(entry.path));
        require(entry.mode <= 07777);
        for (char character : entry.path)
            sum = sum * 31 + static_cast<unsigned char>(character);
        for (uint8_t byte : entry.data)
            sum = sum * 31 + byte;

        auto found = ramdisk.find(entry.path);
        if (entry.kind == InitialRamdisk::EntryKind::RegularFile) {
            ++files;
            // Paths are unique, so the lookup must land on this very entry.
            require(found.has_value());
            require(found->data.data() == entry.data.data() && found->size() == entry.data.size());
            require(found->mode == entry.mode);
        } else {
            ++directories;
            require(!found.has_value());
            require(entry.data.is_empty());
        }
    });
    require(files == ramdisk.file_count() && directories == ramdisk.directory_count());
    require(files + directories <= InitialRamdisk::maximum_entry_count);
    return sum;
}

// Written after every run so that the checksum has an observable use.
volatile uint64_t s_checksum_sink;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto result = InitialRamdisk::parse(Core::ReadonlyBytes(data, size));
    if (result.is_error()) {
        auto code = result.error().code();
        require(code == Core::ErrorCode::Malformed || code == Core::ErrorCode::NotSupported);
        s_checksum_sink = static_cast<uint64_t>(code);
        return 0;
    }
    s_checksum_sink = checksum_and_check(result.value(), data, size);
    return 0;
}
