#pragma once

// The second extended file system's on-disk structures (ext2, revisions 0 and 1, as Linux's
// mke2fs writes them): the superblock, block group descriptors, inodes and directory
// entries, decoded without trusting them, since they come from a disk image anyone may have
// made. Little-endian throughout. Pure, so that host tests (against images Linux's mke2fs
// makes) and a fuzz target (Tests/Fuzz/Ext2Fuzzer.cpp) cover it.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Core/Types.h>

namespace FileSystems::Ext2 {

// Where the superblock is, whatever the block size, and how long it is.
constexpr Core::u64 superblock_offset = 1024;
constexpr Core::usize superblock_length = 1024;
constexpr Core::u32 root_inode = 2;
constexpr Core::usize group_descriptor_length = 32;
constexpr Core::usize direct_blocks = 12;
constexpr Core::usize block_pointers = 15; // 12 direct, then single, double, triple indirect

// Feature bits (the superblock's three sets).
namespace Feature {
constexpr Core::u32 compatible_extended_attributes = 0x0008; // inodes may have an attribute block
constexpr Core::u32 compatible_resize_inode = 0x0010; // descriptor blocks reserved to grow into
constexpr Core::u32 incompatible_filetype = 0x0002; // directory entries carry a file type
constexpr Core::u32 read_only_sparse_super = 0x0001; // superblock copies in some groups only
constexpr Core::u32 read_only_large_file = 0x0002; // regular files may pass 2 GiB
} // namespace Feature

struct Superblock {
    Core::u32 inode_count { 0 };
    Core::u32 block_count { 0 };
    Core::u32 reserved_block_count { 0 };
    Core::u32 free_block_count { 0 };
    Core::u32 free_inode_count { 0 };
    Core::u32 first_data_block { 0 }; // 1 with 1 KiB blocks, else 0
    Core::u32 block_size { 0 }; // 1024 to 32768 (64 KiB blocks are NotSupported)
    Core::u32 blocks_per_group { 0 };
    Core::u32 inodes_per_group { 0 };
    Core::u32 mount_time { 0 };
    Core::u32 write_time { 0 };
    Core::u16 state { 0 }; // 1 clean, 2 errors found
    Core::u32 revision { 0 };
    Core::u32 first_inode { 0 }; // the first inode not reserved
    Core::u16 inode_size { 0 };
    Core::u32 compatible_features { 0 };
    Core::u32 incompatible_features { 0 };
    Core::u32 read_only_features { 0 };
    Core::u8 uuid[16] {};
    char volume_name[17] {}; // NUL-terminated
    // Derived and checked against each other: block groups, group descriptors per block.
    Core::u32 group_count { 0 };
    // Blocks of the descriptor table, and the blocks reserved after it (resize_inode).
    Core::u32 descriptor_blocks { 0 };
    Core::u16 reserved_descriptor_blocks { 0 };
    // Whether every read-only-compatible feature is one this code keeps right when it
    // writes (sparse superblocks, large files); otherwise a volume may only be read.
    bool writable { false };
};

// Decodes the 1024 bytes at superblock_offset. Errors: Malformed for a wrong magic number
// or a table whose fields contradict each other (block size past 64 KiB, an inode size that
// is not a power of two from 128 to the block size, zero per-group counts, group counts the
// block and inode totals disagree on, ...); NotSupported for an incompatible feature other
// than file types (extents, 64-bit, flexible groups, journals to recover, compression, ...),
// which a reader that ignored it would misread.
[[nodiscard]] Core::Result<Superblock> decode_superblock(Core::ReadonlyBytes bytes);

struct GroupDescriptor {
    Core::u32 block_bitmap { 0 };
    Core::u32 inode_bitmap { 0 };
    Core::u32 inode_table { 0 };
    Core::u16 free_block_count { 0 };
    Core::u16 free_inode_count { 0 };
    Core::u16 directory_count { 0 };
};

// Whether block group `group` starts with a copy of the superblock and descriptor table
// (every group without sparse_super; groups 0, 1 and powers of 3, 5 and 7 with it).
[[nodiscard]] bool group_has_superblock_copy(Core::u32 group, const Superblock& superblock);

// Decodes group `group`'s 32-byte descriptor. Malformed when a bitmap or the inode table
// lies outside the group, or over the superblock copy and descriptor table it starts with.
[[nodiscard]] Core::Result<GroupDescriptor> decode_group_descriptor(
    Core::ReadonlyBytes bytes, const Superblock& superblock, Core::u32 group);

// Inode mode's file types (the top four bits).
enum class FileType : Core::u8 {
    Unknown,
    Regular,
    Directory,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Socket,
    SymbolicLink,
};

struct Inode {
    Core::u16 mode { 0 }; // type in bits 15..12, permissions in 11..0
    Core::u32 user_id { 0 }; // low 16 bits, and the Linux high 16
    Core::u32 group_id { 0 };
    Core::u64 size { 0 }; // bytes; the high half only for regular files with large_file
    Core::u32 access_time { 0 };
    Core::u32 change_time { 0 };
    Core::u32 modification_time { 0 };
    Core::u32 deletion_time { 0 };
    Core::u16 link_count { 0 };
    Core::u32 sector_count { 0 }; // 512-byte units held, indirect blocks included
    Core::u32 flags { 0 };
    Core::u32 blocks[block_pointers] {};
    Core::u32 extended_attribute_block { 0 };

    [[nodiscard]] FileType type() const;
    [[nodiscard]] Core::u16 permissions() const { return mode & 07777; }
    // A symbolic link whose target is kept in `blocks` itself (under 60 bytes, no data
    // block): when it holds no block but an extended attribute block, if any.
    [[nodiscard]] bool is_fast_symlink(Core::u32 block_size) const;
};

// Writes `inode`'s fields into a record (at least 128 bytes) in the layout decode_inode
// reads; the bytes it does not own (the OS-dependent ones, the extra space of larger
// inodes) stay as they were.
void encode_inode(const Inode& inode, Core::Bytes record, const Superblock& superblock);

// Decodes an inode record (at least 128 bytes). Never fails: every bit pattern is an inode;
// what its fields point at is checked where they are used.
[[nodiscard]] Inode decode_inode(Core::ReadonlyBytes bytes, const Superblock& superblock);

struct DirectoryEntry {
    Core::u32 inode { 0 }; // 0: an unused entry
    Core::u16 record_length { 0 }; // to the next entry
    FileType type { FileType::Unknown }; // Unknown without the filetype feature
    Core::StringView name; // into the block; 1 to 255 bytes for used entries
};

// The bytes an entry for a name of `name_length` needs: 8 and the name, rounded up to 4.
constexpr Core::usize directory_entry_length(Core::usize name_length)
{
    return (8 + name_length + 3) & ~Core::usize { 3 };
}

// Writes an entry at `offset` (the caller made room: record_length bytes inside the block).
void encode_directory_entry(Core::Bytes block, Core::usize offset, Core::u32 inode, Core::u16 record_length,
    FileType type, Core::StringView name, const Superblock& superblock);

// The entry at `offset` in a directory block. Malformed when its record length is under 8,
// not a multiple of 4, shorter than its name, or runs past the block; or for a used entry
// with an empty name, or naming a reserved inode other than the root.
[[nodiscard]] Core::Result<DirectoryEntry> decode_directory_entry(
    Core::ReadonlyBytes block, Core::usize offset, const Superblock& superblock);

} // namespace FileSystems::Ext2
