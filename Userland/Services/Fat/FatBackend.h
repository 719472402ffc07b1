#pragma once

// The FAT service's file system (docs/filesystems.md#the-fat-service): the FAT32 library's
// Volume (Userland/FileSystems/Fat) behind the Backend interface, reading and writing through
// the page cache. FAT has no inode numbers, so the service gives each file and directory a
// number of its own (NodeNumbers). Pure, so that host tests run it on images made by mkfs.fat
// and mtools and check the result with fsck.fat and mtools.

#include <Core/Optional.h>
#include <Core/Vector.h>
#include <Userland/FileSystems/BlockCache.h>
#include <Userland/FileSystems/Fat/FatVolume.h>
#include <Userland/Services/FileSystem/Backend.h>

namespace FatService {

using FileSystem::Attributes;
using FileSystem::NodeType;
using FileSystem::Statistics;
using FileSystems::Fat::Location;

// Node numbers for FAT's files and directories, whose only identity is where their entry is
// (Location), which a rename changes and a removal frees for a later entry. Each location
// that is asked for gets a number, the same one every time while the entry lives there;
// move() carries a number to the entry's new place, forget() ends it. A number is never given
// again while the service runs, so a stale one (held by a program across a removal) names
// nothing rather than another file. The root (no entry: Location {}) is number 1.
class NodeNumbers {
public:
    static constexpr Core::u64 root = 1;

    // The number of the entry at `location`, given now if it has none yet. OutOfMemory.
    [[nodiscard]] Core::Result<Core::u64> number_at(Location location);
    // The number the entry at `location` has, if it has been given one.
    [[nodiscard]] Core::Optional<Core::u64> find(Location location) const;
    // Where the entry numbered `number` is: NotFound for a number that names nothing (never
    // given, or forgotten).
    [[nodiscard]] Core::Result<Location> location_of(Core::u64 number) const;
    // The entry numbered `number` is now at `location` (renamed); a number that names
    // nothing is left alone.
    void move(Core::u64 number, Location location);
    // The entry at `location` is gone: its number names nothing from now on.
    void forget(Location location);
    [[nodiscard]] Core::usize count() const { return m_live; }

private:
    static constexpr Core::u32 none = 0xFFFF'FFFF;
    // A number is the record's index + 2 (1 is the root), plus its generation in the high 32
    // bits: a record used again (after forget) gives a new number.
    struct Record {
        Location location;
        Core::u32 generation { 0 };
        Core::u32 next { none }; // in its bucket's chain; in the free list once unused
        bool used { false };
    };
    [[nodiscard]] Core::u32 bucket_of(Location location) const;
    [[nodiscard]] Core::u32 find_record(Location location) const;
    [[nodiscard]] Core::u64 number_of(Core::u32 record) const;
    [[nodiscard]] Core::u32 record_of(Core::u64 number) const;
    void link(Core::u32 record);
    void unlink(Core::u32 record);
    // More buckets once there are more records than buckets; without memory for them the
    // chains just grow longer.
    void grow_buckets();

    Core::Vector<Record> m_records;
    Core::Vector<Core::u32> m_buckets;
    Core::u32 m_free { none };
    Core::usize m_live { 0 };
};

class FatBackend final : public FileSystem::Backend {
public:
    // Opens the volume on `cache`. `read_only`: mounted so (it also is when the volume is one
    // the library does not write). `clock`: Unix seconds for timestamps. A writable volume
    // loses the files a crash left removed-while-open (orphan_prefix) at once.
    [[nodiscard]] static Core::Result<FatBackend*> create(
        FileSystems::BlockCache& cache, bool read_only, Core::i64 (*clock)());

    // Where a file removed while it is open waits for its last channel to close: renamed to
    // ".raeenos-orphan-NUMBER" in the root, a name the service neither lists, finds nor lets
    // anyone create there.
    static constexpr Core::StringView orphan_prefix = ".raeenos-orphan-"_sv;

