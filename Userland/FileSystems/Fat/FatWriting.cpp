// Writing a FAT32 volume: cluster allocation in both FATs, FSInfo, directory entries with
// long names and 8.3 aliases, and the operations built on them. The order of the writes each
// operation makes is documented in docs/filesystems.md (FAT32, "Write order").

#include <Core/ByteReading.h>
#include <Core/Vector.h>
#include <Userland/FileSystems/Fat/FatVolume.h>

namespace FileSystems::Fat {

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

constexpr u8 deleted_marker = 0xE5;
// How deep rename's walk up from the target goes before it takes the ".." chain for a loop.
constexpr u32 maximum_directory_depth = 4096;
// Numeric tails an alias search considers: among the first 65,537 one is free, since a
// directory holds at most 65,536 entries.
constexpr u32 tail_limit = maximum_directory_slots + 2;
// FSInfo's free count and next-free hint, from the start of its sector.
constexpr u64 information_counts_offset = 488;

void put16(u8* bytes, usize offset, u16 value)
{
    bytes[offset] = static_cast<u8>(value);
    bytes[offset + 1] = static_cast<u8>(value >> 8);
}

void put32(u8* bytes, usize offset, u32 value)
{
    for (usize index = 0; index < 4; ++index)
        bytes[offset + index] = static_cast<u8>(value >> (8 * index));
}

void set_first_cluster(u8 (&entry)[directory_entry_length], u32 cluster)
{
    put16(entry, 20, static_cast<u16>(cluster >> 16));
    put16(entry, 26, static_cast<u16>(cluster));
}

Result<Core::Vector<u8>> zeroed_buffer(usize length)
{
    Core::Vector<u8> buffer;
    TRY(buffer.try_resize(length));
    return buffer;
}

bool same_short_name(const u8 (&first)[11], const u8 (&second)[11])
{
    for (usize index = 0; index < 11; ++index) {
        if (first[index] != second[index])
            return false;
    }
    return true;
}

// "." and "..", the entries every directory but the root starts with.
bool is_dot_entry(const RawEntry& raw)
{
    if ((raw.attributes & Attribute::directory) == 0 || raw.short_name[0] != '.')
        return false;
    usize dots = raw.short_name[1] == '.' ? 2 : 1;
    for (usize index = dots; index < 11; ++index) {
        if (raw.short_name[index] != ' ')
            return false;
    }
    return true;
}

// The number in an alias's numeric tail, after its last '~' ("LONGNA~12" gives 12, "A~B~3"
// gives 3), or 0 when it has none.
u32 numeric_tail(const u8 (&short_name)[11])
{
    usize length = 0;
    while (length < 8 && short_name[length] != ' ')
        ++length;
    usize tilde = length;
    for (usize index = length; index-- > 0;) {
        if (short_name[index] == '~') {
            tilde = index;
            break;
        }
    }
    if (tilde + 1 >= length)
        return 0;
    u32 number = 0;
    for (usize index = tilde + 1; index < length; ++index) {
        u8 digit = short_name[index];
        if (digit < '0' || digit > '9')
            return 0;
        number = number * 10 + (digit - '0');
    }
    return number;
}

// Names that name an existing entry for remove and rename: looked up, so only what can never
// name one is refused here (new names go through encode_name).
Result<void> check_existing_name(StringView name)
{
    if (name.length() == 0 || name == "."_sv || name == ".."_sv)
        return Core::ErrorCode::InvalidArgument;
    for (usize index = 0; index < name.length(); ++index) {
        if (name[index] == '/' || name[index] == '\0')
            return Core::ErrorCode::InvalidArgument;
    }
    return {};
}

} // namespace

// ---- The FATs and FSInfo ----------------------------------------------------------------------

Result<void> Volume::check_writable() const
{
    if (!m_boot.writable)
        return Core::ErrorCode::NotSupported;
    return {};
}

Result<u32> Volume::read_fat(u32 index)
{
    if (index >= m_boot.cluster_count + first_data_cluster)
        return Core::ErrorCode::Malformed;
    u8 raw[4];
    TRY(m_source.read(m_boot.fat_offset + u64 { index } * 4, Bytes(raw, sizeof(raw))));
    return Core::read_little_endian<u32>(ReadonlyBytes(raw, sizeof(raw)), 0) & entry_mask;
}

