#pragma once

// Reading an ext2 volume (Ext2Structures.h): inodes by number, a file's blocks through its
// direct and indirect pointers, directories, symbolic links and paths. Every block number,
// inode number and length read from the image is checked before it is used, and every walk
// is bounded, so a corrupt or hostile image gives errors (Malformed, mostly), never a read
// out of bounds or a loop without end.
//
// The volume reads through a BlockSource (Userland/FileSystems/BlockSource.h).

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Core/Types.h>
#include <Core/Vector.h>
#include <Userland/FileSystems/BlockSource.h>
#include <Userland/FileSystems/Ext2/Ext2Structures.h>

namespace FileSystems::Ext2 {

using FileSystems::BlockSource;

// How many symbolic links one path resolution follows before it gives up (SymlinkLoop), as
// Linux's limit.
constexpr Core::u32 symlink_limit = 40;

class Volume {
public:
    // Reads and checks the superblock and every group descriptor.
    [[nodiscard]] static Core::Result<Volume> open(BlockSource& source);

    [[nodiscard]] const Superblock& superblock() const { return m_superblock; }
    [[nodiscard]] const GroupDescriptor& group(Core::u32 index) const { return m_groups[index]; }

    // Inode `number` (1 to inode_count): NotFound outside that range.
    [[nodiscard]] Core::Result<Inode> read_inode(Core::u32 number);

    // The block holding logical block `index` of `inode`'s data, or 0 for a hole. Malformed
    // for a pointer outside the volume; OutOfRange past what triple indirection reaches.
    [[nodiscard]] Core::Result<Core::u32> data_block(const Inode& inode, Core::u64 index);

    // Copies up to destination.size() bytes of the file's data from `offset` (holes read
    // as zeros) and returns how many: fewer at the end of the file, 0 past it.
    [[nodiscard]] Core::Result<Core::usize> read(
        const Inode& inode, Core::u64 offset, Core::Bytes destination);

    // Calls `visit(entry)` for every used entry of directory `directory`, in order;
    // `visit` returns false to stop. NotADirectory for another type.
    template<typename Visit>
    [[nodiscard]] Core::Result<void> for_each_entry(const Inode& directory, Visit visit);

    // The inode number `name` names in `directory`: NotFound when none does.
    [[nodiscard]] Core::Result<Core::u32> lookup(const Inode& directory, Core::StringView name);

    // The target of symbolic link `link`, copied into `destination`; returns its length.
    // BufferTooSmall when it does not fit; Malformed for a target longer than a block.
    [[nodiscard]] Core::Result<Core::usize> read_link(const Inode& link, Core::Bytes destination);

    // The inode number of the absolute `path`. "." and ".." are followed as the directories
    // say; symbolic links are followed (the last component's only when `follow_last`), at
    // most symlink_limit of them (SymlinkLoop). NotFound, NotADirectory (a component before
    // the last is not a directory), InvalidArgument (a relative path, a component over 255
    // bytes).
    [[nodiscard]] Core::Result<Core::u32> resolve(Core::StringView path, bool follow_last = true);

    // ---- Writing (Ext2Writing.cpp) ----------------------------------------------------------
    // Every call needs a writable volume (Superblock::writable; NotSupported otherwise) and a
    // source that writes. Names are 1 to 255 bytes, without '/', not "." or ".."
    // (InvalidArgument). Each call leaves the volume consistent as e2fsck sees it once its
    // writes are all done; the order they go in is in docs/filesystems.md.

    // The time (Unix seconds) written into the inodes the calls change.
    void set_current_time(Core::u32 seconds) { m_now = seconds; }

    // The first change clears the superblock's clean bit, so that a crash leaves a volume
    // that says it must be checked; this sets it again, once every change is on the device
    // (unmounting, syncing).
    [[nodiscard]] Core::Result<void> mark_clean();

