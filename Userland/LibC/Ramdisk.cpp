#include <ABI/Memory.h>
#include <Core/Optional.h>
#include <Core/UstarArchive.h>
#include <Userland/LibC/Files.h>
#include <Userland/LibC/Lock.h>
#include <Userland/LibC/Paths.h>
#include <Userland/LibC/Ramdisk.h>
#include <Userland/LibC/Startup.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/ThreadBlock.h>

namespace LibC {

namespace {

constexpr size_t maximum_path = Core::UstarArchive::maximum_path_length + 1;

constinit FutexLock s_lock;
bool s_mapped;
Core::Optional<Core::UstarArchive> s_archive;
char s_working_directory[maximum_path] = "/";

// The archive, mapped and checked on first use; null without one.
const Core::UstarArchive* archive()
{
    FutexLocker locker(s_lock);
    if (s_mapped)
        return s_archive.has_value() ? &s_archive.value() : nullptr;
    s_mapped = true;
    const StartupHandle* ramdisk = startup_handle(HandleRole::Ramdisk);
    if (!ramdisk)
        return nullptr;
    int64_t size = System::memory_object_size(ramdisk->handle);
    if (size <= 0)
        return nullptr;
    int64_t address = System::vm_map(
        Runtime::process_handle(), ramdisk->handle, 0, static_cast<uint64_t>(size), ABI::vm_read);
    if (address <= 0)
        return nullptr;
    // The mapping is never undone: the archive's spans point into it for the program's life.
    auto parsed = Core::UstarArchive::parse(
        Core::ReadonlyBytes(reinterpret_cast<const Core::u8*>(address), static_cast<size_t>(size)));
    if (parsed.is_error())
        return nullptr;
    s_archive = parsed.release_value();
    return &s_archive.value();
}

bool starts_with_directory(Core::StringView path, Core::StringView directory)
{
    if (directory.is_empty())
        return true;
    return path.length() > directory.length() && path.starts_with(directory)
        && path[directory.length()] == '/';
}

// Resolves `path` into `canonical`; -ENAMETOOLONG, -ENOENT for an empty path.
int resolve(const char* path, char (&canonical)[maximum_path])
{
    if (!path || !*path)
        return -ENOENT;
    if (!canonical_path(s_working_directory, path, canonical, sizeof(canonical)))
        return -ENAMETOOLONG;
    return 0;
}

} // namespace

int ramdisk_lookup(const char* path, RamdiskNode& node)
{
    char canonical[maximum_path];
    int resolved = resolve(path, canonical);
    if (resolved < 0)
        return resolved;
    const Core::UstarArchive* files = archive();
    if (!files)
        return -ENODEV;
    Core::StringView wanted(canonical, LibC::strlen(canonical));
    if (wanted.is_empty()) {
        node = RamdiskNode { true, 0755, nullptr, 0 };
        return 0;
    }
    auto file = files->find(wanted);
    if (file.has_value()) {
        node = RamdiskNode { false, file->mode, file->data.data(), file->data.size() };
        return 0;
    }
    bool directory = false;
    uint32_t mode = 0755;
    files->for_each_entry([&](const Core::UstarArchive::Entry& entry) {
        if (entry.path == wanted && entry.kind == Core::UstarArchive::EntryKind::Directory) {
            directory = true;
            mode = entry.mode;
        } else if (starts_with_directory(entry.path, wanted)) {
            directory = true;
        }
    });
    if (!directory)
        return -ENOENT;
    node = RamdiskNode { true, mode, nullptr, 0 };
    return 0;
}

int ramdisk_list(
    const char* path, void (*visit)(const char* name, const RamdiskNode& node, void* context), void* context)
{
    RamdiskNode directory;
    int found = ramdisk_lookup(path, directory);
    if (found < 0)
        return found;
    if (!directory.is_directory)
        return -ENOTDIR;
    char canonical[maximum_path];
    (void)resolve(path, canonical);
    Core::StringView parent(canonical, LibC::strlen(canonical));
    const Core::UstarArchive* files = archive();
    // Names listed so far, so that a directory implied by several paths is listed once.
    constexpr size_t maximum_names = Core::UstarArchive::maximum_entry_count;
    auto* listed = static_cast<char**>(::calloc(maximum_names, sizeof(char*)));
    if (!listed)
        return -ENOMEM;
    size_t listed_count = 0;
    files->for_each_entry([&](const Core::UstarArchive::Entry& entry) {
        if (!starts_with_directory(entry.path, parent))
            return;
        Core::StringView rest = parent.is_empty() ? entry.path : entry.path.substring(parent.length() + 1);
        size_t name_length = 0;
        while (name_length < rest.length() && rest[name_length] != '/')
            ++name_length;
        bool deeper = name_length < rest.length();
        char name[maximum_path];
        LibC::memcpy(name, rest.characters(), name_length);
        name[name_length] = 0;
        for (size_t index = 0; index < listed_count; ++index) {
            if (LibC::strcmp(listed[index], name) == 0)
                return;
        }
        if (listed_count < maximum_names) {
            listed[listed_count] = static_cast<char*>(::malloc(name_length + 1));
            if (listed[listed_count])
                LibC::memcpy(listed[listed_count++], name, name_length + 1);
        }
        RamdiskNode node;
        if (deeper || entry.kind == Core::UstarArchive::EntryKind::Directory)
            node = RamdiskNode { true, deeper ? 0755u : entry.mode, nullptr, 0 };
        else
            node = RamdiskNode { false, entry.mode, entry.data.data(), entry.data.size() };
        visit(name, node, context);
    });
    for (size_t index = 0; index < listed_count; ++index)
        ::free(listed[index]);
    ::free(listed);
    return 0;
}

const char* working_directory()
{
    return s_working_directory;
}

int change_working_directory(const char* path)
{
    if (files_available()) {
        // Through the VFS: any directory of the namespace. The working directory is kept as
        // a path with "." and ".." folded away, as shells show it.
        FileSystem::Attributes attributes;
        int found = path_stat(path, true, attributes);
        if (found < 0)
            return found;
        if (attributes.type != static_cast<uint8_t>(FileSystem::NodeType::Directory))
            return -ENOTDIR;
    } else {
        RamdiskNode node;
        int found = ramdisk_lookup(path, node);
        if (found < 0)
            return found;
        if (!node.is_directory)
            return -ENOTDIR;
    }
    char canonical[maximum_path];
    (void)resolve(path, canonical);
    // The leading '/' and the terminator must fit too.
    if (LibC::strlen(canonical) + 2 > sizeof(s_working_directory))
        return -ENAMETOOLONG;
    s_working_directory[0] = '/';
    LibC::memcpy(s_working_directory + 1, canonical, LibC::strlen(canonical) + 1);
    return 0;
}

} // namespace LibC