Result<void> Volume::write_fat(u32 index, u32 value)
{
    if (index >= m_boot.cluster_count + first_data_cluster)
        return Core::ErrorCode::Malformed;
    // A chain may change: where the last read stopped may no longer be on it.
    m_read_cursor = ReadCursor {};
    // The top four bits are reserved: kept as they are.
    u8 raw[4];
    TRY(m_source.read(m_boot.fat_offset + u64 { index } * 4, Bytes(raw, sizeof(raw))));
    u32 stored = Core::read_little_endian<u32>(ReadonlyBytes(raw, sizeof(raw)), 0);
    put32(raw, 0, (stored & ~entry_mask) | (value & entry_mask));
    // Every copy, the first first: fsck.fat takes the first when they differ.
    u64 fat_length = u64 { m_boot.fat_sectors } * m_boot.bytes_per_sector;
    for (u32 copy = 0; copy < m_boot.fat_count; ++copy)
        TRY(m_source.write(m_boot.fat_offset + copy * fat_length + u64 { index } * 4, ReadonlyBytes(raw, 4)));
    return {};
}

Result<void> Volume::begin_change()
{
    if (m_marked_in_use)
        return {};
    u32 state = TRY(read_fat(1));
    TRY(write_fat(1, state & ~clean_shutdown_bit));
    m_marked_in_use = true;
    return {};
}

Result<void> Volume::mark_clean()
{
    TRY(write_information());
    if (!m_marked_in_use)
        return {};
    // A volume that was not clean when it was opened stays as it was: it still needs a check.
    if (m_clean_at_open) {
        u32 state = TRY(read_fat(1));
        TRY(write_fat(1, state | clean_shutdown_bit));
    }
    m_marked_in_use = false;
    return {};
}

Result<void> Volume::write_information()
{
    if (!m_has_information || !m_information_changed)
        return {};
    if (!m_free_known) {
        m_free_clusters = TRY(count_free_clusters());
        m_free_known = true;
    }
    u8 counts[8];
    put32(counts, 0, m_free_clusters);
    put32(counts, 4, m_next_free);
    TRY(m_source.write(
        m_information_offset + information_counts_offset, ReadonlyBytes(counts, sizeof(counts))));
    m_information_changed = false;
    return {};
}

template<typename T> Result<T> Volume::finish(Result<T>&& outcome)
{
    // FSInfo once per operation, however it ended: its counts follow what was done.
    auto written = write_information();
    if (outcome.is_error() || !written.is_error())
        return Core::move(outcome);
    return written.error();
}

Result<FreeSpace> Volume::free_space()
{
    if (!m_free_known) {
        m_free_clusters = TRY(count_free_clusters());
        m_free_known = true;
    }
    return FreeSpace { m_free_clusters, m_boot.cluster_count, m_boot.cluster_size };
}

// ---- Allocation -------------------------------------------------------------------------------

namespace {

// The FAT is read a sector (128 entries) at a time when it is searched or counted.
constexpr u32 entries_per_chunk = 128;

} // namespace

Result<u32> Volume::find_free_cluster(u32 goal)
{
    if (!is_data_cluster(goal))
        goal = first_data_cluster;
    u8 chunk[entries_per_chunk * 4];
    u32 loaded = 0;
    bool any_loaded = false;
    for (u32 step = 0; step < m_boot.cluster_count; ++step) {
        u32 cluster = first_data_cluster + (goal - first_data_cluster + step) % m_boot.cluster_count;
        // The FAT holds an entry for every cluster and is whole sectors, so a sector-aligned
        // chunk around an entry lies inside it.
        u32 base = cluster / entries_per_chunk * entries_per_chunk;
        if (!any_loaded || base != loaded) {
            TRY(m_source.read(m_boot.fat_offset + u64 { base } * 4, Bytes(chunk, sizeof(chunk))));
            loaded = base;
            any_loaded = true;
        }
        u32 value = Core::read_little_endian<u32>(ReadonlyBytes(chunk, sizeof(chunk)), (cluster - base) * 4);
        // The root's cluster is never free, whatever a corrupt FAT says: handing it out would
        // write a file over the root directory.
        if ((value & entry_mask) == 0 && cluster != m_boot.root_cluster)
            return cluster;
    }
    return Core::ErrorCode::OutOfRange;
}

Result<u32> Volume::count_free_clusters()
{
    u8 chunk[entries_per_chunk * 4];
    u32 free_clusters = 0;
    u32 end = m_boot.cluster_count + first_data_cluster;
    for (u32 base = 0; base < end; base += entries_per_chunk) {
        TRY(m_source.read(m_boot.fat_offset + u64 { base } * 4, Bytes(chunk, sizeof(chunk))));
        u32 first = base < first_data_cluster ? first_data_cluster - base : 0;
        u32 last = end - base < entries_per_chunk ? end - base : entries_per_chunk;
        // An entry is free when its low 28 bits are zero: the first three bytes and the low
        // half of the fourth.
        for (u32 index = first; index < last; ++index) {
            const u8* entry = chunk + index * 4;
            if ((entry[0] | entry[1] | entry[2] | (entry[3] & 0x0F)) == 0)
                ++free_clusters;
        }
    }
    return free_clusters;
}

