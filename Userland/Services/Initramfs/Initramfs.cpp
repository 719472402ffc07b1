// The initramfs service (docs/filesystems.md#the-initramfs): the initial RAM disk's files
// (a ustar archive, checked whole by Core::UstarArchive) as a read-only file system, the
// root of the first namespace. The archive is unpacked into a tmpfs tree at start and the
// tree is then sealed: every change is ReadOnlyFileSystem.
//
// Start-up roles: FileSystemServer, Ramdisk.

#include <ABI/Memory.h>
#include <Core/UstarArchive.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/ThreadBlock.h>
#include <Userland/Services/FileSystem/Server.h>
#include <Userland/Services/Tmpfs/TmpfsBackend.h>

namespace {

Core::i64 archive_time()
{
    // The archive's files carry no time RaeenOS keeps: they are as old as the boot.
    return 0;
}

// Makes the directories of `path` (relative, canonical) and returns the last one's node.
Core::Result<Core::u64> make_directories(Tmpfs::TmpfsBackend& tree, Core::StringView path)
{
    Core::u64 directory = tree.root();
    Core::usize start = 0;
    while (start < path.length()) {
        Core::usize end = start;
        while (end < path.length() && path[end] != '/')
            ++end;
        Core::StringView component = path.substring(start, end - start);
        auto found = tree.lookup(directory, component);
        if (found.is_error())
            directory = TRY(tree.create(directory, component, FileSystem::NodeType::Directory, 0755, {}));
        else
            directory = found.value();
        start = end + 1;
    }
    return directory;
}

Core::Result<void> unpack(Tmpfs::TmpfsBackend& tree, const Core::UstarArchive& archive)
{
    Core::Result<void> result {};
    archive.for_each_entry([&](const Core::UstarArchive::Entry& entry) {
        if (result.is_error())
            return;
        Core::usize slash = entry.path.length();
        while (slash > 0 && entry.path[slash - 1] != '/')
            --slash;
        auto parent = make_directories(tree, entry.path.substring(0, slash > 0 ? slash - 1 : 0));
        if (parent.is_error()) {
            result = parent.error();
            return;
        }
        Core::StringView name = entry.path.substring(slash);
        if (entry.kind == Core::UstarArchive::EntryKind::Directory) {
            auto made = make_directories(tree, entry.path);
            if (made.is_error())
                result = made.error();
            else
                (void)tree.set_mode(made.value(), entry.mode);
            return;
        }
        auto file = tree.create(parent.value(), name, FileSystem::NodeType::Regular, entry.mode, {});
        if (file.is_error()) {
            result = file.error();
            return;
        }
        auto written = tree.write(file.value(), 0, entry.data);
        if (written.is_error())
            result = written.error();
    });
    return result;
}

} // namespace

int main()
{
    const LibC::StartupHandle* server = LibC::startup_handle(LibC::HandleRole::FileSystemServer);
    const LibC::StartupHandle* ramdisk = LibC::startup_handle(LibC::HandleRole::Ramdisk);
    if (!server || !ramdisk) {
        System::debug_log("started without its channel or the RAM disk");
        return 3;
    }
    Core::i64 size = System::memory_object_size(ramdisk->handle);
    if (size <= 0)
        return 2;
    Core::i64 address = System::vm_map(
        Runtime::process_handle(), ramdisk->handle, 0, static_cast<Core::u64>(size), ABI::vm_read);
    if (address <= 0)
        return 3;
    // The mapping stays for the service's life; the archive's spans point into it.
    auto archive = Core::UstarArchive::parse(
        Core::ReadonlyBytes(reinterpret_cast<const Core::u8*>(address), static_cast<Core::usize>(size)));
    if (archive.is_error())
        return 2;
    auto tree = Tmpfs::TmpfsBackend::create(static_cast<Core::u64>(size) * 2, archive_time);
    if (tree.is_error() || unpack(*tree.value(), archive.value()).is_error())
        return 3;
    // The root of a system's files, as Linux's: 0755 (tmpfs's own root is /tmp's 1777).
    (void)tree.value()->set_mode(tree.value()->root(), 0755);
    tree.value()->seal();
    return FileSystem::serve(*tree.value(), server->handle);
}
