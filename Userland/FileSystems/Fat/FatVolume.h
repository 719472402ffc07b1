#pragma once

// A FAT32 volume (FatStructures.h): cluster chains through the first FAT, directories with
// their long names, paths, and file data, read; and written (FatWriting.cpp): files and
// directories created, written, truncated, removed and renamed, with long names and their
// 8.3 aliases, both FATs and FSInfo kept in step. Every cluster number and every chain is
// checked and bounded, so a corrupt or hostile image gives errors (Malformed, mostly), never
// a read out of bounds or a chain followed forever.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Core/Types.h>
#include <Userland/FileSystems/BlockSource.h>
#include <Userland/FileSystems/Fat/FatStructures.h>

namespace FileSystems::Fat {

// Finds a cluster chain that loops back on itself, in a number of steps proportional to
// where it loops, with no memory (Brent's method): a checkpoint moves to the current
// cluster whenever the steps since it reach a power of two; meeting it again is a loop.
class LoopGuard {
public:
    explicit LoopGuard(Core::u32 first)
        : m_checkpoint(first)
    {
    }
    // False when `next`, the cluster just reached, closes a loop.
    [[nodiscard]] bool advance(Core::u32 next)
    {
        if (next == m_checkpoint)
            return false;
        if (++m_steps == m_power) {
            m_checkpoint = next;
            m_steps = 0;
            if (m_power < (1u << 31))
                m_power *= 2;
        }
        return true;
    }

private:
    Core::u32 m_checkpoint;
    Core::u32 m_power { 1 };
    Core::u32 m_steps { 0 };
};

// Where a file or directory is: the slot of its short (8.3) entry in the directory that
// lists it. It is the file's identity for as long as the entry stays where it is: creating,
// writing, truncating and removing other entries never moves it; removing the file ends it,
// and renaming moves it (rename returns the new one). The root, which no directory lists,
// has a location of its own.
struct Location {
    Core::u32 directory { 0 }; // the listing directory's first cluster; 0 for the root itself
    Core::u32 index { 0 }; // the short entry's slot in it, from 0

    [[nodiscard]] bool is_root() const { return directory == 0; }
    bool operator==(const Location&) const = default;
};

// A file or directory as its directory lists it.
struct Entry {
    // UTF-8: the long name when it has one (and it is intact), else the 8.3 name with the
    // lowercase flags applied. At most 255 UTF-16 units, so at most 765 bytes.
    char name[768] {};
    Core::usize name_length { 0 };
    Core::u8 attributes { 0 };
    Core::u32 first_cluster { 0 }; // 0 for an empty file (and for ".." naming the root)
    Core::u32 size { 0 };
    Core::u16 write_time { 0 }; // FAT format: hours, minutes, two-second units
    Core::u16 write_date { 0 }; // FAT format: years since 1980, month, day
    Location location;

    [[nodiscard]] bool is_directory() const { return (attributes & Attribute::directory) != 0; }
    [[nodiscard]] Core::StringView name_view() const { return Core::StringView(name, name_length); }
};

// What `df` shows.
struct FreeSpace {
    Core::u32 free_clusters { 0 };
    Core::u32 cluster_count { 0 };
    Core::u32 cluster_size { 0 }; // bytes
};

class Volume {
public:
    // Reads and checks the boot sector, and the FSInfo sector when there is a valid one.
    [[nodiscard]] static Core::Result<Volume> open(BlockSource& source);

    [[nodiscard]] const BootSector& boot_sector() const { return m_boot; }
    // The root directory as an entry (it has none of its own).
    [[nodiscard]] Entry root() const;

    // The cluster after `cluster` in its chain, or 0 at the chain's end. Malformed for a
    // cluster outside the data, or a next entry that is free, bad or outside the data.
    [[nodiscard]] Core::Result<Core::u32> next_cluster(Core::u32 cluster);

