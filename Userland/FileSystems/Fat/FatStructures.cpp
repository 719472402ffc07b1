#include <Core/ByteReading.h>
#include <Core/CalendarTime.h>
#include <Core/Utf8.h>
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

// BPB_ExtFlags bit 7: the FATs are not mirrored, only one is in use.
constexpr u16 single_active_fat = 0x0080;

// Characters a long name may not hold (besides control characters), as Windows and Linux's
// vfat refuse them.
bool is_forbidden_in_long_names(u32 code_point)
{
    if (code_point < 0x20)
        return true;
    switch (code_point) {
    case '"':
    case '*':
    case '/':
    case ':':
    case '<':
    case '>':
    case '?':
    case '\\':
    case '|':
        return true;
    default:
        return false;
    }
}

// What an 8.3 name may hold besides letters and digits (the specification's list; space is
// left out: Windows gives a name with one a long name).
bool is_short_name_symbol(u32 code_point)
{
    switch (code_point) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '-':
    case '@':
    case '^':
    case '_':
    case '`':
    case '{':
    case '}':
    case '~':
        return true;
    default:
        return false;
    }
}

bool is_lowercase(u32 code_point)
{
    return code_point >= 'a' && code_point <= 'z';
}

bool is_uppercase(u32 code_point)
{
    return code_point >= 'A' && code_point <= 'Z';
}

bool is_short_name_character(u32 code_point)
{
    return is_lowercase(code_point) || is_uppercase(code_point) || (code_point >= '0' && code_point <= '9')
        || is_short_name_symbol(code_point);
}

// The 8.3 character for `code_point` in an alias: uppercase, and '_' for what 8.3 names
// cannot hold (non-ASCII included: the writer does not guess the volume's OEM code page).
u8 alias_character(u32 code_point)
{
    if (is_lowercase(code_point))
        return static_cast<u8>(code_point - 'a' + 'A');
    return is_short_name_character(code_point) ? static_cast<u8>(code_point) : u8 { '_' };
}