Result<void> Volume::release_cluster(u32 cluster)
{
    TRY(write_fat(cluster, 0));
    if (m_free_known && m_free_clusters < m_boot.cluster_count)
        ++m_free_clusters;
    m_information_changed = true;
    return {};
}

Result<Volume::Chain> Volume::allocate_chain(u32 count, u32 goal)
{
    // Each cluster is marked as a chain's end before the one before it points at it: at every
    // step the new clusters are one chain nothing points at yet (lost clusters to fsck.fat).
    Chain chain;
    u32 hint = m_next_free;
    auto undo = [&](Core::Error error) -> Result<Chain> {
        if (chain.first != 0)
            (void)free_chain(chain.first);
        m_next_free = hint;
        return error;
    };
    for (u32 made = 0; made < count; ++made) {
        auto cluster = find_free_cluster(goal);
        if (cluster.is_error())
            return undo(cluster.error());
        auto marked = write_fat(cluster.value(), chain_end_marker);
        if (marked.is_error())
            return undo(marked.error());
        if (m_free_known && m_free_clusters > 0)
            --m_free_clusters;
        m_information_changed = true;
        if (chain.last != 0) {
            auto linked = write_fat(chain.last, cluster.value());
            if (linked.is_error()) {
                (void)release_cluster(cluster.value());
                return undo(linked.error());
            }
        } else {
            chain.first = cluster.value();
        }
        chain.last = cluster.value();
        ++chain.length;
        goal = cluster.value() + 1;
        m_next_free = is_data_cluster(goal) ? goal : first_data_cluster;
    }
    return chain;
}

Result<void> Volume::free_chain(u32 first)
{
    m_cached_chain = Chain {};
    // Each step frees a cluster that was in use, so the walk ends, loops included: a loop
    // comes back to a cluster already freed.
    u32 cluster = first;
    for (u32 step = 0; cluster != 0 && step < m_boot.cluster_count; ++step) {
        if (!is_data_cluster(cluster))
            return Core::ErrorCode::Malformed;
        u32 next = TRY(read_fat(cluster));
        // Freeing a free or bad cluster: two owners claimed it, or the chain looped.
        if (next == 0 || next == bad_cluster)
            return Core::ErrorCode::Malformed;
        TRY(release_cluster(cluster));
        cluster = next >= end_of_chain ? 0 : next;
    }
    return {};
}

// ---- Chains -----------------------------------------------------------------------------------

Result<Volume::Chain> Volume::chain_end(u32 first)
{
    if (first == 0)
        return Chain {};
    if (!is_data_cluster(first))
        return Core::ErrorCode::Malformed;
    if (m_cached_chain.first == first && TRY(read_fat(m_cached_chain.last)) >= end_of_chain)
        return m_cached_chain;
    Chain chain { first, 1, first };
    LoopGuard guard(first);
    for (u32 next = TRY(next_cluster(first)); next != 0; next = TRY(next_cluster(next))) {
        if (!guard.advance(next))
            return Core::ErrorCode::Malformed;
        chain.last = next;
        ++chain.length;
    }
    m_cached_chain = chain;
    return chain;
}

Result<u32> Volume::cluster_at(u32 first, u32 index)
{
    if (m_cached_chain.first == first && m_cached_chain.length == index + 1
        && TRY(read_fat(m_cached_chain.last)) >= end_of_chain)
        return m_cached_chain.last;
    if (!is_data_cluster(first))
        return Core::ErrorCode::Malformed;
    u32 cluster = first;
    LoopGuard guard(first);
    for (u32 step = 0; step < index; ++step) {
        cluster = TRY(next_cluster(cluster));
        if (cluster == 0 || !guard.advance(cluster))
            return Core::ErrorCode::Malformed;
    }
    return cluster;
}

// ---- Directory entries ------------------------------------------------------------------------

Result<u32> Volume::directory_cluster(const Entry& directory)
{
    if (!directory.is_directory())
        return Core::ErrorCode::NotADirectory;
    u32 cluster = directory_cluster_of(directory);
    if (!is_data_cluster(cluster))
        return Core::ErrorCode::Malformed;
    // A removed directory's cluster is free: it is no place for new entries.
    if (TRY(read_fat(cluster)) == 0)
        return Core::ErrorCode::NotFound;
    return cluster;
}

Result<Volume::Record> Volume::read_file_record(Location file, LongName& long_name)
{
    if (file.is_root())
        return Core::ErrorCode::InvalidArgument;
    Record record;
    TRY(read_slot(file, record, long_name));
    if ((record.raw.attributes & Attribute::directory) != 0)
        return Core::ErrorCode::InvalidArgument;
    u32 first = record.raw.first_cluster;
    // Writing through a file whose chain starts outside the data, or at the root's, would
    // write over what is not the file's.
    if (first != 0 && (!is_data_cluster(first) || first == m_boot.root_cluster))
        return Core::ErrorCode::Malformed;
    return record;
}

