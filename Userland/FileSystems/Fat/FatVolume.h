#pragma once

// Reading a FAT32 volume (FatStructures.h): cluster chains through the first FAT,
// directories with their long names, paths, and file data. Every cluster number and every
// chain is checked and bounded, so a corrupt or hostile image gives errors (Malformed,
// mostly), never a read out of bounds or a chain followed forever.

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

    [[nodiscard]] bool is_directory() const { return (attributes & Attribute::directory) != 0; }
    [[nodiscard]] Core::StringView name_view() const { return Core::StringView(name, name_length); }
};

class Volume {
public:
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
    // does. NotFound.
    [[nodiscard]] Core::Result<Entry> lookup(const Entry& directory, Core::StringView name);

    // The entry at absolute `path` ("/" is the root). NotFound, NotADirectory,
    // InvalidArgument (a relative path).
    [[nodiscard]] Core::Result<Entry> resolve(Core::StringView path);

    // Copies up to destination.size() bytes of the file from `offset`, returns how many:
    // fewer at the end, 0 past it. Malformed when the chain is shorter than the size or
    // loops.
    [[nodiscard]] Core::Result<Core::usize> read(
        const Entry& file, Core::u64 offset, Core::Bytes destination);

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
    // Builds an entry's name from a short entry and the long-name parts gathered before it.
    struct LongName {
        Core::u16 characters[20 * 13] {};
        Core::u8 parts { 0 }; // how many, from the `last` one
        Core::u8 expected { 0 }; // the ordinal the next part must have (0: none pending)
        Core::u8 checksum { 0 };
        bool valid { false };
    };
    static void gather(LongName& long_name, const RawEntry& raw);
    // False when the entry has no usable name (empty, or with '/' or NUL in it): such an
    // entry cannot be named in a path, and is left out of listings.
    [[nodiscard]] static bool name_entry(Entry& entry, const RawEntry& raw, const LongName& long_name);

    BlockSource& m_source;
    BootSector m_boot;
};

template<typename Visit> Core::Result<void> Volume::for_each_entry(const Entry& directory, Visit visit)
{
    if (!directory.is_directory())
        return Core::ErrorCode::NotADirectory;
    LongName long_name;
    Core::u32 cluster = directory.first_cluster == 0 ? m_boot.root_cluster : directory.first_cluster;
    LoopGuard guard(cluster);
    while (cluster != 0) {
        if (!is_data_cluster(cluster))
            return Core::ErrorCode::Malformed;
        for (Core::u32 slot = 0; slot < m_boot.cluster_size / directory_entry_length; ++slot) {
            Core::u8 bytes[directory_entry_length];
            TRY(m_source.read(cluster_offset(cluster) + Core::u64 { slot } * directory_entry_length,
                Core::Bytes(bytes, sizeof(bytes))));
            RawEntry raw = decode_raw_entry(Core::ReadonlyBytes(bytes, sizeof(bytes)));
            switch (raw.kind) {
            case RawEntry::Kind::End:
                return {};
            case RawEntry::Kind::Free:
                long_name = LongName {};
                continue;
            case RawEntry::Kind::LongName:
                gather(long_name, raw);
                continue;
            case RawEntry::Kind::Short:
                break;
            }
            if ((raw.attributes & Attribute::volume_label) != 0) {
                long_name = LongName {};
                continue;
            }
            Entry entry;
            bool named = name_entry(entry, raw, long_name);
            long_name = LongName {};
            if (named && !visit(entry))
                return {};
        }
        cluster = TRY(next_cluster(cluster));
        if (cluster != 0 && !guard.advance(cluster))
            return Core::ErrorCode::Malformed;
    }
    return {};
}

} // namespace FileSystems::Fat
