#include <Core/ByteReading.h>
#include <Userland/FileSystems/Ext2/Ext2Structures.h>

namespace FileSystems::Ext2 {

using Core::read_little_endian;
using Core::ReadonlyBytes;
using Core::Result;
using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;

namespace {

constexpr u16 magic = 0xEF53;
constexpr u32 largest_block_size_log = 6; // 1024 << 6 = 64 KiB
constexpr u16 dynamic_revision = 1;
constexpr u32 good_old_first_inode = 11;
constexpr u16 good_old_inode_size = 128;
constexpr u32 supported_incompatible = Feature::incompatible_filetype;
constexpr u32 writable_read_only_features = Feature::read_only_sparse_super | Feature::read_only_large_file;
constexpr u32 largest_supported_block_size = 32 * 1024;

bool is_power_of(u32 value, u32 base)
{
    while (value > 1 && value % base == 0)
        value /= base;
    return value == 1;
}

constexpr u32 divide_rounding_up(u32 dividend, u32 divisor)
{
    return dividend / divisor + (dividend % divisor != 0 ? 1 : 0);
}

} // namespace

Result<Superblock> decode_superblock(ReadonlyBytes bytes)
{
    if (bytes.size() < superblock_length || read_little_endian<u16>(bytes, 56) != magic)
        return Core::ErrorCode::Malformed;
    Superblock superblock;
    superblock.inode_count = read_little_endian<u32>(bytes, 0);
    superblock.block_count = read_little_endian<u32>(bytes, 4);
    superblock.reserved_block_count = read_little_endian<u32>(bytes, 8);
    superblock.free_block_count = read_little_endian<u32>(bytes, 12);
    superblock.free_inode_count = read_little_endian<u32>(bytes, 16);
    superblock.first_data_block = read_little_endian<u32>(bytes, 20);
    u32 block_size_log = read_little_endian<u32>(bytes, 24);
    superblock.blocks_per_group = read_little_endian<u32>(bytes, 32);
    superblock.inodes_per_group = read_little_endian<u32>(bytes, 40);
    superblock.mount_time = read_little_endian<u32>(bytes, 44);
    superblock.write_time = read_little_endian<u32>(bytes, 48);
    superblock.state = read_little_endian<u16>(bytes, 58);
    superblock.revision = read_little_endian<u32>(bytes, 76);
    if (superblock.revision >= dynamic_revision) {
        superblock.first_inode = read_little_endian<u32>(bytes, 84);
        superblock.inode_size = read_little_endian<u16>(bytes, 88);
        superblock.compatible_features = read_little_endian<u32>(bytes, 92);
        superblock.incompatible_features = read_little_endian<u32>(bytes, 96);
        superblock.read_only_features = read_little_endian<u32>(bytes, 100);
        for (usize index = 0; index < 16; ++index)
            superblock.uuid[index] = bytes[104 + index];
        for (usize index = 0; index < 16; ++index)
            superblock.volume_name[index] = static_cast<char>(bytes[120 + index]);
    } else {
        superblock.first_inode = good_old_first_inode;
        superblock.inode_size = good_old_inode_size;
    }

    if (block_size_log > largest_block_size_log)
        return Core::ErrorCode::Malformed;
    superblock.block_size = 1024u << block_size_log;
    // 64 KiB blocks store a whole-block directory record's length as 65535 or 0, which this
    // code does not speak.
    if (superblock.block_size > largest_supported_block_size)
        return Core::ErrorCode::NotSupported;
    // The superblock is in block 1 with 1 KiB blocks and in block 0 otherwise.
    if (superblock.first_data_block != (superblock.block_size == 1024 ? 1u : 0u))
        return Core::ErrorCode::Malformed;
    u16 inode_size = superblock.inode_size;
    if (inode_size < 128 || (inode_size & (inode_size - 1)) != 0 || inode_size > superblock.block_size)
        return Core::ErrorCode::Malformed;
    if (superblock.blocks_per_group == 0 || superblock.inodes_per_group == 0
        || superblock.block_count <= superblock.first_data_block || superblock.inode_count == 0)
        return Core::ErrorCode::Malformed;
    // A group's block bitmap is one block: it maps at most 8 bits per byte of it.
    if (superblock.blocks_per_group > superblock.block_size * 8
        || superblock.inodes_per_group > superblock.block_size * 8)
        return Core::ErrorCode::Malformed;
    // The group descriptors count free blocks and inodes in 16 bits (Linux's limits).
    if (superblock.blocks_per_group > 65528
        || superblock.inodes_per_group > 65536 - superblock.block_size / inode_size)
        return Core::ErrorCode::Malformed;
    u32 groups_by_blocks = divide_rounding_up(
        superblock.block_count - superblock.first_data_block, superblock.blocks_per_group);
    u32 groups_by_inodes = divide_rounding_up(superblock.inode_count, superblock.inodes_per_group);
    if (groups_by_blocks != groups_by_inodes)
        return Core::ErrorCode::Malformed;
    superblock.group_count = groups_by_blocks;
    // Inodes 1 to 10 are reserved in every revision (bad blocks, root, ACLs, the resize inode...).
    if (superblock.first_inode < good_old_first_inode || superblock.first_inode > superblock.inode_count)
        return Core::ErrorCode::Malformed;
    if ((superblock.incompatible_features & ~supported_incompatible) != 0)
        return Core::ErrorCode::NotSupported;
    superblock.writable = (superblock.read_only_features & ~writable_read_only_features) == 0;
    if (superblock.revision >= dynamic_revision
        && (superblock.compatible_features & Feature::compatible_resize_inode))
        superblock.reserved_descriptor_blocks = read_little_endian<u16>(bytes, 206);
    superblock.descriptor_blocks = static_cast<u32>(
        (u64 { superblock.group_count } * group_descriptor_length + superblock.block_size - 1)
        / superblock.block_size);
    return superblock;
}

bool group_has_superblock_copy(u32 group, const Superblock& superblock)
{
    if (group <= 1 || !(superblock.read_only_features & Feature::read_only_sparse_super))
        return true;
    return is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
}

Result<GroupDescriptor> decode_group_descriptor(ReadonlyBytes bytes, const Superblock& superblock, u32 group)
{
    if (bytes.size() < group_descriptor_length || group >= superblock.group_count)
        return Core::ErrorCode::Malformed;
    GroupDescriptor descriptor;
    descriptor.block_bitmap = read_little_endian<u32>(bytes, 0);
    descriptor.inode_bitmap = read_little_endian<u32>(bytes, 4);
    descriptor.inode_table = read_little_endian<u32>(bytes, 8);
    descriptor.free_block_count = read_little_endian<u16>(bytes, 12);
    descriptor.free_inode_count = read_little_endian<u16>(bytes, 14);
    descriptor.directory_count = read_little_endian<u16>(bytes, 16);
    u64 table_blocks
        = (u64 { superblock.inodes_per_group } * superblock.inode_size + superblock.block_size - 1)
        / superblock.block_size;
    // As Linux checks them: the bitmaps and the inode table lie in their own group, past the
    // copy of the superblock and the descriptor table (and the blocks reserved to grow it)
    // that the group may start with. Otherwise the allocator could hand out metadata.
    u64 first = u64 { superblock.first_data_block } + u64 { group } * superblock.blocks_per_group;
    u64 end = first + superblock.blocks_per_group;
    if (end > superblock.block_count)
        end = superblock.block_count;
    if (group_has_superblock_copy(group, superblock))
        first += 1 + u64 { superblock.descriptor_blocks } + superblock.reserved_descriptor_blocks;
    auto inside = [&](u64 block, u64 count) { return block >= first && block + count <= end; };
    if (!inside(descriptor.block_bitmap, 1) || !inside(descriptor.inode_bitmap, 1)
        || !inside(descriptor.inode_table, table_blocks))
        return Core::ErrorCode::Malformed;
    return descriptor;
}

FileType Inode::type() const
{
    switch (mode & 0xF000) {
    case 0x8000:
        return FileType::Regular;
    case 0x4000:
        return FileType::Directory;
    case 0xA000:
        return FileType::SymbolicLink;
    case 0x2000:
        return FileType::CharacterDevice;
    case 0x6000:
        return FileType::BlockDevice;
    case 0x1000:
        return FileType::Fifo;
    case 0xC000:
        return FileType::Socket;
    default:
        return FileType::Unknown;
    }
}

bool Inode::is_fast_symlink(u32 block_size) const
{
    if (type() != FileType::SymbolicLink)
        return false;
    u32 attribute_sectors = extended_attribute_block != 0 ? block_size / 512 : 0;
    return sector_count == attribute_sectors && size < sizeof(blocks);
}

Inode decode_inode(ReadonlyBytes bytes, const Superblock& superblock)
{
    VERIFY(bytes.size() >= 128);
    Inode inode;
    inode.mode = read_little_endian<u16>(bytes, 0);
    inode.user_id = read_little_endian<u16>(bytes, 2) | u32 { read_little_endian<u16>(bytes, 120) } << 16;
    inode.size = read_little_endian<u32>(bytes, 4);
    inode.access_time = read_little_endian<u32>(bytes, 8);
    inode.change_time = read_little_endian<u32>(bytes, 12);
    inode.modification_time = read_little_endian<u32>(bytes, 16);
    inode.deletion_time = read_little_endian<u32>(bytes, 20);
    inode.group_id = read_little_endian<u16>(bytes, 24) | u32 { read_little_endian<u16>(bytes, 122) } << 16;
    inode.link_count = read_little_endian<u16>(bytes, 26);
    inode.sector_count = read_little_endian<u32>(bytes, 28);
    inode.flags = read_little_endian<u32>(bytes, 32);
    for (usize index = 0; index < block_pointers; ++index)
        inode.blocks[index] = read_little_endian<u32>(bytes, 40 + 4 * index);
    inode.extended_attribute_block = read_little_endian<u32>(bytes, 104);
    // In revision 1 the field at 108 is the size's high half for regular files (it was the
    // directory ACL before, and still is for directories).
    if (superblock.revision >= dynamic_revision && inode.type() == FileType::Regular)
        inode.size |= u64 { read_little_endian<u32>(bytes, 108) } << 32;
    return inode;
}

Result<DirectoryEntry> decode_directory_entry(ReadonlyBytes block, usize offset, const Superblock& superblock)
{
    if (!Core::has_bytes(block, offset, 8))
        return Core::ErrorCode::Malformed;
    DirectoryEntry entry;
    entry.inode = read_little_endian<u32>(block, offset);
    entry.record_length = read_little_endian<u16>(block, offset + 4);
    bool has_type = (superblock.incompatible_features & Feature::incompatible_filetype) != 0;
    // Without the file type feature the name length is 16 bits (its high byte always 0).
    usize name_length = has_type ? block[offset + 6] : read_little_endian<u16>(block, offset + 6);
    if (entry.record_length < 8 || entry.record_length % 4 != 0
        || !Core::has_bytes(block, offset, entry.record_length) || name_length > entry.record_length - 8u)
        return Core::ErrorCode::Malformed;
    // A used entry names the root or an inode past the reserved ones (Linux's rule).
    if (entry.inode != 0
        && (name_length == 0 || name_length > 255 || entry.inode > superblock.inode_count
            || (entry.inode != root_inode && entry.inode < superblock.first_inode)))
        return Core::ErrorCode::Malformed;
    if (has_type) {
        // The directory entry's own codes (1 regular ... 7 symbolic link).
        constexpr FileType types[]
            = { FileType::Unknown, FileType::Regular, FileType::Directory, FileType::CharacterDevice,
                  FileType::BlockDevice, FileType::Fifo, FileType::Socket, FileType::SymbolicLink };
        u8 code = block[offset + 7];
        entry.type = code < 8 ? types[code] : FileType::Unknown;
    }
    entry.name = Core::StringView(reinterpret_cast<const char*>(block.data() + offset + 8), name_length);
    return entry;
}

} // namespace FileSystems::Ext2

