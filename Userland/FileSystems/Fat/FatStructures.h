#pragma once

// FAT32's on-disk structures (Microsoft's FAT specification, as Linux's mkfs.fat and mtools
// write them): the boot sector's BIOS parameter block, FAT entries, and directory entries
// with their long-name (VFAT) parts. Decoded without trusting them. Pure, so that host tests
// (against images mkfs.fat and mtools make) and a fuzz target (Tests/Fuzz/FatFuzzer.cpp)
// cover them.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>

namespace FileSystems::Fat {

constexpr Core::usize boot_sector_length = 512;
constexpr Core::usize directory_entry_length = 32;
// FAT32 entries hold 28 bits; these values end a chain and mark a bad cluster.
constexpr Core::u32 entry_mask = 0x0FFF'FFFF;
constexpr Core::u32 end_of_chain = 0x0FFF'FFF8;
constexpr Core::u32 bad_cluster = 0x0FFF'FFF7;
constexpr Core::u32 first_data_cluster = 2;

struct BootSector {
    Core::u16 bytes_per_sector { 0 }; // 512, 1024, 2048 or 4096
    Core::u8 sectors_per_cluster { 0 }; // a power of two
    Core::u16 reserved_sectors { 0 };
    Core::u8 fat_count { 0 };
    Core::u32 total_sectors { 0 };
    Core::u32 fat_sectors { 0 }; // one FAT's size
    Core::u32 root_cluster { 0 };
    Core::u16 information_sector { 0 }; // FSInfo
    Core::u32 volume_id { 0 };
    char label[12] {}; // NUL-terminated, trailing spaces kept as written
    // Derived and checked: bytes per cluster, where the first FAT and the data start, and
    // how many data clusters there are (numbered 2 to cluster_count + 1).
    Core::u32 cluster_size { 0 };
    Core::u64 fat_offset { 0 };
    Core::u64 data_offset { 0 };
    Core::u32 cluster_count { 0 };
};

// Decodes and checks the boot sector. Malformed for a missing 0x55AA signature, sizes that
// are not powers of two or out of range, no FAT, a FAT too small for the clusters, a volume
// too small for its own metadata, or a root cluster outside the data; NotSupported for FAT12
// and FAT16 (a fixed root directory, 16-bit FAT sizes) and FAT32 with fewer than 65,525
// clusters (which every other system would read as FAT16).
[[nodiscard]] Core::Result<BootSector> decode_boot_sector(Core::ReadonlyBytes bytes);

namespace Attribute {
constexpr Core::u8 read_only = 0x01;
constexpr Core::u8 hidden = 0x02;
constexpr Core::u8 system = 0x04;
constexpr Core::u8 volume_label = 0x08;
constexpr Core::u8 directory = 0x10;
constexpr Core::u8 archive = 0x20;
constexpr Core::u8 long_name = 0x0F; // read_only | hidden | system | volume_label
} // namespace Attribute

// One 32-byte slot of a directory.
struct RawEntry {
    enum class Kind : Core::u8 {
        End, // 0x00 in the first byte: no used slot follows
        Free, // 0xE5: deleted
        LongName, // a part of a long name
        Short, // a file, directory or volume label
    };
    Kind kind { Kind::End };
    // Short entries: the 8.3 name as stored (a leading 0x05 stands for 0xE5), attributes, the
    // lowercase flags (NT byte bits 3 and 4), first cluster, size, last write time and date.
    Core::u8 short_name[11] {};
    Core::u8 attributes { 0 };
    Core::u8 case_flags { 0 };
    Core::u32 first_cluster { 0 };
    Core::u32 size { 0 };
    Core::u16 write_time { 0 };
    Core::u16 write_date { 0 };
    // Long-name parts: the ordinal (1 to 20; `last` on the part that comes first on disk),
    // the checksum of the short name they belong to, and their 13 UTF-16 code units.
    Core::u8 ordinal { 0 };
    bool last { false };
    Core::u8 checksum { 0 };
    Core::u16 characters[13] {};
};

[[nodiscard]] RawEntry decode_raw_entry(Core::ReadonlyBytes bytes);

// The checksum long-name parts carry of their short name.
[[nodiscard]] Core::u8 short_name_checksum(const Core::u8 (&short_name)[11]);

} // namespace FileSystems::Fat