Result<void> Volume::write_record(const Record& record)
{
    return m_source.write(record.offset, ReadonlyBytes(record.bytes, directory_entry_length));
}

Result<Entry> Volume::entry_from(const Record& record, const LongName& long_name, Location location)
{
    Entry entry;
    RawEntry raw = decode_raw_entry(ReadonlyBytes(record.bytes, directory_entry_length));
    if (!name_entry(entry, raw, long_name))
        return Core::ErrorCode::NotFound;
    entry.location = location;
    return entry;
}

void Volume::stamp(u8 (&short_entry)[directory_entry_length], bool created) const
{
    Timestamp now = encode_timestamp(m_now);
    if (created) {
        short_entry[13] = now.hundredths;
        put16(short_entry, 14, now.time);
        put16(short_entry, 16, now.date);
    }
    put16(short_entry, 18, now.date); // last access: a date only
    put16(short_entry, 22, now.time);
    put16(short_entry, 24, now.date);
}

Result<Entry> Volume::find(u32 directory, StringView name)
{
    Entry listing;
    listing.attributes = Attribute::directory;
    listing.first_cluster = directory;
    return lookup(listing, name);
}

Result<bool> Volume::is_empty_directory(u32 first_cluster)
{
    bool empty = true;
    DirectoryExtent extent;
    // Any short entry but "." and ".." counts, a nameless one too: it may own clusters.
    TRY(walk_directory(first_cluster, false, extent, [&](u32, const RawEntry& raw, const LongName&) {
        if (raw.kind != RawEntry::Kind::Short || is_dot_entry(raw)
            || (raw.attributes & Attribute::volume_label) != 0)
            return true;
        empty = false;
        return false;
    }));
    return empty;
}

Result<Volume::Placement> Volume::plan_entry(u32 directory, const EncodedName& encoded, StringView name)
{
    Placement placement;
    placement.directory = directory;
    u32 parts = encoded.needs_long_name
        ? static_cast<u32>((encoded.unit_count + units_per_part - 1) / units_per_part)
        : 0;
    placement.slot_count = parts + 1;
    // Which numeric tails of this basis are taken, and whether the basis itself is.
    Core::Vector<u8> tails_taken;
    if (encoded.needs_long_name)
        TRY(tails_taken.try_resize(tail_limit / 8 + 1));
    bool basis_taken = false;
    bool conflict = false;
    bool placed = false;
    u32 run_start = 0;
    u32 run_length = 0;
    DirectoryExtent extent;
    Entry entry; // one for the whole walk: an entry is large
    TRY(walk_directory(
        directory, true, extent, [&](u32 index, const RawEntry& raw, const LongName& long_name) {
            if (raw.kind == RawEntry::Kind::End || raw.kind == RawEntry::Kind::Free) {
                if (run_length == 0)
                    run_start = index;
                ++run_length;
                if (!placed && run_length >= placement.slot_count) {
                    placed = true;
                    placement.first_slot = run_start;
                }
                return true;
            }
            run_length = 0;
            if (raw.kind != RawEntry::Kind::Short)
                return true;
            if ((raw.attributes & Attribute::volume_label) == 0) {
                (void)name_entry(entry, raw, long_name);
                if (match(entry, raw, name) != 0) {
                    conflict = true;
                    return false;
                }
            }
            if (!encoded.needs_long_name)
                return true;
            if (same_short_name(raw.short_name, encoded.short_name))
                basis_taken = true;
            u32 number = numeric_tail(raw.short_name);
            if (number != 0 && number < tail_limit) {
                u8 alias[11];
                numeric_tail_alias(encoded.short_name, number, alias);
                if (same_short_name(raw.short_name, alias))
                    tails_taken[number / 8] = static_cast<u8>(tails_taken[number / 8] | (1u << (number % 8)));
            }
            return true;
        }));
    if (conflict)
        return Core::ErrorCode::AlreadyExists;

    for (usize index = 0; index < 11; ++index)
        placement.short_name[index] = encoded.short_name[index];
    if (encoded.needs_long_name && (encoded.needs_tail || basis_taken)) {
        u32 number = 1;
        while (number < tail_limit && (tails_taken[number / 8] & (1u << (number % 8))) != 0)
            ++number;
        if (number >= tail_limit)
            return Core::ErrorCode::OutOfRange;
        numeric_tail_alias(encoded.short_name, number, placement.short_name);
    }

    placement.last_cluster = extent.last_cluster;
    if (!placed) {
        // The free slots at the end (if any) and as many new clusters as the rest needs.
        u32 trailing = run_length;
        placement.first_slot = trailing > 0 ? run_start : extent.slot_count;
        u32 missing = placement.slot_count - trailing;
        placement.new_clusters = (missing + slots_per_cluster() - 1) / slots_per_cluster();
        if (u64 { extent.slot_count } + u64 { placement.new_clusters } * slots_per_cluster()
            > maximum_directory_slots)
            return Core::ErrorCode::OutOfRange;
    }
    return placement;
}

