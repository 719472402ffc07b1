#include <Core/ByteReading.h>
#include <Userland/FileSystems/Ext2/Ext2Volume.h>

namespace FileSystems::Ext2 {

using Core::Bytes;
using Core::Result;
using Core::StringView;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;

namespace {

// How deep a path may nest symbolic links inside symbolic links before resolution stops
// recursing (each level is a target resolved on its own). Links in sequence count only
// towards symlink_limit.
constexpr u32 maximum_link_depth = 8;
constexpr usize maximum_name_length = 255;

// A buffer of one block, from the heap (blocks are up to 64 KiB).
Result<Core::Vector<u8>> block_buffer(u32 block_size)
{
    Core::Vector<u8> buffer;
    TRY(buffer.try_resize(block_size));
    return buffer;
}

} // namespace

Volume::Volume(BlockSource& source, const Superblock& superblock, Core::Vector<GroupDescriptor> groups)
    : m_source(source)
    , m_superblock(superblock)
    , m_groups(Core::move(groups))
{
}

Result<Volume> Volume::open(BlockSource& source)
{
    u8 raw_superblock[superblock_length];
    TRY(source.read(superblock_offset, Bytes(raw_superblock, superblock_length)));
    Superblock superblock = TRY(decode_superblock(Core::ReadonlyBytes(raw_superblock, superblock_length)));
    // The descriptor table starts in the block after the superblock's.
    u64 table_offset = u64 { superblock.first_data_block + 1 } * superblock.block_size;
    u64 table_bytes = u64 { superblock.group_count } * group_descriptor_length;
    if (table_offset + table_bytes > u64 { superblock.block_count } * superblock.block_size)
        return Core::ErrorCode::Malformed;
    Core::Vector<GroupDescriptor> groups;
    TRY(groups.try_ensure_capacity(superblock.group_count));
    u8 raw_descriptor[group_descriptor_length];
    for (u32 index = 0; index < superblock.group_count; ++index) {
        TRY(source.read(table_offset + u64 { index } * group_descriptor_length,
            Bytes(raw_descriptor, group_descriptor_length)));
        GroupDescriptor descriptor = TRY(decode_group_descriptor(
            Core::ReadonlyBytes(raw_descriptor, group_descriptor_length), superblock, index));
        TRY(groups.try_append(descriptor));
    }
    return Volume(source, superblock, Core::move(groups));
}

Result<void> Volume::read_block(u32 block, Bytes destination)
{
    if (block < m_superblock.first_data_block || block >= m_superblock.block_count)
        return Core::ErrorCode::Malformed;
    return m_source.read(u64 { block } * m_superblock.block_size, destination);
}

Result<u64> Volume::directory_blocks(const Inode& directory) const
{
    u64 blocks = directory.size / m_superblock.block_size;
    if (directory.size % m_superblock.block_size != 0 || blocks > m_superblock.block_count)
        return Core::ErrorCode::Malformed;
    return blocks;
}

Result<u32> Volume::directory_block(const Inode& directory, u64 index)
{
    u32 block = TRY(data_block(directory, index));
    if (block == 0)
        return Core::ErrorCode::Malformed;
    return block;
}

Result<Inode> Volume::read_inode(u32 number)
{
    if (number == 0 || number > m_superblock.inode_count)
        return Core::ErrorCode::NotFound;
    u32 group = (number - 1) / m_superblock.inodes_per_group;
    u32 index = (number - 1) % m_superblock.inodes_per_group;
    if (group >= m_groups.size())
        return Core::ErrorCode::NotFound;
    // decode_group_descriptor checked that the whole table lies inside its group.
    u64 offset = u64 { m_groups[group].inode_table } * m_superblock.block_size
        + u64 { index } * m_superblock.inode_size;
    u8 raw[128];
    TRY(m_source.read(offset, Bytes(raw, sizeof(raw))));
    return decode_inode(Core::ReadonlyBytes(raw, sizeof(raw)), m_superblock);
}

Result<u32> Volume::read_pointer(u32 table_block, u64 index)
{
    if (table_block < m_superblock.first_data_block || table_block >= m_superblock.block_count)
        return Core::ErrorCode::Malformed;
    u8 raw[4];
    TRY(m_source.read(u64 { table_block } * m_superblock.block_size + index * 4, Bytes(raw, sizeof(raw))));
    return Core::read_little_endian<u32>(Core::ReadonlyBytes(raw, sizeof(raw)), 0);
}

Result<u32> Volume::data_block(const Inode& inode, u64 index)
{
    u64 per_block = m_superblock.block_size / 4;
    u32 block = 0;
    if (index < direct_blocks) {
        block = inode.blocks[index];
    } else if ((index -= direct_blocks) < per_block) {
        if (inode.blocks[12] != 0)
            block = TRY(read_pointer(inode.blocks[12], index));
    } else if ((index -= per_block) < per_block * per_block) {
        if (inode.blocks[13] != 0) {
            u32 middle = TRY(read_pointer(inode.blocks[13], index / per_block));
            if (middle != 0)
                block = TRY(read_pointer(middle, index % per_block));
        }
    } else if ((index -= per_block * per_block) < per_block * per_block * per_block) {
        if (inode.blocks[14] != 0) {
            u32 upper = TRY(read_pointer(inode.blocks[14], index / (per_block * per_block)));
            u32 middle = upper != 0 ? TRY(read_pointer(upper, (index / per_block) % per_block)) : 0;
            if (middle != 0)
                block = TRY(read_pointer(middle, index % per_block));
        }
    } else {
        return Core::ErrorCode::OutOfRange;
    }
    if (block != 0 && (block < m_superblock.first_data_block || block >= m_superblock.block_count))
        return Core::ErrorCode::Malformed;
    return block;
}

Result<usize> Volume::read(const Inode& inode, u64 offset, Bytes destination)
{
    if (offset >= inode.size)
        return usize { 0 };
    u64 remaining = inode.size - offset;
    usize length = destination.size() < remaining ? destination.size() : static_cast<usize>(remaining);
    u32 block_size = m_superblock.block_size;
    usize done = 0;
    while (done < length) {
        u64 position = offset + done;
        u64 within = position % block_size;
        usize chunk = static_cast<usize>(block_size - within);
        if (chunk > length - done)
            chunk = length - done;
        u32 block = TRY(data_block(inode, position / block_size));
        if (block == 0)
            __builtin_memset(destination.data() + done, 0, chunk);
        else
            TRY(m_source.read(u64 { block } * block_size + within, Bytes(destination.data() + done, chunk)));
        done += chunk;
    }
    return length;
}

Result<u32> Volume::lookup(const Inode& directory, StringView name)
{
    u32 found = 0;
    TRY(for_each_entry(directory, [&](const DirectoryEntry& entry) {
        if (entry.name == name) {
            found = entry.inode;
            return false;
        }
        return true;
    }));
    if (found == 0)
        return Core::ErrorCode::NotFound;
    return found;
}

Result<usize> Volume::read_link(const Inode& link, Bytes destination)
{
    if (link.type() != FileType::SymbolicLink)
        return Core::ErrorCode::InvalidArgument;
    if (link.size > m_superblock.block_size)
        return Core::ErrorCode::Malformed;
    usize length = static_cast<usize>(link.size);
    if (length > destination.size())
        return Core::ErrorCode::BufferTooSmall;
    if (link.is_fast_symlink(m_superblock.block_size)) {
        // The target is stored in the block pointers' 60 bytes, little-endian words.
        for (usize index = 0; index < length; ++index)
            destination[index] = static_cast<u8>(link.blocks[index / 4] >> (8 * (index % 4)));
        return length;
    }
    usize copied = TRY(read(link, 0, Bytes(destination.data(), length)));
    if (copied != length)
        return Core::ErrorCode::Malformed;
    return length;
}

Result<u32> Volume::resolve(StringView path, bool follow_last)
{
    if (path.length() == 0 || path[0] != '/')
        return Core::ErrorCode::InvalidArgument;
    u32 links_followed = 0;
    return resolve_from(root_inode, path, follow_last, links_followed, 0);
}

Result<u32> Volume::resolve_from(
    u32 directory, StringView path, bool follow_last, u32& links_followed, u32 depth)
{
    usize position = 0;
    if (path.length() > 0 && path[0] == '/') {
        directory = root_inode;
        position = 1;
    }
    u32 current = directory;
    while (position < path.length()) {
        usize end = position;
        while (end < path.length() && path[end] != '/')
            ++end;
        StringView name = path.substring(position, end - position);
        bool last = true;
        for (usize rest = end; rest < path.length(); ++rest) {
            if (path[rest] != '/') {
                last = false;
                break;
            }
        }
        position = end + 1;
        if (name.length() == 0 || name == "."_sv)
            continue;
        if (name.length() > maximum_name_length)
            return Core::ErrorCode::InvalidArgument;
        Inode inode = TRY(read_inode(current));
        if (inode.type() != FileType::Directory)
            return Core::ErrorCode::NotADirectory;
        u32 parent = current;
        current = TRY(lookup(inode, name));
        Inode found = TRY(read_inode(current));
        if (found.type() == FileType::SymbolicLink && (!last || follow_last)) {
            if (++links_followed > symlink_limit || depth >= maximum_link_depth)
                return Core::ErrorCode::SymlinkLoop;
            auto target_buffer = TRY(block_buffer(m_superblock.block_size));
            usize target_length = TRY(read_link(found, Bytes(target_buffer.data(), target_buffer.size())));
            StringView target(reinterpret_cast<const char*>(target_buffer.data()), target_length);
            current = TRY(resolve_from(parent, target, true, links_followed, depth + 1));
        }
    }
    return current;
}

} // namespace FileSystems::Ext2