    struct NewInode {
        Core::u16 permissions { 0644 };
        Core::u32 user_id { 0 };
        Core::u32 group_id { 0 };
    };
    // A new empty regular file, directory or symbolic link named `name` in `directory` (an
    // inode number); returns its inode number. AlreadyExists when the name is taken;
    // NotADirectory; OutOfRange when no inode or block is free (nothing of it is left then),
    // or the directory has 32,000 links (subdirectories) already. Link targets are 1 to
    // 4095 bytes without NUL.
    [[nodiscard]] Core::Result<Core::u32> create_file(
        Core::u32 directory, Core::StringView name, NewInode attributes);
    [[nodiscard]] Core::Result<Core::u32> create_directory(
        Core::u32 directory, Core::StringView name, NewInode attributes);
    [[nodiscard]] Core::Result<Core::u32> create_symlink(
        Core::u32 directory, Core::StringView name, Core::StringView target, NewInode attributes);

    // Writes `data` into regular file `file` at `offset`, allocating blocks (and indirect
    // blocks) as needed; the size grows to cover what was written. OutOfRange when the
    // volume is full (the part written stays) or past the largest file (what triple
    // indirection and 32-bit sector counts reach; 2 GiB without large_file). NotFound for
    // a freed inode.
    [[nodiscard]] Core::Result<void> write(Core::u32 file, Core::u64 offset, Core::ReadonlyBytes data);
    // Sets the regular file's size: blocks past it are freed; growing leaves a hole.
    [[nodiscard]] Core::Result<void> truncate(Core::u32 file, Core::u64 size);

    // Removes `name` from `directory`: a file or link loses a link (and goes with its last),
    // a directory must be empty (NotEmpty). NotFound. With `keep`, a file's last link leaves
    // the inode allocated, with no name (an orphan), until release_orphan(): a file still
    // open stays readable and writable, as POSIX keeps it.
    [[nodiscard]] Core::Result<void> remove(Core::u32 directory, Core::StringView name, bool keep = false);
    // Frees an orphan that remove() kept. NotFound for an inode it did not keep.
    [[nodiscard]] Core::Result<void> release_orphan(Core::u32 number);
    // chmod and utimes: the permission bits (07777) and the access and modification times.
    [[nodiscard]] Core::Result<void> set_permissions(Core::u32 number, Core::u16 permissions);
    [[nodiscard]] Core::Result<void> set_times(
        Core::u32 number, Core::u32 access_time, Core::u32 modification_time);
    // Moves `name` in `from` to `to_name` in `to`, replacing a file or empty directory there
    // (a directory replaces only a directory, a file only a non-directory: NotADirectory /
    // AlreadyExists otherwise). A directory may not move into itself (InvalidArgument).
    [[nodiscard]] Core::Result<void> rename(
        Core::u32 from, Core::StringView name, Core::u32 to, Core::StringView to_name);

private:
    Volume(BlockSource& source, const Superblock& superblock, Core::Vector<GroupDescriptor> groups);
    [[nodiscard]] Core::Result<void> read_block(Core::u32 block, Core::Bytes destination);
    // How many blocks directory `directory` has: Malformed for a size that is not whole
    // blocks or more blocks than the volume (which would make every walk of it long).
    [[nodiscard]] Core::Result<Core::u64> directory_blocks(const Inode& directory) const;
    // Block `index` of a directory: Malformed for a hole (Linux refuses them too).
    [[nodiscard]] Core::Result<Core::u32> directory_block(const Inode& directory, Core::u64 index);
    [[nodiscard]] Core::Result<Core::u32> read_pointer(Core::u32 table_block, Core::u64 index);
    [[nodiscard]] Core::Result<Core::u32> resolve_from(Core::u32 directory, Core::StringView path,
        bool follow_last, Core::u32& links_followed, Core::u32 depth);