Result<Location> Volume::add_entry(
    const Placement& placement, const EncodedName& encoded, u8 (&short_entry)[directory_entry_length])
{
    if (placement.new_clusters > 0) {
        // New clusters are zeroed (their slots read as the directory's end) and chained before
        // the directory's last cluster points at them.
        Chain grown = TRY(allocate_chain(placement.new_clusters, placement.last_cluster + 1));
        auto linked = [&]() -> Result<void> {
            auto zeros = TRY(zeroed_buffer(m_boot.cluster_size));
            u32 cluster = grown.first;
            for (u32 made = 0; made < grown.length && cluster != 0; ++made) {
                TRY(m_source.write(cluster_offset(cluster), ReadonlyBytes(zeros.data(), zeros.size())));
                cluster = TRY(next_cluster(cluster));
            }
            return write_fat(placement.last_cluster, grown.first);
        }();
        if (linked.is_error()) {
            (void)free_chain(grown.first);
            return linked.error();
        }
    }
    // The long-name parts first, the short entry that makes them a name last.
    u8 checksum = short_name_checksum(placement.short_name);
    u32 parts = placement.slot_count - 1;
    u32 slot = placement.first_slot;
    for (u32 ordinal = parts; ordinal >= 1; --ordinal, ++slot) {
        u8 bytes[directory_entry_length];
        encode_long_name_part(
            Bytes(bytes, sizeof(bytes)), encoded, static_cast<u8>(ordinal), ordinal == parts, checksum);
        u64 offset = TRY(slot_offset(Location { placement.directory, slot }));
        TRY(m_source.write(offset, ReadonlyBytes(bytes, sizeof(bytes))));
    }
    for (usize index = 0; index < 11; ++index)
        short_entry[index] = placement.short_name[index];
    Location location { placement.directory, slot };
    u64 offset = TRY(slot_offset(location));
    TRY(m_source.write(offset, ReadonlyBytes(short_entry, directory_entry_length)));
    return location;
}

Result<void> Volume::remove_entry(Location location)
{
    Record record;
    LongName long_name;
    TRY(read_slot(location, record, long_name));
    u32 first_slot = owns(long_name, record.raw) ? long_name.first_slot : location.index;
    // The short entry first: from then on there is no name, only parts fsck.fat drops.
    u8 marker = deleted_marker;
    TRY(m_source.write(record.offset, ReadonlyBytes(&marker, 1)));
    for (u32 slot = first_slot; slot < location.index; ++slot) {
        u64 offset = TRY(slot_offset(Location { location.directory, slot }));
        TRY(m_source.write(offset, ReadonlyBytes(&marker, 1)));
    }
    return {};
}

// ---- Operations -------------------------------------------------------------------------------

Result<Entry> Volume::create(const Entry& directory, StringView name, bool directory_entry)
{
    TRY(check_writable());
    EncodedName encoded = TRY(encode_name(name));
    u32 parent = TRY(directory_cluster(directory));
    Placement placement = TRY(plan_entry(parent, encoded, name));
    TRY(begin_change());
    u8 short_entry[directory_entry_length] = {};
    short_entry[11] = directory_entry ? Attribute::directory : Attribute::archive;
    short_entry[12] = encoded.needs_long_name ? 0 : encoded.case_flags;
    stamp(short_entry, true);
    u32 cluster = 0;
    if (directory_entry) {
        // The new directory's cluster: zeros but "." and ".." (cluster 0 naming the root), on
        // the device before anything points at it.
        auto made = [&]() -> Result<u32> {
            auto buffer = TRY(zeroed_buffer(m_boot.cluster_size));
            Chain chain = TRY(allocate_chain(1, m_next_free));
            u8 dot[directory_entry_length] = {};
            for (usize index = 0; index < 11; ++index)
                dot[index] = index == 0 ? '.' : ' ';
            dot[11] = Attribute::directory;
            stamp(dot, true);
            set_first_cluster(dot, chain.first);
            for (usize index = 0; index < directory_entry_length; ++index)
                buffer[index] = dot[index];
            dot[1] = '.';
            set_first_cluster(dot, parent == m_boot.root_cluster ? 0 : parent);
            for (usize index = 0; index < directory_entry_length; ++index)
                buffer[directory_entry_length + index] = dot[index];
            auto written
                = m_source.write(cluster_offset(chain.first), ReadonlyBytes(buffer.data(), buffer.size()));
            if (written.is_error()) {
                (void)free_chain(chain.first);
                return written.error();
            }
            return chain.first;
        }();
        if (made.is_error())
            return finish(Result<Entry>(made.error()));
        cluster = made.value();
        set_first_cluster(short_entry, cluster);
    }
    auto added = add_entry(placement, encoded, short_entry);
    if (added.is_error()) {
        // A creation that fails leaves nothing: the directory's cluster goes back.
        if (cluster != 0)
            (void)free_chain(cluster);
        return finish(Result<Entry>(added.error()));
    }
    return finish(entry_at(added.value()));
}