    // Calls `visit(entry)` for each file and directory in `directory` ("." and ".."
    // included, volume labels and deleted entries not); `visit` returns false to stop.
    // NotADirectory when `directory` is not one.
    template<typename Visit>
    [[nodiscard]] Core::Result<void> for_each_entry(const Entry& directory, Visit visit);

    // The entry named `name` in `directory`, matched without regard to ASCII case as FAT
    // does (Linux's vfat with UTF-8 names too): by its name, or else by its 8.3 alias, as
    // Windows and Linux find "LONGNA~1.TXT". NotFound.
    [[nodiscard]] Core::Result<Entry> lookup(const Entry& directory, Core::StringView name);

    // The entry at absolute `path` ("/" is the root). NotFound, NotADirectory,
    // InvalidArgument (a relative path).
    [[nodiscard]] Core::Result<Entry> resolve(Core::StringView path);

    // The entry at `location`, read again from the device: NotFound when no file or
    // directory is there (a removed one, a slot past the directory's end).
    [[nodiscard]] Core::Result<Entry> entry_at(Location location);

    // Copies up to destination.size() bytes of the file from `offset`, returns how many:
    // fewer at the end, 0 past it. Malformed when the chain is shorter than the size or
    // loops.
    [[nodiscard]] Core::Result<Core::usize> read(
        const Entry& file, Core::u64 offset, Core::Bytes destination);

    // ---- Writing (FatWriting.cpp) -----------------------------------------------------------
    // Every call needs a writable volume (BootSector::writable; NotSupported otherwise) and a
    // source that writes. Each leaves the volume as `fsck.fat` wants it once its writes are
    // all done; the order they go in is in docs/filesystems.md. A call that fails for want of
    // space (OutOfRange) or for a bad request changes nothing. Directories are given as
    // entries (a removed one is NotFound), files by location.

    // The time (Unix seconds, written as UTC) the calls stamp on what they create and change.
    void set_current_time(Core::u32 seconds) { m_now = seconds; }

    // The first change clears FAT[1]'s clean-shutdown bit, so that a crash leaves a volume
    // that says it must be checked; this sets it again (and writes FSInfo), once every
    // change is on the device (unmounting, syncing). A volume that was not clean when it was
    // opened stays marked: only a check may clear it.
    [[nodiscard]] Core::Result<void> mark_clean();

    // Free clusters (FSInfo's count when it is plausible, else counted in the FAT once), the
    // cluster count and size.
    [[nodiscard]] Core::Result<FreeSpace> free_space();

    // A new empty file, or a directory (one zeroed cluster with "." and ".."), named `name`
    // in `directory`; returns its entry. AlreadyExists when the name, or an 8.3 name the new
    // one would have to take, is taken (without regard to ASCII case); NotADirectory;
    // OutOfRange when the directory must grow and the volume is full, or would pass 65,536
    // entries; InvalidArgument for a bad name (encode_name).
    [[nodiscard]] Core::Result<Entry> create_file(const Entry& directory, Core::StringView name);
    [[nodiscard]] Core::Result<Entry> create_directory(const Entry& directory, Core::StringView name);

    // Writes `data` into the file at `file` from `offset`, allocating clusters and growing
    // the size as needed; a gap between the old end and `offset` is filled with zeros (FAT
    // has no holes). Returns the file's entry as it now is. OutOfRange when the volume has
    // too few free clusters or the file would pass 4 GiB - 1 (nothing is written then);
    // InvalidArgument for a directory; NotFound when no file is at `file`.
    [[nodiscard]] Core::Result<Entry> write(Location file, Core::u64 offset, Core::ReadonlyBytes data);
    // Sets the file's size: clusters past it are freed, growing fills with zeros.
    [[nodiscard]] Core::Result<Entry> truncate(Location file, Core::u64 size);
    // Sets or clears the file's read-only attribute, FAT's one permission; nothing else of
    // the entry changes (FAT has no change time to stamp). InvalidArgument for a directory,
    // whose attribute Windows and Linux ignore.
    [[nodiscard]] Core::Result<Entry> set_read_only(Location file, bool read_only);
    // Sets the write time of the file or directory at `location` to `unix_seconds` (clamped
    // to what FAT holds), and its access date, FAT's only access time, with it; nothing else
    // changes. The root has no entry to hold times: InvalidArgument.
    [[nodiscard]] Core::Result<Entry> set_write_time(Location location, Core::u64 unix_seconds);