namespace FileSystems::Ext2 {

namespace {

void put16(Core::Bytes bytes, usize offset, u16 value)
{
    bytes[offset] = static_cast<u8>(value);
    bytes[offset + 1] = static_cast<u8>(value >> 8);
}

void put32(Core::Bytes bytes, usize offset, u32 value)
{
    for (usize index = 0; index < 4; ++index)
        bytes[offset + index] = static_cast<u8>(value >> (8 * index));
}

// The directory entry's type codes, the inverse of decode_directory_entry's table.
u8 entry_type_code(FileType type)
{
    switch (type) {
    case FileType::Regular:
        return 1;
    case FileType::Directory:
        return 2;
    case FileType::CharacterDevice:
        return 3;
    case FileType::BlockDevice:
        return 4;
    case FileType::Fifo:
        return 5;
    case FileType::Socket:
        return 6;
    case FileType::SymbolicLink:
        return 7;
    case FileType::Unknown:
        break;
    }
    return 0;
}

} // namespace

void encode_inode(const Inode& inode, Core::Bytes record, const Superblock& superblock)
{
    VERIFY(record.size() >= 128);
    put16(record, 0, inode.mode);
    put16(record, 2, static_cast<u16>(inode.user_id));
    put32(record, 4, static_cast<u32>(inode.size));
    put32(record, 8, inode.access_time);
    put32(record, 12, inode.change_time);
    put32(record, 16, inode.modification_time);
    put32(record, 20, inode.deletion_time);
    put16(record, 24, static_cast<u16>(inode.group_id));
    put16(record, 26, inode.link_count);
    put32(record, 28, inode.sector_count);
    put32(record, 32, inode.flags);
    for (usize index = 0; index < block_pointers; ++index)
        put32(record, 40 + 4 * index, inode.blocks[index]);
    put32(record, 104, inode.extended_attribute_block);
    if (superblock.revision >= 1 && inode.type() == FileType::Regular)
        put32(record, 108, static_cast<u32>(inode.size >> 32));
    put16(record, 120, static_cast<u16>(inode.user_id >> 16));
    put16(record, 122, static_cast<u16>(inode.group_id >> 16));
}

void encode_directory_entry(Core::Bytes block, usize offset, u32 inode, u16 record_length, FileType type,
    Core::StringView name, const Superblock& superblock)
{
    VERIFY(Core::has_bytes(block, offset, record_length)
        && record_length >= directory_entry_length(name.length()));
    put32(block, offset, inode);
    put16(block, offset + 4, record_length);
    if (superblock.incompatible_features & Feature::incompatible_filetype) {
        block[offset + 6] = static_cast<u8>(name.length());
        block[offset + 7] = entry_type_code(type);
    } else {
        put16(block, offset + 6, static_cast<u16>(name.length()));
    }
    for (usize index = 0; index < name.length(); ++index)
        block[offset + 8 + index] = static_cast<u8>(name[index]);
}

} // namespace FileSystems::Ext2