Result<Entry> Volume::create_file(const Entry& directory, StringView name)
{
    return create(directory, name, false);
}

Result<Entry> Volume::create_directory(const Entry& directory, StringView name)
{
    return create(directory, name, true);
}

Result<Entry> Volume::fill(Location file, Record& record, const LongName& long_name, u64 data_offset,
    ReadonlyBytes data, u64 region_end)
{
    // Bytes [region_start, region_end) are written: `data` at `data_offset`, zeros elsewhere
    // (the gap between the old end and `data_offset`, the rest of new clusters).
    u32 cluster_size = m_boot.cluster_size;
    u32 old_size = record.raw.size;
    u32 first = record.raw.first_cluster;
    Chain chain = TRY(chain_end(first));
    if (chain.length < (u64 { old_size } + cluster_size - 1) / cluster_size)
        return Core::ErrorCode::Malformed;
    u64 needed = (region_end + cluster_size - 1) / cluster_size;
    u32 missing = needed > chain.length ? static_cast<u32>(needed - chain.length) : 0;
    TRY(begin_change());
    // Every cluster the write needs is taken first, so that a volume too full for it changes
    // nothing.
    Chain grown;
    if (missing > 0)
        grown = TRY(allocate_chain(missing, chain.length > 0 ? chain.last + 1 : m_next_free));
    u64 region_start = data_offset < old_size ? data_offset : old_size;
    auto written = [&]() -> Result<void> {
        // Never empty as called (a write has data, a truncate grows); an empty region would
        // need no cluster either, so `grown` is empty then.
        if (region_start >= region_end)
            return {};
        auto buffer = TRY(zeroed_buffer(cluster_size));
        u32 index = static_cast<u32>(region_start / cluster_size);
        u32 cluster = 0;
        if (index < chain.length) {
            cluster = TRY(cluster_at(first, index));
        } else {
            cluster = grown.first;
            for (u32 step = chain.length; step < index && cluster != 0; ++step)
                cluster = TRY(next_cluster(cluster));
        }
        u64 data_end = data_offset + data.size();
        for (; index < needed; ++index) {
            if (cluster == 0)
                return Core::ErrorCode::Malformed;
            u64 cluster_start = u64 { index } * cluster_size;
            bool fresh = index >= chain.length;
            u64 low = (region_start > cluster_start ? region_start : cluster_start) - cluster_start;
            u64 high = (region_end < cluster_start + cluster_size ? region_end : cluster_start + cluster_size)
                - cluster_start;
            // Zeros, then the part of `data` this cluster holds.
            u64 zero_low = fresh ? 0 : low;
            u64 zero_high = fresh ? cluster_size : high;
            __builtin_memset(buffer.data() + zero_low, 0, static_cast<usize>(zero_high - zero_low));
            u64 data_low = data_offset > cluster_start ? data_offset - cluster_start : 0;
            u64 data_high = data_end > cluster_start ? data_end - cluster_start : 0;
            data_low = data_low > low ? data_low : low;
            data_high = data_high < high ? data_high : high;
            // [data_low, data_high) lies inside both the cluster and `data`.
            if (data_low < data_high)
                __builtin_memcpy(buffer.data() + data_low,
                    data.data() + (cluster_start + data_low - data_offset),
                    static_cast<usize>(data_high - data_low));
            // A new cluster is written whole, so that it never shows what was there before.
            if (fresh)
                TRY(m_source.write(cluster_offset(cluster), ReadonlyBytes(buffer.data(), cluster_size)));
            else
                TRY(m_source.write(cluster_offset(cluster) + low,
                    ReadonlyBytes(buffer.data() + low, static_cast<usize>(high - low))));
            if (index + 1 < needed)
                cluster = index + 1 == chain.length ? grown.first : TRY(next_cluster(cluster));
        }
        // The new clusters join the file after their contents are on the device.
        if (grown.first != 0 && chain.length > 0)
            TRY(write_fat(chain.last, grown.first));
        return {};
    }();
    if (written.is_error()) {
        if (grown.first != 0)
            (void)free_chain(grown.first);
        return written.error();
    }
    if (grown.first != 0) {
        if (chain.length == 0)
            set_first_cluster(record.bytes, grown.first);
        m_cached_chain
            = Chain { chain.length > 0 ? first : grown.first, chain.length + grown.length, grown.last };
    }
    // The size (and, for a file that was empty, its first cluster) last.
    if (region_end > old_size)
        put32(record.bytes, 28, static_cast<u32>(region_end));
    record.bytes[11] = static_cast<u8>(record.bytes[11] | Attribute::archive);
    stamp(record.bytes, false);
    TRY(write_record(record));
    return entry_from(record, long_name, file);
}