    // Removes `name` from `directory` with its long-name parts and frees its clusters. A
    // directory must be empty (NotEmpty). NotFound.
    [[nodiscard]] Core::Result<void> remove(const Entry& directory, Core::StringView name);
    // Moves `name` in `from` to `to_name` in `to`; returns the entry at its new location. An
    // existing file or empty directory named `to_name` is replaced (a directory only by a
    // directory, a file only by a file: NotADirectory / AlreadyExists otherwise), keeping
    // its name's spelling. A directory moving to another parent has its ".." changed; it may
    // not move into itself or below (InvalidArgument). A name onto itself, or onto a
    // spelling of it that differs only in case, changes nothing (as Linux's vfat).
    [[nodiscard]] Core::Result<Entry> rename(
        const Entry& from, Core::StringView name, const Entry& to, Core::StringView to_name);

private:
    Volume(BlockSource& source, const BootSector& boot);
    [[nodiscard]] Core::u64 cluster_offset(Core::u32 cluster) const
    {
        return m_boot.data_offset + Core::u64 { cluster - first_data_cluster } * m_boot.cluster_size;
    }
    [[nodiscard]] bool is_data_cluster(Core::u32 cluster) const
    {
        return cluster >= first_data_cluster && cluster < m_boot.cluster_count + first_data_cluster;
    }
    [[nodiscard]] Core::u32 slots_per_cluster() const { return m_boot.cluster_size / directory_entry_length; }
    // A directory entry's first cluster, with 0 (".." naming the root) meaning the root.
    [[nodiscard]] Core::u32 directory_cluster_of(const Entry& directory) const
    {
        return directory.first_cluster == 0 ? m_boot.root_cluster : directory.first_cluster;
    }
    // Builds an entry's name from a short entry and the long-name parts gathered before it.
    struct LongName {
        Core::u16 characters[20 * 13] {};
        Core::u8 parts { 0 }; // how many, from the `last` one
        Core::u8 expected { 0 }; // the ordinal the next part must have (0: none pending)
        Core::u8 checksum { 0 };
        bool valid { false };
        Core::u32 first_slot { 0 }; // where the `last` part is
    };
    static void gather(LongName& long_name, const RawEntry& raw, Core::u32 index);
    // Whether the parts gathered belong to the short entry `raw` (complete, checksum right).
    [[nodiscard]] static bool owns(const LongName& long_name, const RawEntry& raw)
    {
        return long_name.valid && long_name.checksum == short_name_checksum(raw.short_name);
    }
    // False when the entry has no usable name (empty, or with '/' or NUL in it): such an
    // entry cannot be named in a path, and is left out of listings.
    [[nodiscard]] static bool name_entry(Entry& entry, const RawEntry& raw, const LongName& long_name);
    // Whether `entry` (read from `raw`) answers to `name`: 1 by its name, 2 by its 8.3
    // alias only, 0 not at all.
    [[nodiscard]] static int match(const Entry& entry, const RawEntry& raw, Core::StringView name);

    // What walk_directory saw of the directory's chain.
    struct DirectoryExtent {
        Core::u32 last_cluster { 0 };
        Core::u32 slot_count { 0 }; // slots its clusters hold, when walked to the end
    };
    // Calls `visit(index, raw, long_name)` for the directory's slots in order, with the
    // long-name parts gathered before each; `visit` returns false to stop. The walk ends at
    // the end marker, or, with `past_end`, goes on to the chain's end, every slot from the
    // marker on shown as End. Malformed for a chain that leaves the data or loops.
    template<typename Visit>
    [[nodiscard]] Core::Result<void> walk_directory(
        Core::u32 first_cluster, bool past_end, DirectoryExtent& extent, Visit visit);

