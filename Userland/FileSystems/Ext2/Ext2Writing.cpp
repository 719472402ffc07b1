// Writing an ext2 volume: allocation in the bitmaps, inodes, data and indirect blocks,
// directory entries, and the operations built on them. The order of the writes each
// operation makes is documented in docs/filesystems.md#write-order.

#include <Core/ByteReading.h>
#include <Userland/FileSystems/Ext2/Ext2Volume.h>

namespace FileSystems::Ext2 {

using Core::Bytes;
using Core::ReadonlyBytes;
using Core::Result;
using Core::StringView;
using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;

namespace {

constexpr u16 type_regular = 0x8000;
constexpr u16 type_directory = 0x4000;
constexpr u16 type_symbolic_link = 0xA000;
// A directory with a hash index (the dir_index feature); a writer that does not keep the
// index clears this, and the directory is read linearly from then on.
constexpr u32 indexed_directory_flag = 0x1000;
// Offsets in the superblock of the fields the writer keeps up to date.
constexpr u64 free_blocks_field = superblock_offset + 12;
constexpr u64 free_inodes_field = superblock_offset + 16;
constexpr u64 write_time_field = superblock_offset + 48;
constexpr u32 largest_small_file = 0x7FFF'FFFF; // without large_file, sizes stay below 2 GiB
// Linux's ext2 limit on links (subdirectories, for a directory).
constexpr u16 maximum_link_count = 32000;
constexpr u32 extended_attribute_magic = 0xEA02'0000;
// How deep rename's walk up from the target goes before it takes the ".." chain for a loop.
constexpr u32 maximum_directory_depth = 4096;
constexpr u16 state_valid = 1; // s_state bit 0: cleanly unmounted

Result<Core::Vector<u8>> zeroed_buffer(usize length)
{
    Core::Vector<u8> buffer;
    TRY(buffer.try_resize(length));
    return buffer;
}

void put32(Bytes bytes, usize offset, u32 value)
{
    for (usize index = 0; index < 4; ++index)
        bytes[offset + index] = static_cast<u8>(value >> (8 * index));
}

bool is_directory(const Inode& inode)
{
    return inode.type() == FileType::Directory;
}

} // namespace

Result<Inode> Volume::read_live_file(u32 number)
{
    Inode inode = TRY(read_inode(number));
    if (inode.type() != FileType::Regular)
        return Core::ErrorCode::InvalidArgument;
    // A freed inode is no file to write into (an orphan still open is one).
    if (inode.deletion_time != 0 || (inode.link_count == 0 && !is_orphan(number)))
        return Core::ErrorCode::NotFound;
    return inode;
}

u64 Volume::largest_file_size() const
{
    // What the block pointers reach, what i_blocks (32 bits of 512-byte sectors) can count,
    // and 2 GiB without large_file.
    u64 per_block = m_superblock.block_size / 4;
    u64 blocks = direct_blocks + per_block + per_block * per_block + per_block * per_block * per_block;
    u64 by_pointers = blocks * m_superblock.block_size;
    u64 by_sectors = (u64 { 0xFFFF'FFFF } * 512) / m_superblock.block_size * m_superblock.block_size;
    u64 limit = by_pointers < by_sectors ? by_pointers : by_sectors;
    if (!(m_superblock.read_only_features & Feature::read_only_large_file) && limit > largest_small_file)
        limit = largest_small_file;
    return limit;
}

Result<void> Volume::begin_change()
{
    // The first change clears the clean bit, so that after a crash the volume says it needs
    // checking; mark_clean() sets it again once everything is written.
    if (m_marked_in_use)
        return {};
    u8 state[2];
    TRY(m_source.read(superblock_offset + 58, Bytes(state, 2)));
    state[0] = static_cast<u8>(state[0] & ~state_valid);
    TRY(m_source.write(superblock_offset + 58, ReadonlyBytes(state, 2)));
    m_marked_in_use = true;
    return {};
}

Result<void> Volume::mark_clean()
{
    if (!m_marked_in_use)
        return {};
    u8 state[2];
    TRY(m_source.read(superblock_offset + 58, Bytes(state, 2)));
    state[0] = static_cast<u8>(state[0] | state_valid);
    TRY(m_source.write(superblock_offset + 58, ReadonlyBytes(state, 2)));
    m_marked_in_use = false;
    return {};
}

Result<void> Volume::check_writable(StringView name) const
{
    if (!m_superblock.writable)
        return Core::ErrorCode::NotSupported;
    if (name.length() == 0 || name.length() > 255 || name == "."_sv || name == ".."_sv)
        return Core::ErrorCode::InvalidArgument;
    for (usize index = 0; index < name.length(); ++index) {
        if (name[index] == '/' || name[index] == '\0')
            return Core::ErrorCode::InvalidArgument;
    }
    return {};
}

// ---- Metadata ---------------------------------------------------------------------------------

Result<void> Volume::write_inode(u32 number, const Inode& inode, bool fresh)
{
    if (number == 0 || number > m_superblock.inode_count)
        return Core::ErrorCode::NotFound;
    u32 group = (number - 1) / m_superblock.inodes_per_group;
    u32 index = (number - 1) % m_superblock.inodes_per_group;
    u64 offset = u64 { m_groups[group].inode_table } * m_superblock.block_size
        + u64 { index } * m_superblock.inode_size;
    u8 record[128] = {};
    if (fresh) {
        // A new inode starts from zeros, its extra space (larger inodes) included.
        auto zeros = TRY(zeroed_buffer(m_superblock.inode_size));
        TRY(m_source.write(offset, ReadonlyBytes(zeros.data(), zeros.size())));
    } else {
        TRY(m_source.read(offset, Bytes(record, sizeof(record))));
    }
    encode_inode(inode, Bytes(record, sizeof(record)), m_superblock);
    return m_source.write(offset, ReadonlyBytes(record, sizeof(record)));
}

Result<void> Volume::write_group(u32 group)
{
    u64 offset = u64 { m_superblock.first_data_block + 1 } * m_superblock.block_size + u64 { group } * 32;
    u8 descriptor[6];
    const GroupDescriptor& counts = m_groups[group];
    descriptor[0] = static_cast<u8>(counts.free_block_count);
    descriptor[1] = static_cast<u8>(counts.free_block_count >> 8);
    descriptor[2] = static_cast<u8>(counts.free_inode_count);
    descriptor[3] = static_cast<u8>(counts.free_inode_count >> 8);
    descriptor[4] = static_cast<u8>(counts.directory_count);
    descriptor[5] = static_cast<u8>(counts.directory_count >> 8);
    return m_source.write(offset + 12, ReadonlyBytes(descriptor, sizeof(descriptor)));
}

Result<void> Volume::write_counts()
{
    u8 field[4];
    put32(Bytes(field, 4), 0, m_superblock.free_block_count);
    TRY(m_source.write(free_blocks_field, ReadonlyBytes(field, 4)));
    put32(Bytes(field, 4), 0, m_superblock.free_inode_count);
    TRY(m_source.write(free_inodes_field, ReadonlyBytes(field, 4)));
    put32(Bytes(field, 4), 0, m_now);
    return m_source.write(write_time_field, ReadonlyBytes(field, 4));
}

// ---- Allocation -------------------------------------------------------------------------------

Result<u32> Volume::allocate_block(u32 goal_group, bool zeroed)
{
    u32 block_size = m_superblock.block_size;
    auto bitmap = TRY(zeroed_buffer(block_size));
    for (u32 step = 0; step < m_superblock.group_count; ++step) {
        u32 group = (goal_group + step) % m_superblock.group_count;
        if (m_groups[group].free_block_count == 0)
            continue;
        u64 first = u64 { m_superblock.first_data_block } + u64 { group } * m_superblock.blocks_per_group;
        u64 in_group = m_superblock.block_count - first;
        if (in_group > m_superblock.blocks_per_group)
            in_group = m_superblock.blocks_per_group;
        TRY(read_block(m_groups[group].block_bitmap, Bytes(bitmap.data(), block_size)));
        for (u32 bit = 0; bit < in_group; ++bit) {
            if (bitmap[bit / 8] & (1u << (bit % 8)))
                continue;
            u32 block = static_cast<u32>(first + bit);
            if (zeroed) {
                auto zeros = TRY(zeroed_buffer(block_size));
                TRY(m_source.write(u64 { block } * block_size, ReadonlyBytes(zeros.data(), block_size)));
            }
            TRY(set_bitmap_bit(m_groups[group].block_bitmap, bit, bitmap[bit / 8]));
            --m_groups[group].free_block_count;
            if (m_superblock.free_block_count > 0)
                --m_superblock.free_block_count;
            TRY(write_group(group));
            TRY(write_counts());
            return block;
        }
    }
    return Core::ErrorCode::OutOfRange;
}

Result<void> Volume::set_bitmap_bit(u32 bitmap_block, u32 bit, u8 current_byte)
{
    u8 byte = static_cast<u8>(current_byte | (1u << (bit % 8)));
    return m_source.write(u64 { bitmap_block } * m_superblock.block_size + bit / 8, ReadonlyBytes(&byte, 1));
}

Result<void> Volume::clear_bitmap_bit(u32 bitmap_block, u32 bit)
{
    u64 byte_offset = u64 { bitmap_block } * m_superblock.block_size + bit / 8;
    u8 byte = 0;
    TRY(m_source.read(byte_offset, Bytes(&byte, 1)));
    // Freeing what is free means two owners claimed it: the image is corrupt.
    if ((byte & (1u << (bit % 8))) == 0)
        return Core::ErrorCode::Malformed;
    byte = static_cast<u8>(byte & ~(1u << (bit % 8)));
    return m_source.write(byte_offset, ReadonlyBytes(&byte, 1));
}

Result<void> Volume::free_block(u32 block)
{
    if (block < m_superblock.first_data_block || block >= m_superblock.block_count)
        return Core::ErrorCode::Malformed;
    u32 group = (block - m_superblock.first_data_block) / m_superblock.blocks_per_group;
    TRY(clear_bitmap_bit(m_groups[group].block_bitmap,
        (block - m_superblock.first_data_block) % m_superblock.blocks_per_group));
    ++m_groups[group].free_block_count;
    ++m_superblock.free_block_count;
    TRY(write_group(group));
    return write_counts();
}

Result<u32> Volume::allocate_inode(u32 goal_group, bool directory)
{
    u32 block_size = m_superblock.block_size;
    auto bitmap = TRY(zeroed_buffer(block_size));
    for (u32 step = 0; step < m_superblock.group_count; ++step) {
        u32 group = (goal_group + step) % m_superblock.group_count;
        if (m_groups[group].free_inode_count == 0)
            continue;
        TRY(read_block(m_groups[group].inode_bitmap, Bytes(bitmap.data(), block_size)));
        for (u32 bit = 0; bit < m_superblock.inodes_per_group; ++bit) {
            u32 number = group * m_superblock.inodes_per_group + bit + 1;
            if (number < m_superblock.first_inode || (bitmap[bit / 8] & (1u << (bit % 8))))
                continue;
            if (number > m_superblock.inode_count)
                break;
            TRY(set_bitmap_bit(m_groups[group].inode_bitmap, bit, bitmap[bit / 8]));
            --m_groups[group].free_inode_count;
            if (directory)
                ++m_groups[group].directory_count;
            if (m_superblock.free_inode_count > 0)
                --m_superblock.free_inode_count;
            TRY(write_group(group));
            TRY(write_counts());
            return number;
        }
    }
    return Core::ErrorCode::OutOfRange;
}

Result<void> Volume::free_inode(u32 number, bool directory)
{
    u32 group = (number - 1) / m_superblock.inodes_per_group;
    TRY(clear_bitmap_bit(m_groups[group].inode_bitmap, (number - 1) % m_superblock.inodes_per_group));
    ++m_groups[group].free_inode_count;
    if (directory && m_groups[group].directory_count > 0)
        --m_groups[group].directory_count;
    ++m_superblock.free_inode_count;
    TRY(write_group(group));
    return write_counts();
}

// ---- Block maps -------------------------------------------------------------------------------

Result<void> Volume::set_data_block(Inode& inode, u32 number, u64 index, u32 block)
{
    u64 per_block = m_superblock.block_size / 4;
    u32 group = (number - 1) / m_superblock.inodes_per_group;
    u32 sectors_per_block = m_superblock.block_size / 512;
    // The table at `pointer` (made, zeroed, when absent); `pointer` is written back by the caller.
    auto table_for = [&](u32& pointer) -> Result<u32> {
        if (pointer == 0) {
            pointer = TRY(allocate_block(group, true));
            inode.sector_count += sectors_per_block;
        }
        return pointer;
    };
    // The child table in slot `slot` of table `table`, made when absent.
    auto child_table = [&](u32 table, u64 slot) -> Result<u32> {
        u32 child = TRY(read_pointer(table, slot));
        if (child == 0) {
            child = TRY(allocate_block(group, true));
            inode.sector_count += sectors_per_block;
            u8 raw[4];
            put32(Bytes(raw, 4), 0, child);
            TRY(m_source.write(u64 { table } * m_superblock.block_size + slot * 4, ReadonlyBytes(raw, 4)));
        }
        return child;
    };
    u32 table = 0;
    u64 slot = 0;
    if (index < direct_blocks) {
        inode.blocks[index] = block;
        return {};
    }
    index -= direct_blocks;
    if (index < per_block) {
        table = TRY(table_for(inode.blocks[12]));
        slot = index;
    } else if ((index -= per_block) < per_block * per_block) {
        u32 top = TRY(table_for(inode.blocks[13]));
        table = TRY(child_table(top, index / per_block));
        slot = index % per_block;
    } else if ((index -= per_block * per_block) < per_block * per_block * per_block) {
        u32 top = TRY(table_for(inode.blocks[14]));
        u32 middle = TRY(child_table(top, index / (per_block * per_block)));
        table = TRY(child_table(middle, (index / per_block) % per_block));
        slot = index % per_block;
    } else {
        return Core::ErrorCode::OutOfRange;
    }
    u8 raw[4];
    put32(Bytes(raw, 4), 0, block);
    return m_source.write(u64 { table } * m_superblock.block_size + slot * 4, ReadonlyBytes(raw, 4));
}

Result<u32> Volume::ensure_data_block(Inode& inode, u32 number, u64 index)
{
    u32 block = TRY(data_block(inode, index));
    if (block != 0)
        return block;
    u32 group = (number - 1) / m_superblock.inodes_per_group;
    block = TRY(allocate_block(group, false));
    inode.sector_count += m_superblock.block_size / 512;
    auto pointed = set_data_block(inode, number, index, block);
    if (pointed.is_error()) {
        // No table for it: the block goes back, so that nothing leaks.
        (void)free_block(block);
        inode.sector_count -= m_superblock.block_size / 512;
        return pointed.error();
    }
    return block;
}

Result<void> Volume::free_tree(
    Inode& inode, u32 table, u32 depth, u64 first_kept, u64 base, u64 span, bool& now_empty)
{
    u32 block_size = m_superblock.block_size;
    u64 per_block = block_size / 4;
    u64 child_span = span / per_block;
    auto entries = TRY(zeroed_buffer(block_size));
    TRY(read_block(table, Bytes(entries.data(), block_size)));
    Bytes bytes(entries.data(), block_size);
    bool any_left = false;
    bool changed = false;
    for (u64 slot = 0; slot < per_block; ++slot) {
        u32 child = Core::read_little_endian<u32>(ReadonlyBytes(entries.data(), block_size), slot * 4);
        if (child == 0)
            continue;
        u64 child_base = base + slot * child_span;
        if (child_base + child_span <= first_kept) {
            any_left = true;
            continue;
        }
        bool child_empty = true;
        if (depth > 1)
            TRY(free_tree(inode, child, depth - 1, first_kept, child_base, child_span, child_empty));
        if (!child_empty) {
            any_left = true;
            continue;
        }
        TRY(free_block(child));
        inode.sector_count -= inode.sector_count >= block_size / 512 ? block_size / 512 : inode.sector_count;
        put32(bytes, slot * 4, 0);
        changed = true;
    }
    if (changed && any_left)
        TRY(m_source.write(u64 { table } * block_size, ReadonlyBytes(entries.data(), block_size)));
    now_empty = !any_left;
    return {};
}

Result<void> Volume::free_blocks_from(Inode& inode, u64 first_kept)
{
    u32 sectors_per_block = m_superblock.block_size / 512;
    auto drop_sectors = [&] {
        inode.sector_count
            -= inode.sector_count >= sectors_per_block ? sectors_per_block : inode.sector_count;
    };
    for (u64 index = first_kept; index < direct_blocks; ++index) {
        if (inode.blocks[index] == 0)
            continue;
        TRY(free_block(inode.blocks[index]));
        inode.blocks[index] = 0;
        drop_sectors();
    }
    u64 per_block = m_superblock.block_size / 4;
    u64 base = direct_blocks;
    u64 span = per_block;
    for (u32 depth = 1; depth <= 3; ++depth) {
        u32& pointer = inode.blocks[direct_blocks + depth - 1];
        if (pointer != 0 && first_kept < base + span) {
            bool empty = false;
            TRY(free_tree(inode, pointer, depth, first_kept, base, span, empty));
            if (empty) {
                TRY(free_block(pointer));
                pointer = 0;
                drop_sectors();
            }
        }
        base += span;
        span *= per_block;
    }
    return {};
}

// ---- Directories ------------------------------------------------------------------------------

Result<void> Volume::add_entry(u32 directory, StringView name, u32 child, FileType type)
{
    Inode inode = TRY(read_inode(directory));
    if (!is_directory(inode))
        return Core::ErrorCode::NotADirectory;
    u32 block_size = m_superblock.block_size;
    usize needed = directory_entry_length(name.length());
    auto buffer = TRY(zeroed_buffer(block_size));
    Bytes block(buffer.data(), block_size);
    bool placed = false;
    u64 blocks = TRY(directory_blocks(inode));
    for (u64 index = 0; index < blocks && !placed; ++index) {
        u32 physical = TRY(directory_block(inode, index));
        TRY(read_block(physical, block));
        for (usize offset = 0; offset < block_size;) {
            DirectoryEntry entry = TRY(decode_directory_entry(block, offset, m_superblock));
            usize used = entry.inode != 0 ? directory_entry_length(entry.name.length()) : 0;
            if (entry.record_length - used >= needed) {
                if (entry.inode != 0) {
                    // The entry keeps what it uses; the new one takes the rest of its record.
                    encode_directory_entry(block, offset, entry.inode, static_cast<u16>(used), entry.type,
                        entry.name, m_superblock);
                    offset += used;
                }
                encode_directory_entry(block, offset, child, static_cast<u16>(entry.record_length - used),
                    type, name, m_superblock);
                TRY(m_source.write(u64 { physical } * block_size, ReadonlyBytes(buffer.data(), block_size)));
                placed = true;
                break;
            }
            offset += entry.record_length;
        }
    }
    if (!placed) {
        // A new block at the end, all of it the new entry's, written before it is pointed at.
        u64 index = inode.size / block_size;
        u32 physical = TRY(allocate_block((directory - 1) / m_superblock.inodes_per_group, false));
        for (usize offset = 0; offset < block_size; ++offset)
            block[offset] = 0;
        encode_directory_entry(block, 0, child, static_cast<u16>(block_size), type, name, m_superblock);
        auto written
            = m_source.write(u64 { physical } * block_size, ReadonlyBytes(buffer.data(), block_size));
        if (!written.is_error())
            written = set_data_block(inode, directory, index, physical);
        if (written.is_error()) {
            (void)free_block(physical);
            return written.error();
        }
        inode.sector_count += block_size / 512;
        inode.size += block_size;
    }
    inode.flags &= ~indexed_directory_flag;
    inode.modification_time = inode.change_time = m_now;
    return write_inode(directory, inode, false);
}

Result<void> Volume::remove_entry(u32 directory, StringView name)
{
    Inode inode = TRY(read_inode(directory));
    if (!is_directory(inode))
        return Core::ErrorCode::NotADirectory;
    u32 block_size = m_superblock.block_size;
    auto buffer = TRY(zeroed_buffer(block_size));
    Bytes block(buffer.data(), block_size);
    u64 blocks = TRY(directory_blocks(inode));
    for (u64 index = 0; index < blocks; ++index) {
        u32 physical = TRY(directory_block(inode, index));
        TRY(read_block(physical, block));
        usize previous = block_size;
        for (usize offset = 0; offset < block_size;) {
            DirectoryEntry entry = TRY(decode_directory_entry(block, offset, m_superblock));
            if (entry.inode != 0 && entry.name == name) {
                if (previous == block_size) {
                    // The block's first entry: emptied in place.
                    put32(block, offset, 0);
                } else {
                    // Otherwise the one before takes its record.
                    DirectoryEntry before = TRY(decode_directory_entry(block, previous, m_superblock));
                    encode_directory_entry(block, previous, before.inode,
                        static_cast<u16>(before.record_length + entry.record_length), before.type,
                        before.name, m_superblock);
                }
                TRY(m_source.write(u64 { physical } * block_size, ReadonlyBytes(buffer.data(), block_size)));
                inode.flags &= ~indexed_directory_flag;
                inode.modification_time = inode.change_time = m_now;
                return write_inode(directory, inode, false);
            }
            previous = offset;
            offset += entry.record_length;
        }
    }
    return Core::ErrorCode::NotFound;
}

Result<void> Volume::set_entry_inode(u32 directory, StringView name, u32 child)
{
    Inode inode = TRY(read_inode(directory));
    u32 block_size = m_superblock.block_size;
    auto buffer = TRY(zeroed_buffer(block_size));
    Bytes block(buffer.data(), block_size);
    Inode target = TRY(read_inode(child));
    u64 blocks = TRY(directory_blocks(inode));
    for (u64 index = 0; index < blocks; ++index) {
        u32 physical = TRY(directory_block(inode, index));
        TRY(read_block(physical, block));
        for (usize offset = 0; offset < block_size;) {
            DirectoryEntry entry = TRY(decode_directory_entry(block, offset, m_superblock));
            if (entry.inode != 0 && entry.name == name) {
                encode_directory_entry(
                    block, offset, child, entry.record_length, target.type(), entry.name, m_superblock);
                TRY(m_source.write(u64 { physical } * block_size, ReadonlyBytes(buffer.data(), block_size)));
                inode.flags &= ~indexed_directory_flag;
                inode.modification_time = inode.change_time = m_now;
                return write_inode(directory, inode, false);
            }
            offset += entry.record_length;
        }
    }
    return Core::ErrorCode::NotFound;
}

Result<bool> Volume::is_empty_directory(const Inode& directory)
{
    bool empty = true;
    TRY(for_each_entry(directory, [&](const DirectoryEntry& entry) {
        if (entry.name != "."_sv && entry.name != ".."_sv) {
            empty = false;
            return false;
        }
        return true;
    }));
    return empty;
}

// ---- Operations -------------------------------------------------------------------------------

Result<u32> Volume::create_inode(u32 directory, StringView name, u16 mode, NewInode attributes, Inode& inode)
{
    TRY(check_writable(name));
    Inode parent = TRY(read_inode(directory));
    if (!is_directory(parent))
        return Core::ErrorCode::NotADirectory;
    auto existing = lookup(parent, name);
    if (!existing.is_error())
        return Core::ErrorCode::AlreadyExists;
    if (existing.error().code() != Core::ErrorCode::NotFound)
        return existing.error();
    bool directory_inode = (mode & 0xF000) == type_directory;
    if (directory_inode && parent.link_count >= maximum_link_count)
        return Core::ErrorCode::OutOfRange;
    TRY(begin_change());
    u32 number = TRY(allocate_inode((directory - 1) / m_superblock.inodes_per_group, directory_inode));
    inode = Inode {};
    inode.mode = static_cast<u16>(mode | (attributes.permissions & 07777));
    inode.user_id = attributes.user_id;
    inode.group_id = attributes.group_id;
    inode.access_time = inode.change_time = inode.modification_time = m_now;
    inode.link_count = directory_inode ? 2 : 1;
    auto written = write_inode(number, inode, true);
    if (written.is_error()) {
        (void)free_inode(number, directory_inode);
        return written.error();
    }
    return number;
}

void Volume::discard_new_inode(u32 number, Inode& inode)
{
    // Undoes a creation that failed before its name was written: the inode is marked
    // deleted and its blocks and number go back, as if it had never been.
    bool directory_inode = is_directory(inode);
    inode.link_count = 0;
    inode.deletion_time = m_now;
    if (inode.is_fast_symlink(m_superblock.block_size)) {
        for (u32& pointer : inode.blocks)
            pointer = 0;
    } else {
        (void)free_blocks_from(inode, 0);
    }
    inode.size = 0;
    (void)write_inode(number, inode, false);
    (void)free_inode(number, directory_inode);
}

Result<u32> Volume::create_file(u32 directory, StringView name, NewInode attributes)
{
    Inode inode;
    u32 number = TRY(create_inode(directory, name, type_regular, attributes, inode));
    auto added = add_entry(directory, name, number, FileType::Regular);
    if (added.is_error()) {
        discard_new_inode(number, inode);
        return added.error();
    }
    return number;
}

Result<u32> Volume::create_directory(u32 directory, StringView name, NewInode attributes)
{
    Inode inode;
    u32 number = TRY(create_inode(directory, name, type_directory, attributes, inode));
    u32 block_size = m_superblock.block_size;
    // The first block: "." and "..", written before the inode points at it.
    auto made = [&]() -> Result<void> {
        auto buffer = TRY(zeroed_buffer(block_size));
        Bytes bytes(buffer.data(), block_size);
        encode_directory_entry(bytes, 0, number, 12, FileType::Directory, "."_sv, m_superblock);
        encode_directory_entry(bytes, 12, directory, static_cast<u16>(block_size - 12), FileType::Directory,
            ".."_sv, m_superblock);
        u32 block = TRY(allocate_block((number - 1) / m_superblock.inodes_per_group, false));
        inode.blocks[0] = block;
        inode.sector_count = block_size / 512;
        TRY(m_source.write(u64 { block } * block_size, ReadonlyBytes(buffer.data(), block_size)));
        inode.size = block_size;
        return write_inode(number, inode, false);
    }();
    if (made.is_error()) {
        discard_new_inode(number, inode);
        return made.error();
    }
    // The new directory's ".." is a link to its parent; then its name.
    Inode parent = TRY(read_inode(directory));
    ++parent.link_count;
    TRY(write_inode(directory, parent, false));
    auto added = add_entry(directory, name, number, FileType::Directory);
    if (added.is_error()) {
        parent = TRY(read_inode(directory));
        --parent.link_count;
        (void)write_inode(directory, parent, false);
        discard_new_inode(number, inode);
        return added.error();
    }
    return number;
}

Result<u32> Volume::create_symlink(u32 directory, StringView name, StringView target, NewInode attributes)
{
    if (target.length() == 0 || target.length() >= m_superblock.block_size || target.length() > 4095)
        return Core::ErrorCode::InvalidArgument;
    for (usize index = 0; index < target.length(); ++index) {
        if (target[index] == '\0')
            return Core::ErrorCode::InvalidArgument;
    }
    attributes.permissions = 0777;
    Inode inode;
    u32 number = TRY(create_inode(directory, name, type_symbolic_link, attributes, inode));
    inode.size = target.length();
    auto made = [&]() -> Result<void> {
        if (target.length() < sizeof(inode.blocks)) {
            // A fast link: the target in the block pointers' bytes.
            for (usize index = 0; index < target.length(); ++index)
                inode.blocks[index / 4] |= u32 { static_cast<u8>(target[index]) } << (8 * (index % 4));
        } else {
            auto buffer = TRY(zeroed_buffer(m_superblock.block_size));
            for (usize index = 0; index < target.length(); ++index)
                buffer[index] = static_cast<u8>(target[index]);
            u32 block = TRY(allocate_block((number - 1) / m_superblock.inodes_per_group, false));
            inode.blocks[0] = block;
            inode.sector_count = m_superblock.block_size / 512;
            TRY(m_source.write(
                u64 { block } * m_superblock.block_size, ReadonlyBytes(buffer.data(), buffer.size())));
        }
        TRY(write_inode(number, inode, false));
        return add_entry(directory, name, number, FileType::SymbolicLink);
    }();
    if (made.is_error()) {
        discard_new_inode(number, inode);
        return made.error();
    }
    return number;
}

Result<void> Volume::write(u32 file, u64 offset, ReadonlyBytes data)
{
    if (!m_superblock.writable)
        return Core::ErrorCode::NotSupported;
    Inode inode = TRY(read_live_file(file));
    u64 end = offset + data.size();
    if (end < offset || end > largest_file_size())
        return Core::ErrorCode::OutOfRange;
    if (data.size() == 0)
        return {};
    TRY(begin_change());
    u32 block_size = m_superblock.block_size;
    auto buffer = TRY(zeroed_buffer(block_size));
    usize done = 0;
    Result<void> outcome = {};
    while (done < data.size()) {
        u64 position = offset + done;
        u64 index = position / block_size;
        usize within = static_cast<usize>(position % block_size);
        usize chunk = block_size - within;
        if (chunk > data.size() - done)
            chunk = data.size() - done;
        auto existing = data_block(inode, index);
        if (existing.is_error()) {
            outcome = existing.error();
            break;
        }
        if (existing.value() != 0) {
            outcome = m_source.write(
                u64 { existing.value() } * block_size + within, ReadonlyBytes(data.data() + done, chunk));
        } else {
            // A new block: its contents are written before anything points at it, and what
            // the write does not cover reads as zeros.
            auto block = allocate_block((file - 1) / m_superblock.inodes_per_group, false);
            if (block.is_error()) {
                outcome = block.error();
                break;
            }
            for (usize byte = 0; byte < block_size; ++byte)
                buffer[byte] = 0;
            for (usize byte = 0; byte < chunk; ++byte)
                buffer[within + byte] = data[done + byte];
            outcome = m_source.write(
                u64 { block.value() } * block_size, ReadonlyBytes(buffer.data(), block_size));
            if (!outcome.is_error())
                outcome = set_data_block(inode, file, index, block.value());
            if (outcome.is_error()) {
                // Nothing points at it: it goes back, so that nothing leaks.
                (void)free_block(block.value());
                break;
            }
            inode.sector_count += block_size / 512;
        }
        if (outcome.is_error())
            break;
        done += chunk;
    }
    // What was written is kept, even when the volume filled up part way; a write that wrote
    // nothing changes no size.
    if (done > 0 && offset + done > inode.size)
        inode.size = offset + done;
    inode.modification_time = inode.change_time = m_now;
    TRY(write_inode(file, inode, false));
    return outcome;
}

Result<void> Volume::truncate(u32 file, u64 size)
{
    if (!m_superblock.writable)
        return Core::ErrorCode::NotSupported;
    Inode inode = TRY(read_live_file(file));
    if (size > largest_file_size())
        return Core::ErrorCode::OutOfRange;
    TRY(begin_change());
    u32 block_size = m_superblock.block_size;
    u64 old_size = inode.size;
    // The new size reaches the disk first: from then on the blocks past it are unreachable,
    // and a crash while they are freed leaves only what e2fsck reclaims.
    inode.size = size;
    inode.modification_time = inode.change_time = m_now;
    TRY(write_inode(file, inode, false));
    if (size < old_size) {
        TRY(free_blocks_from(inode, (size + block_size - 1) / block_size));
        // The kept block's tail is zeroed, so that growing the file again reads zeros there.
        usize within = static_cast<usize>(size % block_size);
        if (within != 0) {
            u32 block = TRY(data_block(inode, size / block_size));
            if (block != 0) {
                auto zeros = TRY(zeroed_buffer(block_size - within));
                TRY(m_source.write(
                    u64 { block } * block_size + within, ReadonlyBytes(zeros.data(), zeros.size())));
            }
        }
        TRY(write_inode(file, inode, false));
    }
    return {};
}

Result<void> Volume::release_link(u32 directory, u32 child, Inode& inode, bool keep)
{
    bool directory_inode = is_directory(inode);
    inode.change_time = m_now;
    if (directory_inode) {
        // An empty directory goes whole: its "." and its parent's entry. Its ".." was a
        // link to the parent.
        inode.link_count = 0;
        Inode parent = TRY(read_inode(directory));
        if (parent.link_count > 0)
            --parent.link_count;
        TRY(write_inode(directory, parent, false));
    } else if (inode.link_count > 0) {
        --inode.link_count;
    }
    if (inode.link_count == 0)
        inode.deletion_time = m_now;
    // Still open: the inode stays, with no name and no deletion time, until
    // release_orphan(). A crash before then leaves it for e2fsck to free.
    if (inode.link_count == 0 && keep && !directory_inode) {
        TRY(m_orphans.try_append(child));
        inode.deletion_time = 0;
        return write_inode(child, inode, false);
    }
    // The link count (and, for the last link, the deletion time) reaches the disk before
    // anything is freed.
    TRY(write_inode(child, inode, false));
    if (inode.link_count > 0)
        return {};
    return free_unlinked(child, inode, directory_inode);
}

Result<void> Volume::free_unlinked(u32 child, Inode& inode, bool directory_inode)
{
    if (inode.is_fast_symlink(m_superblock.block_size)) {
        for (u32& pointer : inode.blocks)
            pointer = 0;
    } else {
        TRY(free_blocks_from(inode, 0));
    }
    TRY(release_attribute_block(inode));
    inode.size = 0;
    TRY(write_inode(child, inode, false));
    return free_inode(child, directory_inode);
}

Result<void> Volume::release_attribute_block(Inode& inode)
{
    // Extended attribute blocks are shared by reference count (h_refcount at offset 4,
    // after the 0xEA020000 magic): the last user frees it.
    u32 block = inode.extended_attribute_block;
    if (block == 0)
        return {};
    if (block < m_superblock.first_data_block || block >= m_superblock.block_count)
        return Core::ErrorCode::Malformed;
    u8 header[8];
    TRY(m_source.read(u64 { block } * m_superblock.block_size, Bytes(header, sizeof(header))));
    u32 magic = Core::read_little_endian<u32>(ReadonlyBytes(header, 8), 0);
    u32 references = Core::read_little_endian<u32>(ReadonlyBytes(header, 8), 4);
    if (magic != extended_attribute_magic)
        return Core::ErrorCode::Malformed;
    inode.extended_attribute_block = 0;
    u32 sectors = m_superblock.block_size / 512;
    inode.sector_count -= inode.sector_count >= sectors ? sectors : inode.sector_count;
    if (references > 1) {
        u8 count[4];
        put32(Bytes(count, 4), 0, references - 1);
        return m_source.write(u64 { block } * m_superblock.block_size + 4, ReadonlyBytes(count, 4));
    }
    return free_block(block);
}

Result<void> Volume::release_orphan(u32 number)
{
    usize index = 0;
    for (; index < m_orphans.size() && m_orphans[index] != number; ++index) { }
    if (index == m_orphans.size())
        return Core::ErrorCode::NotFound;
    m_orphans[index] = m_orphans[m_orphans.size() - 1];
    m_orphans.remove_last();
    TRY(begin_change());
    Inode inode = TRY(read_inode(number));
    if (inode.link_count != 0)
        return {};
    inode.deletion_time = m_now;
    TRY(write_inode(number, inode, false));
    return free_unlinked(number, inode, false);
}

Result<void> Volume::set_permissions(u32 number, u16 permissions)
{
    TRY(check_writable("x"_sv));
    Inode inode = TRY(read_inode(number));
    if (inode.link_count == 0 && inode.deletion_time != 0)
        return Core::ErrorCode::NotFound;
    TRY(begin_change());
    inode.mode = static_cast<u16>((inode.mode & ~07777) | (permissions & 07777));
    inode.change_time = m_now;
    return write_inode(number, inode, false);
}

Result<void> Volume::set_times(u32 number, u32 access_time, u32 modification_time)
{
    TRY(check_writable("x"_sv));
    Inode inode = TRY(read_inode(number));
    if (inode.link_count == 0 && inode.deletion_time != 0)
        return Core::ErrorCode::NotFound;
    TRY(begin_change());
    inode.access_time = access_time;
    inode.modification_time = modification_time;
    inode.change_time = m_now;
    return write_inode(number, inode, false);
}

Result<void> Volume::remove(u32 directory, StringView name, bool keep)
{
    TRY(check_writable(name));
    Inode parent = TRY(read_inode(directory));
    if (!is_directory(parent))
        return Core::ErrorCode::NotADirectory;
    u32 child = TRY(lookup(parent, name));
    Inode inode = TRY(read_inode(child));
    if (is_directory(inode) && !TRY(is_empty_directory(inode)))
        return Core::ErrorCode::NotEmpty;
    TRY(begin_change());
    // The name goes first: a crash after it leaves an orphan to reclaim, never a name for
    // freed blocks.
    TRY(remove_entry(directory, name));
    return release_link(directory, child, inode, keep);
}

Result<void> Volume::rename(u32 from, StringView name, u32 to, StringView to_name)
{
    TRY(check_writable(name));
    TRY(check_writable(to_name));
    Inode source_directory = TRY(read_inode(from));
    Inode target_directory = TRY(read_inode(to));
    if (!is_directory(source_directory) || !is_directory(target_directory))
        return Core::ErrorCode::NotADirectory;
    u32 child = TRY(lookup(source_directory, name));
    if (from == to && name == to_name)
        return {};
    Inode inode = TRY(read_inode(child));
    bool moving_directory = is_directory(inode);
    if (moving_directory && from != to) {
        // Not into itself or below it: walk up from the target to the root. A ".." chain
        // longer than any real tree is a loop in a corrupt volume.
        u32 ancestor = to;
        for (u32 steps = 0; ancestor != root_inode; ++steps) {
            if (ancestor == child)
                return Core::ErrorCode::InvalidArgument;
            if (steps > maximum_directory_depth)
                return Core::ErrorCode::Malformed;
            ancestor = TRY(lookup(TRY(read_inode(ancestor)), ".."_sv));
        }
        if (target_directory.link_count >= maximum_link_count)
            return Core::ErrorCode::OutOfRange;
    }
    auto existing = lookup(target_directory, to_name);
    // Two names of one inode (hard links): renaming one onto the other does nothing (POSIX).
    if (!existing.is_error() && existing.value() == child)
        return {};
    if (existing.is_error() && existing.error().code() != Core::ErrorCode::NotFound)
        return existing.error();
    Inode replaced_inode;
    if (!existing.is_error()) {
        replaced_inode = TRY(read_inode(existing.value()));
        if (moving_directory != is_directory(replaced_inode))
            return moving_directory ? Core::ErrorCode::NotADirectory : Core::ErrorCode::AlreadyExists;
        if (moving_directory && !TRY(is_empty_directory(replaced_inode)))
            return Core::ErrorCode::NotEmpty;
    }
    // Everything is checked: the changes start.
    TRY(begin_change());
    if (!existing.is_error()) {
        u32 replaced = existing.value();
        // The name turns to the moved inode in one entry write, so it never names nothing.
        TRY(set_entry_inode(to, to_name, child));
        TRY(release_link(to, replaced, replaced_inode, false));
    } else {
        TRY(add_entry(to, to_name, child, inode.type()));
    }
    TRY(remove_entry(from, name));
    if (moving_directory && from != to) {
        TRY(set_entry_inode(child, ".."_sv, to));
        Inode old_parent = TRY(read_inode(from));
        if (old_parent.link_count > 0)
            --old_parent.link_count;
        TRY(write_inode(from, old_parent, false));
        Inode new_parent = TRY(read_inode(to));
        ++new_parent.link_count;
        TRY(write_inode(to, new_parent, false));
    }
    inode = TRY(read_inode(child));
    inode.change_time = m_now;
    return write_inode(child, inode, false);
}

} // namespace FileSystems::Ext2
