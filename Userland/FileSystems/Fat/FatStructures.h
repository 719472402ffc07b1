#pragma once

// FAT32's on-disk structures (Microsoft's FAT specification, as Linux's mkfs.fat and mtools
// write them): the boot sector's BIOS parameter block, FAT entries, and directory entries
// with their long-name (VFAT) parts. Decoded without trusting them; encoded for the writer
// (new names with their 8.3 aliases, long-name parts, timestamps). Pure, so that host tests
// (against images mkfs.fat and mtools make) and a fuzz target (Tests/Fuzz/FatFuzzer.cpp)
// cover them.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Core/Types.h>

namespace FileSystems::Fat {

constexpr Core::usize boot_sector_length = 512;
constexpr Core::usize directory_entry_length = 32;
// FAT32 entries hold 28 bits; these values end a chain and mark a bad cluster.
constexpr Core::u32 entry_mask = 0x0FFF'FFFF;
constexpr Core::u32 end_of_chain = 0x0FFF'FFF8;
constexpr Core::u32 bad_cluster = 0x0FFF'FFF7;
constexpr Core::u32 first_data_cluster = 2;
// What the writer puts in a FAT entry to end a chain (as mkfs.fat and Linux do).
constexpr Core::u32 chain_end_marker = 0x0FFF'FFFF;
// FAT[1]'s bit that says the volume was cleanly unmounted (Windows' ClnShutBitMask).
constexpr Core::u32 clean_shutdown_bit = 0x0800'0000;
// A directory holds at most 65,536 entries (2 MiB): the specification's limit, and Linux's.
constexpr Core::u32 maximum_directory_slots = 65536;
// The largest file: sizes are 32 bits.
constexpr Core::u64 maximum_file_size = 0xFFFF'FFFF;
// Long names: at most 255 UTF-16 units, in parts of 13.
constexpr Core::usize maximum_name_units = 255;
constexpr Core::usize units_per_part = 13;

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
    // BPB_ExtFlags bit 7: only the FAT its low bits name is in use (the copies are not
    // mirrored); BPB_FSVer: the format's version, 0 being the only one there is.
    Core::u16 extended_flags { 0 };
    Core::u16 version { 0 };
    // Whether the writer may change the volume: mirrored FATs and version 0. Anything else
    // is read (through the first FAT) but not written.
    bool writable { false };
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

// The 8.3 name as people type it ("README.TXT"): base and extension without padding, no
// lowercase flags applied, a leading 0x05 turned back to 0xE5. Returns its length (at most 12).
[[nodiscard]] Core::usize short_name_text(const Core::u8 (&short_name)[11], char (&text)[12]);

// A new name as the writer stores it.
struct EncodedName {
    // The name in UTF-16, as its long-name parts hold it.
    Core::u16 units[maximum_name_units] {};
    Core::usize unit_count { 0 };
    // False when the 8.3 entry says it all: an 8.3 name whose base and extension are each in
    // one case (lowercase kept by the NT byte's flags, as Windows NT and mtools do).
    bool needs_long_name { false };
    // The 8.3 name: the name itself when no long name is needed; else the basis its alias is
    // made from (uppercase, characters 8.3 names cannot hold turned to '_', spaces and
    // periods but the extension's dropped).
    Core::u8 short_name[11] {};
    Core::u8 case_flags { 0 };
    // Whether the alias needs a numeric tail even when the basis is free: the basis is not the
    // name itself in uppercase (it lost characters, or the name does not fit 8.3).
    bool needs_tail { false };
};

// Checks and encodes `name` (UTF-8). InvalidArgument for an empty name, one that is not
// valid UTF-8, longer than 255 UTF-16 units, "." or "..", ending in a period or space (which
// Windows drops, so that two names would be one), or holding a character FAT forbids (control
// characters and " * / : < > ? \ |).
[[nodiscard]] Core::Result<EncodedName> encode_name(Core::StringView name);

// The alias `basis` gets with numeric tail `number` (1 to 999,999): the base shortened so
// that "~number" fits in its 8 characters ("LONGNA~1", "LONGN~10").
void numeric_tail_alias(const Core::u8 (&basis)[11], Core::u32 number, Core::u8 (&alias)[11]);

// Long-name part `ordinal` (1-based; `last` on the highest, which comes first on disk) of
// `name` for the short name whose checksum is `checksum`, into the 32-byte `slot`. Units past
// the name's end are a 0x0000 terminator, then 0xFFFF.
void encode_long_name_part(
    Core::Bytes slot, const EncodedName& name, Core::u8 ordinal, bool last, Core::u8 checksum);

// A Unix time (seconds, UTC) as FAT's date, time and creation time's 10-ms units; times
// before 1980 are 1980-01-01 00:00:00 and after 2107 are 2107-12-31 23:59:58, the range FAT
// holds.
struct Timestamp {
    Core::u16 date { 0 }; // years since 1980 (7 bits), month, day
    Core::u16 time { 0 }; // hours, minutes, two-second units
    Core::u8 hundredths { 0 }; // 0 to 199: the odd second, and finer
};
[[nodiscard]] Timestamp encode_timestamp(Core::u64 unix_seconds);

} // namespace FileSystems::Fat