    // A short entry as it is on the device, and where.
    struct Record {
        Core::u64 offset { 0 };
        Core::u8 bytes[directory_entry_length] {};
        RawEntry raw;
    };
    // Reads the short entry at `location` and gathers the long-name parts just before it
    // (a name's parts are the 20 slots before its short entry at most, so only those are
    // read). NotFound when no file or directory is there.
    [[nodiscard]] Core::Result<void> read_slot(Location location, Record& record, LongName& long_name);
    // The device offset of the slot at `location`. NotFound past the directory's chain.
    [[nodiscard]] Core::Result<Core::u64> slot_offset(Location location);

    // ---- FatWriting.cpp's helpers --------------------------------------------------------------
    // Where the new entries for a name go, found (with every check) before anything is written.
    struct Placement {
        Core::u32 directory { 0 };
        Core::u32 first_slot { 0 };
        Core::u32 slot_count { 0 }; // long-name parts and the short entry
        Core::u32 last_cluster { 0 }; // the directory's, to link new clusters after
        Core::u32 new_clusters { 0 }; // how many the directory must grow by
        Core::u8 short_name[11] {};
    };
    struct Chain {
        Core::u32 first { 0 };
        Core::u32 length { 0 };
        Core::u32 last { 0 };
    };
    [[nodiscard]] Core::Result<void> check_writable() const;
    [[nodiscard]] Core::Result<Core::u32> directory_cluster(const Entry& directory);
    [[nodiscard]] Core::Result<void> begin_change();
    [[nodiscard]] Core::Result<Core::u32> read_fat(Core::u32 index);
    [[nodiscard]] Core::Result<void> write_fat(Core::u32 index, Core::u32 value);
    [[nodiscard]] Core::Result<void> release_cluster(Core::u32 cluster);
    [[nodiscard]] Core::Result<Core::u32> find_free_cluster(Core::u32 goal);
    [[nodiscard]] Core::Result<Core::u32> count_free_clusters();
    [[nodiscard]] Core::Result<Chain> allocate_chain(Core::u32 count, Core::u32 goal);
    [[nodiscard]] Core::Result<void> free_chain(Core::u32 first);
    [[nodiscard]] Core::Result<void> write_information();
    template<typename T> [[nodiscard]] Core::Result<T> finish(Core::Result<T>&& outcome);
    [[nodiscard]] Core::Result<Chain> chain_end(Core::u32 first);
    [[nodiscard]] Core::Result<Core::u32> cluster_at(Core::u32 first, Core::u32 index);
    [[nodiscard]] Core::Result<Record> read_file_record(Location file, LongName& long_name);
    [[nodiscard]] Core::Result<void> write_record(const Record& record);
    [[nodiscard]] Core::Result<Entry> entry_from(
        const Record& record, const LongName& long_name, Location location);
    [[nodiscard]] Core::Result<Entry> find(Core::u32 directory, Core::StringView name);
    [[nodiscard]] Core::Result<bool> is_empty_directory(Core::u32 first_cluster);
    [[nodiscard]] Core::Result<Placement> plan_entry(
        Core::u32 directory, const EncodedName& encoded, Core::StringView name);
    [[nodiscard]] Core::Result<Location> add_entry(const Placement& placement, const EncodedName& encoded,
        Core::u8 (&short_entry)[directory_entry_length]);
    [[nodiscard]] Core::Result<void> remove_entry(Location location);
    [[nodiscard]] Core::Result<Entry> create(
        const Entry& directory, Core::StringView name, bool directory_entry);
    [[nodiscard]] Core::Result<Entry> fill(Location file, Record& record, const LongName& long_name,
        Core::u64 data_offset, Core::ReadonlyBytes data, Core::u64 region_end);
    void stamp(Core::u8 (&short_entry)[directory_entry_length], bool created) const;

