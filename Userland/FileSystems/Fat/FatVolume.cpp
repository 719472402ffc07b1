#include <Core/ByteReading.h>
#include <Userland/FileSystems/Fat/FatVolume.h>

namespace FileSystems::Fat {

using Core::Bytes;
using Core::Result;
using Core::StringView;
using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;

namespace {

char lowercase(char character)
{
    return character >= 'A' && character <= 'Z' ? static_cast<char>(character - 'A' + 'a') : character;
}

bool equal_ignoring_ascii_case(StringView first, StringView second)
{
    if (first.length() != second.length())
        return false;
    for (usize index = 0; index < first.length(); ++index) {
        if (lowercase(first[index]) != lowercase(second[index]))
            return false;
    }
    return true;
}

// Appends `code_point` as UTF-8; false when it does not fit.
bool append_utf8(char* name, usize capacity, usize& length, u32 code_point)
{
    u8 encoded[4];
    usize count = 0;
    if (code_point < 0x80) {
        encoded[count++] = static_cast<u8>(code_point);
    } else if (code_point < 0x800) {
        encoded[count++] = static_cast<u8>(0xC0 | (code_point >> 6));
        encoded[count++] = static_cast<u8>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        encoded[count++] = static_cast<u8>(0xE0 | (code_point >> 12));
        encoded[count++] = static_cast<u8>(0x80 | ((code_point >> 6) & 0x3F));
        encoded[count++] = static_cast<u8>(0x80 | (code_point & 0x3F));
    } else {
        encoded[count++] = static_cast<u8>(0xF0 | (code_point >> 18));
        encoded[count++] = static_cast<u8>(0x80 | ((code_point >> 12) & 0x3F));
        encoded[count++] = static_cast<u8>(0x80 | ((code_point >> 6) & 0x3F));
        encoded[count++] = static_cast<u8>(0x80 | (code_point & 0x3F));
    }
    if (length + count > capacity)
        return false;
    for (usize index = 0; index < count; ++index)
        name[length++] = static_cast<char>(encoded[index]);
    return true;
}

bool is_usable_name(const Entry& entry)
{
    if (entry.name_length == 0)
        return false;
    for (usize index = 0; index < entry.name_length; ++index) {
        if (entry.name[index] == '/' || entry.name[index] == '\0')
            return false;
    }
    return true;
}

} // namespace

Volume::Volume(BlockSource& source, const BootSector& boot)
    : m_source(source)
    , m_boot(boot)
{
}

Result<Volume> Volume::open(BlockSource& source)
{
    u8 sector[boot_sector_length];
    TRY(source.read(0, Bytes(sector, sizeof(sector))));
    BootSector boot = TRY(decode_boot_sector(Core::ReadonlyBytes(sector, sizeof(sector))));
    // The last data cluster must be on the device.
    u8 probe = 0;
    TRY(source.read(boot.data_offset + u64 { boot.cluster_count } * boot.cluster_size - 1, Bytes(&probe, 1)));
    Volume volume(source, boot);
    u8 raw[4];
    TRY(source.read(boot.fat_offset + 4, Bytes(raw, sizeof(raw))));
    volume.m_clean_at_open
        = (Core::read_little_endian<u32>(Core::ReadonlyBytes(raw, sizeof(raw)), 0) & clean_shutdown_bit) != 0;
    // FSInfo (in the reserved sectors, with its three signatures) holds the free count and
    // where to look for free clusters; both are hints, used when plausible.
    if (boot.information_sector != 0 && boot.information_sector < boot.reserved_sectors) {
        u64 offset = u64 { boot.information_sector } * boot.bytes_per_sector;
        u8 information[512];
        TRY(source.read(offset, Bytes(information, sizeof(information))));
        Core::ReadonlyBytes bytes(information, sizeof(information));
        if (Core::read_little_endian<u32>(bytes, 0) == 0x4161'5252
            && Core::read_little_endian<u32>(bytes, 484) == 0x6141'7272
            && Core::read_little_endian<u32>(bytes, 508) == 0xAA55'0000) {
            volume.m_has_information = true;
            volume.m_information_offset = offset;
            u32 free_clusters = Core::read_little_endian<u32>(bytes, 488);
            if (free_clusters <= boot.cluster_count) {
                volume.m_free_known = true;
                volume.m_free_clusters = free_clusters;
            }
            u32 next_free = Core::read_little_endian<u32>(bytes, 492);
            if (volume.is_data_cluster(next_free))
                volume.m_next_free = next_free;
        }
    }
    return volume;
}

Entry Volume::root() const
{
    Entry root;
    root.name[0] = '/';
    root.name_length = 1;
    root.attributes = Attribute::directory;
    root.first_cluster = m_boot.root_cluster;
    root.location = Location {};
    return root;
}

Result<u32> Volume::next_cluster(u32 cluster)
{
    if (!is_data_cluster(cluster))
        return Core::ErrorCode::Malformed;
    u8 raw[4];
    TRY(m_source.read(m_boot.fat_offset + u64 { cluster } * 4, Bytes(raw, sizeof(raw))));
    u32 next = Core::read_little_endian<u32>(Core::ReadonlyBytes(raw, sizeof(raw)), 0) & entry_mask;
    if (next >= end_of_chain)
        return u32 { 0 };
    if (!is_data_cluster(next))
        return Core::ErrorCode::Malformed;
    return next;
}

void Volume::gather(LongName& long_name, const RawEntry& raw, u32 index)
{
    if (raw.last) {
        // The first part on disk carries the highest ordinal: it starts a new name.
        long_name = LongName {};
        if (raw.ordinal == 0 || raw.ordinal > 20)
            return;
        long_name.parts = raw.ordinal;
        long_name.expected = raw.ordinal;
        long_name.checksum = raw.checksum;
        long_name.first_slot = index;
    } else if (long_name.expected == 0 || raw.ordinal != long_name.expected
        || raw.checksum != long_name.checksum) {
        long_name = LongName {};
        return;
    }
    for (usize index = 0; index < 13; ++index)
        long_name.characters[(raw.ordinal - 1) * 13 + index] = raw.characters[index];
    --long_name.expected;
    long_name.valid = long_name.expected == 0;
}

bool Volume::name_entry(Entry& entry, const RawEntry& raw, const LongName& long_name)
{
    entry.attributes = raw.attributes;
    entry.first_cluster = raw.first_cluster;
    entry.size = raw.size;
    entry.write_time = raw.write_time;
    entry.write_date = raw.write_date;
    entry.name_length = 0;
    if (owns(long_name, raw)) {
        bool fits = true;
        usize units = usize { long_name.parts } * 13;
        for (usize index = 0; index < units && fits; ++index) {
            u32 unit = long_name.characters[index];
            if (unit == 0x0000)
                break;
            u32 code_point = unit;
            if (unit >= 0xD800 && unit < 0xDC00 && index + 1 < units
                && long_name.characters[index + 1] >= 0xDC00 && long_name.characters[index + 1] < 0xE000) {
                code_point = 0x10000 + ((unit - 0xD800) << 10) + (long_name.characters[index + 1] - 0xDC00);
                ++index;
            } else if (unit >= 0xD800 && unit < 0xE000) {
                code_point = 0xFFFD; // an unpaired surrogate
            }
            fits = append_utf8(entry.name, sizeof(entry.name), entry.name_length, code_point);
        }
        if (fits && entry.name_length > 0)
            return is_usable_name(entry);
        entry.name_length = 0;
    }
    // The 8.3 name: base and extension without their padding, lowercased where the NT
    // byte says (bit 3 the base, bit 4 the extension).
    for (usize index = 0; index < 8 && raw.short_name[index] != ' '; ++index) {
        char character
            = static_cast<char>(index == 0 && raw.short_name[0] == 0x05 ? 0xE5 : raw.short_name[index]);
        entry.name[entry.name_length++] = (raw.case_flags & 0x08) ? lowercase(character) : character;
    }
    if (raw.short_name[8] != ' ') {
        entry.name[entry.name_length++] = '.';
        for (usize index = 8; index < 11 && raw.short_name[index] != ' '; ++index) {
            char character = static_cast<char>(raw.short_name[index]);
            entry.name[entry.name_length++] = (raw.case_flags & 0x10) ? lowercase(character) : character;
        }
    }
    return is_usable_name(entry);
}

int Volume::match(const Entry& entry, const RawEntry& raw, StringView name)
{
    if (equal_ignoring_ascii_case(entry.name_view(), name))
        return 1;
    char alias[12];
    usize alias_length = short_name_text(raw.short_name, alias);
    return equal_ignoring_ascii_case(StringView(alias, alias_length), name) ? 2 : 0;
}

Result<Entry> Volume::lookup(const Entry& directory, StringView name)
{
    if (!directory.is_directory())
        return Core::ErrorCode::NotADirectory;
    Entry found;
    int matched = 0;
    u32 first = directory_cluster_of(directory);
    DirectoryExtent extent;
    Entry entry; // one for the whole walk: an entry is large
    TRY(walk_directory(first, false, extent, [&](u32 index, const RawEntry& raw, const LongName& long_name) {
        if (raw.kind != RawEntry::Kind::Short || (raw.attributes & Attribute::volume_label) != 0)
            return true;
        if (!name_entry(entry, raw, long_name))
            return true;
        // A name beats an alias: a long name may look like another entry's 8.3 alias.
        int how = match(entry, raw, name);
        if (how == 0 || (matched != 0 && how >= matched))
            return true;
        found = entry;
        found.location = Location { first, index };
        matched = how;
        return how != 1;
    }));
    if (matched == 0)
        return Core::ErrorCode::NotFound;
    // ".." of a directory in the root names cluster 0: the root.
    if (found.is_directory() && found.first_cluster == 0)
        found.first_cluster = m_boot.root_cluster;
    return found;
}

Result<u64> Volume::slot_offset(Location location)
{
    if (location.is_root() || !is_data_cluster(location.directory))
        return Core::ErrorCode::NotFound;
    u32 cluster = location.directory;
    LoopGuard guard(cluster);
    for (u32 step = 0; step < location.index / slots_per_cluster(); ++step) {
        cluster = TRY(next_cluster(cluster));
        if (cluster == 0)
            return Core::ErrorCode::NotFound;
        if (!guard.advance(cluster))
            return Core::ErrorCode::Malformed;
    }
    return cluster_offset(cluster) + u64 { location.index % slots_per_cluster() } * directory_entry_length;
}

Result<void> Volume::read_slot(Location location, Record& record, LongName& long_name)
{
    if (location.is_root() || !is_data_cluster(location.directory))
        return Core::ErrorCode::NotFound;
    // The clusters that hold the 20 slots before the short entry and the entry itself: at
    // most three, since a cluster holds at least 16 slots.
    constexpr u32 longest_name_parts = 20;
    u32 per_cluster = slots_per_cluster();
    u32 first_index = location.index >= longest_name_parts ? location.index - longest_name_parts : 0;
    u32 first_step = first_index / per_cluster;
    u32 last_step = location.index / per_cluster;
    u32 clusters[3] = {};
    u32 cluster = location.directory;
    LoopGuard guard(cluster);
    for (u32 step = 0;; ++step) {
        if (step >= first_step)
            clusters[step - first_step] = cluster;
        if (step == last_step)
            break;
        cluster = TRY(next_cluster(cluster));
        if (cluster == 0)
            return Core::ErrorCode::NotFound;
        if (!guard.advance(cluster))
            return Core::ErrorCode::Malformed;
    }
    long_name = LongName {};
    for (u32 index = first_index;; ++index) {
        u64 offset = cluster_offset(clusters[index / per_cluster - first_step])
            + u64 { index % per_cluster } * directory_entry_length;
        u8 bytes[directory_entry_length];
        TRY(m_source.read(offset, Bytes(bytes, sizeof(bytes))));
        RawEntry raw = decode_raw_entry(Core::ReadonlyBytes(bytes, sizeof(bytes)));
        if (index == location.index) {
            record.offset = offset;
            for (usize byte = 0; byte < directory_entry_length; ++byte)
                record.bytes[byte] = bytes[byte];
            record.raw = raw;
            break;
        }
        // As the walk forward does: parts gather, anything else starts afresh.
        if (raw.kind == RawEntry::Kind::LongName)
            gather(long_name, raw, index);
        else
            long_name = LongName {};
    }
    if (record.raw.kind != RawEntry::Kind::Short || (record.raw.attributes & Attribute::volume_label) != 0)
        return Core::ErrorCode::NotFound;
    return {};
}

Result<Entry> Volume::entry_at(Location location)
{
    if (location.is_root()) {
        if (location.index != 0)
            return Core::ErrorCode::NotFound;
        return root();
    }
    Record record;
    LongName long_name;
    TRY(read_slot(location, record, long_name));
    Entry found;
    if (!name_entry(found, record.raw, long_name))
        return Core::ErrorCode::NotFound;
    found.location = location;
    if (found.is_directory() && found.first_cluster == 0)
        found.first_cluster = m_boot.root_cluster;
    return found;
}

Result<Entry> Volume::resolve(StringView path)
{
    if (path.length() == 0 || path[0] != '/')
        return Core::ErrorCode::InvalidArgument;
    Entry current = root();
    usize position = 1;
    while (position < path.length()) {
        usize end = position;
        while (end < path.length() && path[end] != '/')
            ++end;
        StringView name = path.substring(position, end - position);
        position = end + 1;
        if (name.length() == 0 || name == "."_sv)
            continue;
        if (!current.is_directory())
            return Core::ErrorCode::NotADirectory;
        if (name == ".."_sv && current.first_cluster == m_boot.root_cluster)
            continue; // the root has no ".." entry: it is its own parent
        current = TRY(lookup(current, name));
    }
    return current;
}

Result<usize> Volume::read(const Entry& file, u64 offset, Bytes destination)
{
    if (file.is_directory())
        return Core::ErrorCode::InvalidArgument;
    if (offset >= file.size)
        return usize { 0 };
    usize length = destination.size();
    if (length > file.size - offset)
        length = static_cast<usize>(file.size - offset);
    u32 cluster = file.first_cluster;
    u64 index = 0;
    LoopGuard guard(cluster);
    // Walk to the cluster that holds `offset`: from where the last read of this chain
    // stopped when that is not past it (the walk is then the same as one from the start).
    u64 skip = offset / m_boot.cluster_size;
    if (cluster != 0 && m_read_cursor.first == cluster && m_read_cursor.index <= skip) {
        index = m_read_cursor.index;
        cluster = m_read_cursor.cluster;
        guard = m_read_cursor.guard;
    }
    for (; index < skip; ++index) {
        if (cluster == 0)
            return Core::ErrorCode::Malformed;
        cluster = TRY(next_cluster(cluster));
        if (cluster != 0 && !guard.advance(cluster))
            return Core::ErrorCode::Malformed;
    }
    usize done = 0;
    u64 within = offset % m_boot.cluster_size;
    while (done < length) {
        if (cluster == 0 || !is_data_cluster(cluster))
            return Core::ErrorCode::Malformed;
        usize chunk = static_cast<usize>(m_boot.cluster_size - within);
        if (chunk > length - done)
            chunk = length - done;
        TRY(m_source.read(cluster_offset(cluster) + within, Bytes(destination.data() + done, chunk)));
        done += chunk;
        within = 0;
        if (done < length) {
            cluster = TRY(next_cluster(cluster));
            if (cluster != 0 && !guard.advance(cluster))
                return Core::ErrorCode::Malformed;
            ++index;
        }
    }
    if (is_data_cluster(cluster))
        m_read_cursor = { file.first_cluster, index, cluster, guard };
    return length;
}

} // namespace FileSystems::Fat
