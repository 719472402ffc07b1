#pragma once

// What a file system service implements (initramfs, tmpfs, ext2, FAT): nodes by number,
// names one component at a time. The server (Server.h) speaks the node and file protocols
// on top of it, so that every file system has the same semantics (docs/filesystems.md):
// the checks of access modes, offsets, append, which errors mean what, and when a removed
// file's data goes (with its last open channel) are the server's, not each file system's.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Core/Types.h>
#include <Userland/Services/FileSystem/Protocol.h>

namespace FileSystem {

// The on-disk format libraries' errors (Userland/FileSystems) as the file system protocols
// name them: a volume the library will not write (features it does not keep right, FATs not
// mirrored) is read-only to it, and no free block, inode or cluster (or a format's own limit:
// a file past what its pointers or size field reach) is no space.
[[nodiscard]] inline Core::Error translate_library_error(Core::Error error)
{
    switch (error.code()) {
    case Core::ErrorCode::NotSupported:
        return Core::ErrorCode::ReadOnlyFileSystem;
    case Core::ErrorCode::OutOfRange:
        return Core::ErrorCode::NoSpace;
    default:
        return error;
    }
}

class Backend {
public:
    virtual ~Backend() = default;

    [[nodiscard]] virtual Core::u64 root() const = 0;
    // A volume that cannot be changed (the initramfs, or an ext2 volume with features this
    // driver does not keep right): every change is ReadOnlyFileSystem.
    [[nodiscard]] virtual bool read_only() const = 0;

    [[nodiscard]] virtual Core::Result<Attributes> attributes(Core::u64 node) = 0;
    // The node `name` names in `directory` ("." and ".." included: the root's ".." is the
    // root). NotFound, NotADirectory.
    [[nodiscard]] virtual Core::Result<Core::u64> lookup(Core::u64 directory, Core::StringView name) = 0;
    // Calls `visit(context, node, type, name)` for the entries of `directory` from position
    // `position` on (0 is the first; "." and ".." are listed), until it returns false; returns
    // the position after the last entry visited.
    using VisitEntry = bool (*)(void* context, Core::u64 node, NodeType type, Core::StringView name);
    [[nodiscard]] virtual Core::Result<Core::u64> read_directory(
        Core::u64 directory, Core::u64 position, VisitEntry visit, void* context)
        = 0;
    // Up to destination.size() bytes from `offset`: fewer at the end, 0 past it.
    [[nodiscard]] virtual Core::Result<Core::usize> read(
        Core::u64 file, Core::u64 offset, Core::Bytes destination)
        = 0;
    [[nodiscard]] virtual Core::Result<Core::usize> read_link(Core::u64 link, Core::Bytes destination) = 0;
    [[nodiscard]] virtual Core::Result<Statistics> statistics() = 0;

    // Changes (never called on a read-only backend).
    [[nodiscard]] virtual Core::Result<Core::u64> create(Core::u64 directory, Core::StringView name,
        NodeType type, Core::u32 mode, Core::StringView link_target)
        = 0;
    [[nodiscard]] virtual Core::Result<void> write(Core::u64 file, Core::u64 offset, Core::ReadonlyBytes data)
        = 0;
    [[nodiscard]] virtual Core::Result<void> truncate(Core::u64 file, Core::u64 size) = 0;
    // Removes the name. When `keep` is set and it was the node's last name, the node itself
    // stays until release(node) (it is still open: POSIX keeps its data readable).
    [[nodiscard]] virtual Core::Result<void> remove(Core::u64 directory, Core::StringView name, bool keep)
        = 0;
    // The node of a name that remove() kept, once nothing has it open.
    [[nodiscard]] virtual Core::Result<void> release(Core::u64 node) = 0;
    [[nodiscard]] virtual Core::Result<void> rename(
        Core::u64 from, Core::StringView name, Core::u64 to, Core::StringView to_name)
        = 0;
    [[nodiscard]] virtual Core::Result<void> set_mode(Core::u64 node, Core::u32 mode) = 0;
    [[nodiscard]] virtual Core::Result<void> set_times(
        Core::u64 node, Core::i64 access_time, Core::i64 modification_time)
        = 0;
    // Every change on the device, the device's cache flushed. With `clean`, the volume is
    // also marked clean (unmounting).
    [[nodiscard]] virtual Core::Result<void> sync(bool clean) = 0;
    // Whether changes wait in memory for the device (a page cache's dirty pages): the
    // server syncs once it has been idle for a second.
    [[nodiscard]] virtual bool has_unwritten_changes() const { return false; }
};

} // namespace FileSystem