Result<Entry> Volume::write(Location file, u64 offset, ReadonlyBytes data)
{
    TRY(check_writable());
    LongName long_name;
    Record record = TRY(read_file_record(file, long_name));
    u64 end = offset + data.size();
    if (end < offset || end > maximum_file_size)
        return Core::ErrorCode::OutOfRange;
    if (data.size() == 0)
        return entry_from(record, long_name, file);
    return finish(fill(file, record, long_name, offset, data, end));
}

Result<Entry> Volume::truncate(Location file, u64 size)
{
    TRY(check_writable());
    LongName long_name;
    Record record = TRY(read_file_record(file, long_name));
    if (size > maximum_file_size)
        return Core::ErrorCode::OutOfRange;
    u32 old_size = record.raw.size;
    if (size > old_size)
        return finish(fill(file, record, long_name, size, ReadonlyBytes(), size));
    u32 cluster_size = m_boot.cluster_size;
    u32 first = record.raw.first_cluster;
    u32 kept = static_cast<u32>((size + cluster_size - 1) / cluster_size);
    u32 last_kept = 0;
    if (kept > 0 && size < old_size)
        last_kept = TRY(cluster_at(first, kept - 1));
    TRY(begin_change());
    auto shrunk = [&]() -> Result<void> {
        // The new size first: from then on the clusters past it belong to no byte of the file,
        // and a crash while they are freed leaves what fsck.fat frees.
        put32(record.bytes, 28, static_cast<u32>(size));
        if (kept == 0)
            set_first_cluster(record.bytes, 0);
        record.bytes[11] = static_cast<u8>(record.bytes[11] | Attribute::archive);
        stamp(record.bytes, false);
        TRY(write_record(record));
        if (size == old_size)
            return {};
        m_cached_chain = Chain {};
        if (kept == 0)
            return first != 0 ? free_chain(first) : Result<void>();
        u32 next = TRY(read_fat(last_kept));
        if (next >= end_of_chain)
            return {};
        TRY(write_fat(last_kept, chain_end_marker));
        if (!is_data_cluster(next))
            return Core::ErrorCode::Malformed;
        return free_chain(next);
    }();
    if (shrunk.is_error())
        return finish(Result<Entry>(shrunk.error()));
    return finish(entry_from(record, long_name, file));
}

Result<Entry> Volume::set_read_only(Location file, bool read_only)
{
    TRY(check_writable());
    LongName long_name;
    Record record = TRY(read_file_record(file, long_name));
    u8 attributes = record.bytes[11];
    u8 wanted = read_only ? static_cast<u8>(attributes | Attribute::read_only)
                          : static_cast<u8>(attributes & ~Attribute::read_only);
    if (wanted != attributes) {
        TRY(begin_change());
        record.bytes[11] = wanted;
        auto written = write_record(record);
        if (written.is_error())
            return finish(Result<Entry>(written.error()));
    }
    return finish(entry_from(record, long_name, file));
}

Result<Entry> Volume::set_write_time(Location location, u64 unix_seconds)
{
    TRY(check_writable());
    if (location.is_root())
        return Core::ErrorCode::InvalidArgument;
    LongName long_name;
    Record record;
    TRY(read_slot(location, record, long_name));
    Timestamp time = encode_timestamp(unix_seconds);
    TRY(begin_change());
    put16(record.bytes, 18, time.date); // last access: a date only
    put16(record.bytes, 22, time.time);
    put16(record.bytes, 24, time.date);
    auto written = write_record(record);
    if (written.is_error())
        return finish(Result<Entry>(written.error()));
    return finish(entry_from(record, long_name, location));
}

Result<void> Volume::remove(const Entry& directory, StringView name)
{
    TRY(check_writable());
    TRY(check_existing_name(name));
    u32 parent = TRY(directory_cluster(directory));
    Entry found = TRY(find(parent, name));
    Record record;
    LongName long_name;
    TRY(read_slot(found.location, record, long_name));
    u32 first = record.raw.first_cluster;
    if (found.is_directory()) {
        if (!is_data_cluster(first) || first == m_boot.root_cluster)
            return Core::ErrorCode::Malformed;
        if (!TRY(is_empty_directory(first)))
            return Core::ErrorCode::NotEmpty;
    } else if (first != 0 && (!is_data_cluster(first) || first == m_boot.root_cluster)) {
        return Core::ErrorCode::Malformed;
    }
    TRY(begin_change());
    // The name goes first, then the clusters: a crash between leaves lost clusters, never a
    // name for free ones.
    auto removed = [&]() -> Result<void> {
        TRY(remove_entry(found.location));
        if (first != 0)
            TRY(free_chain(first));
        return {};
    }();
    return finish(Core::move(removed));
}

