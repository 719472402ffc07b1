#include <Core/ByteReading.h>
#include <Userland/FileSystems/Fat/FatStructures.h>

namespace FileSystems::Fat {

using Core::read_little_endian;
using Core::ReadonlyBytes;
using Core::Result;
using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;

namespace {

// Fewer clusters than this and the FAT type is FAT16 (or FAT12), whatever the boot sector says.
constexpr u32 fewest_fat32_clusters = 65525;
constexpr u32 most_fat32_clusters = 0x0FFF'FFF5;

bool is_power_of_two(u32 value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

} // namespace

Result<BootSector> decode_boot_sector(ReadonlyBytes bytes)
{
    if (bytes.size() < boot_sector_length || bytes[510] != 0x55 || bytes[511] != 0xAA)
        return Core::ErrorCode::Malformed;
    BootSector boot;
    boot.bytes_per_sector = read_little_endian<u16>(bytes, 11);
    boot.sectors_per_cluster = bytes[13];
    boot.reserved_sectors = read_little_endian<u16>(bytes, 14);
    boot.fat_count = bytes[16];
    u16 root_entries = read_little_endian<u16>(bytes, 17);
    u16 total_sectors_16 = read_little_endian<u16>(bytes, 19);
    u16 fat_sectors_16 = read_little_endian<u16>(bytes, 22);
    u32 total_sectors_32 = read_little_endian<u32>(bytes, 32);
    boot.total_sectors = total_sectors_16 != 0 ? total_sectors_16 : total_sectors_32;
    if (root_entries != 0 || fat_sectors_16 != 0)
        return Core::ErrorCode::NotSupported;
    boot.fat_sectors = read_little_endian<u32>(bytes, 36);
    boot.root_cluster = read_little_endian<u32>(bytes, 44);
    boot.information_sector = read_little_endian<u16>(bytes, 48);
    boot.volume_id = read_little_endian<u32>(bytes, 67);
    for (usize index = 0; index < 11; ++index)
        boot.label[index] = static_cast<char>(bytes[71 + index]);

    if (boot.bytes_per_sector < 512 || boot.bytes_per_sector > 4096
        || !is_power_of_two(boot.bytes_per_sector))
        return Core::ErrorCode::Malformed;
    if (!is_power_of_two(boot.sectors_per_cluster) || boot.reserved_sectors == 0 || boot.fat_count == 0
        || boot.fat_sectors == 0)
        return Core::ErrorCode::Malformed;
    boot.cluster_size = u32 { boot.bytes_per_sector } * boot.sectors_per_cluster;
    if (boot.cluster_size > 64 * 1024)
        return Core::ErrorCode::Malformed;
    u64 metadata_sectors = u64 { boot.reserved_sectors } + u64 { boot.fat_count } * boot.fat_sectors;
    if (metadata_sectors >= boot.total_sectors)
        return Core::ErrorCode::Malformed;
    u64 clusters = (boot.total_sectors - metadata_sectors) / boot.sectors_per_cluster;
    if (clusters < fewest_fat32_clusters)
        return Core::ErrorCode::NotSupported;
    if (clusters > most_fat32_clusters)
        return Core::ErrorCode::Malformed;
    boot.cluster_count = static_cast<u32>(clusters);
    // Each FAT must hold an entry for every cluster (and the two reserved ones).
    if (u64 { boot.fat_sectors } * boot.bytes_per_sector / 4
        < u64 { boot.cluster_count } + first_data_cluster)
        return Core::ErrorCode::Malformed;
    if (boot.root_cluster < first_data_cluster
        || boot.root_cluster >= boot.cluster_count + first_data_cluster)
        return Core::ErrorCode::Malformed;
    boot.fat_offset = u64 { boot.reserved_sectors } * boot.bytes_per_sector;
    boot.data_offset = metadata_sectors * boot.bytes_per_sector;
    return boot;
}

RawEntry decode_raw_entry(ReadonlyBytes bytes)
{
    VERIFY(bytes.size() >= directory_entry_length);
    RawEntry entry;
    if (bytes[0] == 0x00) {
        entry.kind = RawEntry::Kind::End;
        return entry;
    }
    if (bytes[0] == 0xE5) {
        entry.kind = RawEntry::Kind::Free;
        return entry;
    }
    entry.attributes = bytes[11];
    if ((entry.attributes & 0x3F) == Attribute::long_name) {
        entry.kind = RawEntry::Kind::LongName;
        entry.ordinal = bytes[0] & 0x1F;
        entry.last = (bytes[0] & 0x40) != 0;
        entry.checksum = bytes[13];
        constexpr usize character_offsets[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };
        for (usize index = 0; index < 13; ++index)
            entry.characters[index] = read_little_endian<u16>(bytes, character_offsets[index]);
        return entry;
    }
    entry.kind = RawEntry::Kind::Short;
    // As stored: a leading 0x05 (for a name that starts with 0xE5) is turned back when the
    // name is shown, and the long-name checksum covers the stored bytes.
    for (usize index = 0; index < 11; ++index)
        entry.short_name[index] = bytes[index];
    entry.case_flags = bytes[12] & 0x18;
    entry.first_cluster
        = u32 { read_little_endian<u16>(bytes, 20) } << 16 | read_little_endian<u16>(bytes, 26);
    entry.write_time = read_little_endian<u16>(bytes, 22);
    entry.write_date = read_little_endian<u16>(bytes, 24);
    entry.size = read_little_endian<u32>(bytes, 28);
    return entry;
}

u8 short_name_checksum(const u8 (&short_name)[11])
{
    u8 sum = 0;
    for (u8 byte : short_name)
        sum = static_cast<u8>(((sum & 1) << 7) + (sum >> 1) + byte);
    return sum;
}

} // namespace FileSystems::Fat