    Core::u64 root() const override { return NodeNumbers::root; }
    bool read_only() const override { return m_read_only; }
    Core::Result<Attributes> attributes(Core::u64 node) override;
    Core::Result<Core::u64> lookup(Core::u64 directory, Core::StringView name) override;
    Core::Result<Core::u64> read_directory(
        Core::u64 directory, Core::u64 position, VisitEntry visit, void* context) override;
    Core::Result<Core::usize> read(Core::u64 file, Core::u64 offset, Core::Bytes destination) override;
    Core::Result<Core::usize> read_link(Core::u64 link, Core::Bytes destination) override;
    Core::Result<Statistics> statistics() override;
    Core::Result<Core::u64> create(Core::u64 directory, Core::StringView name, NodeType type, Core::u32 mode,
        Core::StringView link_target) override;
    Core::Result<void> write(Core::u64 file, Core::u64 offset, Core::ReadonlyBytes data) override;
    Core::Result<void> truncate(Core::u64 file, Core::u64 size) override;
    Core::Result<void> remove(Core::u64 directory, Core::StringView name, bool keep) override;
    Core::Result<void> release(Core::u64 node) override;
    Core::Result<void> rename(
        Core::u64 from, Core::StringView name, Core::u64 to, Core::StringView to_name) override;
    Core::Result<void> set_mode(Core::u64 node, Core::u32 mode) override;
    Core::Result<void> set_times(Core::u64 node, Core::i64 access_time, Core::i64 modification_time) override;
    Core::Result<void> sync(bool clean) override;
    bool has_unwritten_changes() const override { return m_cache.dirty_pages() != 0; }

    // The permissions FAT's attributes stand for: a file is 0644, or 0444 with the read-only
    // attribute; a directory is 0755 (Windows and Linux ignore the attribute on directories).
    [[nodiscard]] static Core::u32 mode_of(const FileSystems::Fat::Entry& entry);
    // A write date and time (FAT's format, UTC) in Unix seconds; fields out of range read as
    // FAT's earliest time, 1980-01-01 00:00:00.
    [[nodiscard]] static Core::i64 unix_time(Core::u16 date, Core::u16 time);
    [[nodiscard]] static bool is_orphan_name(Core::StringView name);

private:
    FatBackend(FileSystems::BlockCache& cache, FileSystems::Fat::Volume volume, bool read_only,
        Core::i64 (*clock)());
    // What a name in a directory names: where its entry is, and whether it is a directory.
    struct Found {
        Location location;
        bool is_directory { false };
    };
    // `name` in `listing` (the directory numbered `directory`), as the library looks it up:
    // NotFound. A name is looked up several times in a row (by the VFS, by the server before a
    // change, by the change itself), each a walk of the directory; the last one found is kept
    // until the next change.
    [[nodiscard]] Core::Result<Found> find(
        Core::u64 directory, const FileSystems::Fat::Entry& listing, Core::StringView name);
    // Every change calls this first: what find() kept may name something else afterwards.
    void changing();
    [[nodiscard]] Core::Result<FileSystems::Fat::Entry> entry(Core::u64 node);
    [[nodiscard]] Core::Result<FileSystems::Fat::Entry> directory(Core::u64 node);
    // The number of the directory that holds `directory` (its ".."), the root's being the root.
    [[nodiscard]] Core::Result<Core::u64> parent_of(const FileSystems::Fat::Entry& directory);
    // Whether `name` in `directory` is an orphan's: only the root holds them.
    [[nodiscard]] static bool is_orphan(const FileSystems::Fat::Entry& directory, Core::StringView name)
    {
        return directory.location.is_root() && is_orphan_name(name);
    }
    [[nodiscard]] Core::Result<Core::u32> cluster_count(Core::u32 first_cluster);
    // Removes what a crash left of files removed while open (at mount).
    [[nodiscard]] Core::Result<void> remove_orphans();
    void stamp();

    FileSystems::BlockCache& m_cache;
    FileSystems::Fat::Volume m_volume;
    bool m_read_only;
    Core::i64 (*m_clock)();
    NodeNumbers m_numbers;
    struct LastFound {
        bool valid { false };
        Core::u64 directory { 0 };
        char name[FileSystem::maximum_name] {};
        Core::usize name_length { 0 };
        Found found;
    };
    LastFound m_last_found;
};

} // namespace FatService