Result<Entry> Volume::rename(const Entry& from, StringView name, const Entry& to, StringView to_name)
{
    TRY(check_writable());
    TRY(check_existing_name(name));
    EncodedName encoded = TRY(encode_name(to_name));
    u32 from_directory = TRY(directory_cluster(from));
    u32 to_directory = TRY(directory_cluster(to));
    Entry source = TRY(find(from_directory, name));
    Record source_record;
    LongName long_name;
    TRY(read_slot(source.location, source_record, long_name));
    auto existing = find(to_directory, to_name);
    if (existing.is_error() && existing.error().code() != Core::ErrorCode::NotFound)
        return existing.error();
    bool replacing = !existing.is_error();
    // Onto itself, or a spelling of its own name: nothing to do.
    if (replacing && existing.value().location == source.location)
        return source;
    bool moving_directory = source.is_directory();
    u32 moved_cluster = source_record.raw.first_cluster;
    Location dot_dot;
    if (moving_directory) {
        if (!is_data_cluster(moved_cluster) || moved_cluster == m_boot.root_cluster)
            return Core::ErrorCode::Malformed;
        if (from_directory != to_directory) {
            // Not into itself or below it: walk up from the target to the root. A ".." chain
            // longer than any real tree is a loop in a corrupt volume.
            u32 ancestor = to_directory;
            for (u32 steps = 0; ancestor != m_boot.root_cluster; ++steps) {
                if (ancestor == moved_cluster)
                    return Core::ErrorCode::InvalidArgument;
                if (steps > maximum_directory_depth)
                    return Core::ErrorCode::Malformed;
                Entry parent = TRY(find(ancestor, ".."_sv));
                if (!is_data_cluster(parent.first_cluster))
                    return Core::ErrorCode::Malformed;
                ancestor = parent.first_cluster;
            }
            dot_dot = TRY(find(moved_cluster, ".."_sv)).location;
        }
    } else if (moved_cluster != 0
        && (!is_data_cluster(moved_cluster) || moved_cluster == m_boot.root_cluster)) {
        return Core::ErrorCode::Malformed;
    }
    Record replaced_record;
    u32 replaced_first = 0;
    if (replacing) {
        const Entry& target = existing.value();
        if (moving_directory != target.is_directory())
            return moving_directory ? Core::ErrorCode::NotADirectory : Core::ErrorCode::AlreadyExists;
        LongName replaced_name;
        TRY(read_slot(target.location, replaced_record, replaced_name));
        replaced_first = replaced_record.raw.first_cluster;
        if (target.is_directory()) {
            if (!is_data_cluster(replaced_first) || replaced_first == m_boot.root_cluster
                || replaced_first == moved_cluster)
                return Core::ErrorCode::Malformed;
            if (!TRY(is_empty_directory(replaced_first)))
                return Core::ErrorCode::NotEmpty;
        } else if (replaced_first != 0
            && (!is_data_cluster(replaced_first) || replaced_first == m_boot.root_cluster
                || replaced_first == moved_cluster)) {
            return Core::ErrorCode::Malformed;
        }
    }
    Placement placement;
    if (!replacing)
        placement = TRY(plan_entry(to_directory, encoded, to_name));
    // Everything is checked: the changes start. The new name first, then the moved
    // directory's "..", then the old name goes, then what was replaced is freed.
    TRY(begin_change());
    auto moved = [&]() -> Result<Location> {
        Location target;
        if (replacing) {
            // The existing name turns to the moved file in one entry write: it keeps its
            // spelling (bytes 0-10 and the case flags in byte 12), all else is the file's.
            for (usize index = 11; index < directory_entry_length; ++index) {
                if (index != 12)
                    replaced_record.bytes[index] = source_record.bytes[index];
            }
            TRY(write_record(replaced_record));
            target = existing.value().location;
        } else {
            u8 short_entry[directory_entry_length];
            for (usize index = 0; index < directory_entry_length; ++index)
                short_entry[index] = source_record.bytes[index];
            short_entry[12] = encoded.needs_long_name ? 0 : encoded.case_flags;
            target = TRY(add_entry(placement, encoded, short_entry));
        }
        if (!dot_dot.is_root()) {
            Record dots;
            LongName unused;
            TRY(read_slot(dot_dot, dots, unused));
            set_first_cluster(dots.bytes, to_directory == m_boot.root_cluster ? 0 : to_directory);
            TRY(write_record(dots));
        }
        TRY(remove_entry(source.location));
        if (replaced_first != 0)
            TRY(free_chain(replaced_first));
        return target;
    }();
    if (moved.is_error())
        return finish(Result<Entry>(moved.error()));
    return finish(entry_at(moved.value()));
}

} // namespace FileSystems::Fat