// Whether `code_points` is an 8.3 name as it stands: a base of 1 to 8 characters, an optional
// extension of 1 to 3 after a single period, only characters 8.3 names hold, and each part in
// one case. Sets the short name and the NT byte's lowercase flags.
bool encode_exact_short_name(const u32* code_points, usize count, u8 (&short_name)[11], u8& case_flags)
{
    usize dot = count;
    for (usize index = 0; index < count; ++index) {
        if (code_points[index] != '.')
            continue;
        if (dot != count)
            return false; // a second period
        dot = index;
    }
    usize base_length = dot;
    usize extension_length = dot == count ? 0 : count - dot - 1;
    if (base_length == 0 || base_length > 8 || extension_length > 3
        || (dot != count && extension_length == 0))
        return false;
    case_flags = 0;
    for (u8& byte : short_name)
        byte = ' ';
    auto part = [&](usize start, usize length, usize destination, u8 lowercase_flag) {
        bool lower = false;
        bool upper = false;
        for (usize index = 0; index < length; ++index) {
            u32 code_point = code_points[start + index];
            if (!is_short_name_character(code_point))
                return false;
            lower = lower || is_lowercase(code_point);
            upper = upper || is_uppercase(code_point);
            short_name[destination + index] = alias_character(code_point);
        }
        if (lower && upper)
            return false;
        if (lower)
            case_flags |= lowercase_flag;
        return true;
    };
    return part(0, base_length, 0, 0x08) && part(dot + 1, extension_length, 8, 0x10);
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
    boot.extended_flags = read_little_endian<u16>(bytes, 40);
    boot.version = read_little_endian<u16>(bytes, 42);
    boot.writable = (boot.extended_flags & single_active_fat) == 0 && boot.version == 0;
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

usize short_name_text(const u8 (&short_name)[11], char (&text)[12])
{
    usize length = 0;
    for (usize index = 0; index < 8 && short_name[index] != ' '; ++index)
        text[length++] = static_cast<char>(index == 0 && short_name[0] == 0x05 ? 0xE5 : short_name[index]);
    if (short_name[8] != ' ') {
        text[length++] = '.';
        for (usize index = 8; index < 11 && short_name[index] != ' '; ++index)
            text[length++] = static_cast<char>(short_name[index]);
    }
    return length;
}

Result<EncodedName> encode_name(Core::StringView name)
{
    if (name.length() == 0 || name == "."_sv || name == ".."_sv)
        return Core::ErrorCode::InvalidArgument;
    EncodedName encoded;
    u32 code_points[maximum_name_units];
    usize count = 0;
    for (usize offset = 0; offset < name.length();) {
        Core::DecodedCharacter character = Core::decode_utf8(name, offset);
        if (!character.is_valid || is_forbidden_in_long_names(character.codepoint))
            return Core::ErrorCode::InvalidArgument;
        offset += character.length;
        u32 code_point = character.codepoint;
        usize units = code_point >= 0x10000 ? 2 : 1;
        if (encoded.unit_count + units > maximum_name_units)
            return Core::ErrorCode::InvalidArgument;
        if (units == 2) {
            encoded.units[encoded.unit_count++] = static_cast<u16>(0xD800 + ((code_point - 0x10000) >> 10));
            encoded.units[encoded.unit_count++] = static_cast<u16>(0xDC00 + ((code_point - 0x10000) & 0x3FF));
        } else {
            encoded.units[encoded.unit_count++] = static_cast<u16>(code_point);
        }
        code_points[count++] = code_point;
    }
    if (code_points[count - 1] == '.' || code_points[count - 1] == ' ')
        return Core::ErrorCode::InvalidArgument;

    if (encode_exact_short_name(code_points, count, encoded.short_name, encoded.case_flags))
        return encoded;
    encoded.needs_long_name = true;
    encoded.case_flags = 0;
    // The basis (the specification's "basis-name generation"): spaces and leading periods go,
    // the extension is what follows the last period, the other periods go too.
    usize start = 0;
    while (start < count && (code_points[start] == '.' || code_points[start] == ' '))
        ++start;
    usize last_dot = count;
    for (usize index = start; index < count; ++index) {
        if (code_points[index] == '.')
            last_dot = index;
    }
    for (u8& byte : encoded.short_name)
        byte = ' ';
    usize base_length = 0;
    for (usize index = start; index < last_dot && base_length < 8; ++index) {
        if (code_points[index] != ' ' && code_points[index] != '.')
            encoded.short_name[base_length++] = alias_character(code_points[index]);
    }
    if (base_length == 0)
        encoded.short_name[base_length++] = '_';
    usize extension_length = 0;
    for (usize index = last_dot + 1; index < count && extension_length < 3; ++index) {
        if (code_points[index] != ' ')
            encoded.short_name[8 + extension_length++] = alias_character(code_points[index]);
    }
    // The basis stands without a tail only when it is the name itself, but for case.
    char text[12];
    usize text_length = short_name_text(encoded.short_name, text);
    encoded.needs_tail = text_length != count;
    for (usize index = 0; index < text_length && !encoded.needs_tail; ++index) {
        u32 code_point = code_points[index];
        u32 upper = is_lowercase(code_point) ? code_point - 'a' + 'A' : code_point;
        encoded.needs_tail = upper != static_cast<u8>(text[index]);
    }
    return encoded;
}

void numeric_tail_alias(const u8 (&basis)[11], u32 number, u8 (&alias)[11])
{
    char digits[8];
    usize digit_count = 0;
    for (u32 rest = number; digit_count == 0 || rest != 0; rest /= 10)
        digits[digit_count++] = static_cast<char>('0' + rest % 10);
    usize base_length = 0;
    while (base_length < 8 && basis[base_length] != ' ')
        ++base_length;
    usize kept = 8 - 1 - digit_count;
    if (kept > base_length)
        kept = base_length;
    for (usize index = 0; index < 11; ++index)
        alias[index] = index < kept || index >= 8 ? basis[index] : u8 { ' ' };
    alias[kept] = '~';
    for (usize index = 0; index < digit_count; ++index)
        alias[kept + 1 + index] = static_cast<u8>(digits[digit_count - 1 - index]);
}

void encode_long_name_part(Core::Bytes slot, const EncodedName& name, u8 ordinal, bool last, u8 checksum)
{
    VERIFY(slot.size() >= directory_entry_length && ordinal >= 1);
    constexpr usize character_offsets[units_per_part] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };
    for (usize index = 0; index < directory_entry_length; ++index)
        slot[index] = 0;
    slot[0] = static_cast<u8>(ordinal | (last ? 0x40 : 0));
    slot[11] = Attribute::long_name;
    slot[13] = checksum;
    usize first_unit = usize { ordinal - 1u } * units_per_part;
    for (usize index = 0; index < units_per_part; ++index) {
        usize position = first_unit + index;
        u16 unit = position < name.unit_count ? name.units[position]
            : position == name.unit_count     ? u16 { 0x0000 }
                                              : u16 { 0xFFFF };
        slot[character_offsets[index]] = static_cast<u8>(unit);
        slot[character_offsets[index] + 1] = static_cast<u8>(unit >> 8);
    }
}

Timestamp encode_timestamp(u64 unix_seconds)
{
    constexpr u64 fat_epoch = 315'532'800; // 1980-01-01 00:00:00 UTC
    Timestamp stamp;
    if (unix_seconds < fat_epoch) {
        stamp.date = (1 << 5) | 1;
        return stamp;
    }
    Core::CalendarTime calendar = Core::calendar_from_unix_seconds(unix_seconds);
    if (calendar.year > 2107)
        calendar = Core::CalendarTime { 2107, 12, 31, 23, 59, 58 };
    stamp.date = static_cast<u16>(((calendar.year - 1980) << 9) | (calendar.month << 5) | calendar.day);
    stamp.time = static_cast<u16>((calendar.hour << 11) | (calendar.minute << 5) | (calendar.second / 2));
    stamp.hundredths = static_cast<u8>((calendar.second % 2) * 100);
    return stamp;
}

} // namespace FileSystems::Fat