    BlockSource& m_source;
    BootSector m_boot;
    Core::u32 m_now { 0 };
    // FAT[1]'s clean bit: as the volume was opened, and whether this volume cleared it.
    bool m_clean_at_open { false };
    bool m_marked_in_use { false };
    // FSInfo: its sector's offset when it is valid, the free count (when known) and the next
    // free cluster hint, and whether they changed since they were written.
    Core::u64 m_information_offset { 0 };
    bool m_has_information { false };
    bool m_free_known { false };
    Core::u32 m_free_clusters { 0 };
    Core::u32 m_next_free { first_data_cluster };
    bool m_information_changed { false };
    // The end of the chain the last write reached, so that appending does not walk a long
    // file's chain each time. Forgotten whenever a cluster is freed.
    Chain m_cached_chain;
    // Where the last read stopped in its file's chain (the cluster at `index` from `first`,
    // and the loop guard's state there), so that reading a file in order walks its chain
    // once instead of from its start on every read. Forgotten whenever the FAT changes.
    struct ReadCursor {
        Core::u32 first { 0 };
        Core::u64 index { 0 };
        Core::u32 cluster { 0 };
        LoopGuard guard { 0 };
    };
    ReadCursor m_read_cursor;
};

template<typename Visit>
Core::Result<void> Volume::walk_directory(
    Core::u32 first_cluster, bool past_end, DirectoryExtent& extent, Visit visit)
{
    LongName long_name;
    Core::u32 cluster = first_cluster;
    LoopGuard guard(cluster);
    Core::u32 index = 0;
    bool ended = false;
    extent = DirectoryExtent {};
    // A sector's worth of slots at a time (clusters are whole sectors of at least 512 bytes).
    constexpr Core::u32 chunk_length = 512;
    while (cluster != 0) {
        if (!is_data_cluster(cluster))
            return Core::ErrorCode::Malformed;
        extent.last_cluster = cluster;
        for (Core::u32 chunk_offset = 0; chunk_offset < m_boot.cluster_size; chunk_offset += chunk_length) {
            Core::u8 chunk[chunk_length];
            if (!ended)
                TRY(m_source.read(cluster_offset(cluster) + chunk_offset, Core::Bytes(chunk, chunk_length)));
            for (Core::u32 slot = 0; slot < chunk_length / directory_entry_length; ++slot, ++index) {
                RawEntry raw;
                if (!ended)
                    raw = decode_raw_entry(
                        Core::ReadonlyBytes(chunk + slot * directory_entry_length, directory_entry_length));
                if (raw.kind == RawEntry::Kind::End) {
                    if (!past_end)
                        return {};
                    ended = true;
                }
                bool go_on = visit(index, raw, long_name);
                switch (raw.kind) {
                case RawEntry::Kind::End:
                case RawEntry::Kind::Free:
                case RawEntry::Kind::Short:
                    long_name = LongName {};
                    break;
                case RawEntry::Kind::LongName:
                    gather(long_name, raw, index);
                    break;
                }
                if (!go_on)
                    return {};
            }
        }
        extent.slot_count = index;
        cluster = TRY(next_cluster(cluster));
        if (cluster != 0 && !guard.advance(cluster))
            return Core::ErrorCode::Malformed;
    }
    return {};
}

template<typename Visit> Core::Result<void> Volume::for_each_entry(const Entry& directory, Visit visit)
{
    if (!directory.is_directory())
        return Core::ErrorCode::NotADirectory;
    Core::u32 first = directory_cluster_of(directory);
    DirectoryExtent extent;
    Entry entry; // one for the whole walk: an entry is large
    return walk_directory(
        first, false, extent, [&](Core::u32 index, const RawEntry& raw, const LongName& long_name) {
            if (raw.kind != RawEntry::Kind::Short || (raw.attributes & Attribute::volume_label) != 0)
                return true;
            if (!name_entry(entry, raw, long_name))
                return true;
            entry.location = Location { first, index };
            return visit(static_cast<const Entry&>(entry));
        });
}

} // namespace FileSystems::Fat