    // Ext2Writing.cpp's helpers.
    [[nodiscard]] Core::Result<Inode> read_live_file(Core::u32 number);
    [[nodiscard]] Core::u64 largest_file_size() const;
    [[nodiscard]] Core::Result<void> begin_change();
    void discard_new_inode(Core::u32 number, Inode& inode);
    [[nodiscard]] Core::Result<void> release_attribute_block(Inode& inode);
    [[nodiscard]] Core::Result<void> check_writable(Core::StringView name) const;
    [[nodiscard]] Core::Result<void> write_inode(Core::u32 number, const Inode& inode, bool fresh);
    [[nodiscard]] Core::Result<void> write_group(Core::u32 group);
    [[nodiscard]] Core::Result<void> write_counts();
    [[nodiscard]] Core::Result<Core::u32> allocate_block(Core::u32 goal_group, bool zeroed);
    // Marks bit `bit` of a bitmap block used; `current_byte` is the byte that holds it, as read.
    [[nodiscard]] Core::Result<void> set_bitmap_bit(
        Core::u32 bitmap_block, Core::u32 bit, Core::u8 current_byte);
    [[nodiscard]] Core::Result<void> clear_bitmap_bit(Core::u32 bitmap_block, Core::u32 bit);
    [[nodiscard]] Core::Result<void> free_block(Core::u32 block);
    [[nodiscard]] Core::Result<Core::u32> allocate_inode(Core::u32 goal_group, bool directory);
    [[nodiscard]] Core::Result<void> free_inode(Core::u32 number, bool directory);
    [[nodiscard]] Core::Result<void> set_data_block(
        Inode& inode, Core::u32 number, Core::u64 index, Core::u32 block);
    [[nodiscard]] Core::Result<Core::u32> ensure_data_block(Inode& inode, Core::u32 number, Core::u64 index);
    [[nodiscard]] Core::Result<void> free_tree(Inode& inode, Core::u32 table, Core::u32 depth,
        Core::u64 first_kept, Core::u64 base, Core::u64 span, bool& now_empty);
    [[nodiscard]] Core::Result<void> free_blocks_from(Inode& inode, Core::u64 first_kept);
    [[nodiscard]] Core::Result<void> add_entry(
        Core::u32 directory, Core::StringView name, Core::u32 child, FileType type);
    [[nodiscard]] Core::Result<void> remove_entry(Core::u32 directory, Core::StringView name);
    [[nodiscard]] Core::Result<void> set_entry_inode(
        Core::u32 directory, Core::StringView name, Core::u32 child);
    [[nodiscard]] Core::Result<Core::u32> create_inode(
        Core::u32 directory, Core::StringView name, Core::u16 mode, NewInode attributes, Inode& inode);
    [[nodiscard]] Core::Result<bool> is_empty_directory(const Inode& directory);
    [[nodiscard]] Core::Result<void> release_link(
        Core::u32 directory, Core::u32 child, Inode& inode, bool keep);
    [[nodiscard]] Core::Result<void> free_unlinked(Core::u32 child, Inode& inode, bool directory_inode);
    [[nodiscard]] bool is_orphan(Core::u32 number) const
    {
        for (Core::usize index = 0; index < m_orphans.size(); ++index) {
            if (m_orphans[index] == number)
                return true;
        }
        return false;
    }

    BlockSource& m_source;
    Superblock m_superblock;
    Core::Vector<GroupDescriptor> m_groups;
    Core::u32 m_now { 0 };
    bool m_marked_in_use { false };
    // Inodes remove() kept for open files (release_orphan frees them).
    Core::Vector<Core::u32> m_orphans;
};

template<typename Visit> Core::Result<void> Volume::for_each_entry(const Inode& directory, Visit visit)
{
    if (directory.type() != FileType::Directory)
        return Core::ErrorCode::NotADirectory;
    Core::u32 block_size = m_superblock.block_size;
    Core::u64 blocks = TRY(directory_blocks(directory));
    Core::Vector<Core::u8> buffer;
    TRY(buffer.try_resize(block_size));
    Core::Bytes block(buffer.data(), block_size);
    for (Core::u64 index = 0; index < blocks; ++index) {
        Core::u32 physical = TRY(directory_block(directory, index));
        TRY(read_block(physical, block));
        for (Core::usize offset = 0; offset < block_size;) {
            DirectoryEntry entry = TRY(decode_directory_entry(block, offset, m_superblock));
            offset += entry.record_length;
            if (entry.inode != 0 && !visit(entry))
                return {};
        }
    }
    return {};
}

} // namespace FileSystems::Ext2
