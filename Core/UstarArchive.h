#pragma once

// Reader for the initial RAM disk: a POSIX.1-1988 ustar archive that the boot loader loads
// as a multiboot2 module. docs/initrd.md gives the exact format accepted.
//
// The archive is untrusted input: parse() reads only inside the span it is given, never
// overflows and never panics, whatever the bytes. It validates every header once, up
// front, so that lookups and iteration afterwards cannot fail. Nothing is copied: paths
// are read from the headers again when needed, and file contents are spans into the
// archive. It touches no hardware and no global state, so it runs unchanged in host tests
// and under libFuzzer.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Core/Types.h>

namespace Core {

class UstarArchive {
public:
    // Archives are made of blocks of this size: headers, file data rounded up, and the two
    // zero blocks that end the archive.
    static constexpr Core::usize block_size = 512;
    // The longest path a ustar header can hold: a 155-byte prefix, '/' and a 100-byte name.
    static constexpr Core::usize maximum_path_length = 256;
    // Entries (files and directories) beyond this are refused. It bounds the duplicate
    // check in parse(), which compares every entry with every earlier one.
    static constexpr Core::usize maximum_entry_count = 1024;

    enum class EntryKind : Core::u8 {
        RegularFile,
        Directory,
    };

    struct File {
        // The contents, inside the archive span given to parse().
        Core::ReadonlyBytes data;
        // Permission bits (at most 07777) from the header's mode field.
        Core::u32 mode { 0 };

        [[nodiscard]] Core::usize size() const { return data.size(); }
    };

    struct Entry {
        // Relative to the root of the RAM disk, in canonical form: components separated by
        // single slashes, no leading or trailing slash, no "." or ".." components.
        Core::StringView path;
        EntryKind kind { EntryKind::RegularFile };
        // Permission bits (at most 07777) from the header's mode field.
        Core::u32 mode { 0 };
        // The contents of a regular file, inside the archive; empty for a directory.
        Core::ReadonlyBytes data;
    };

    // Visits the entries of a validated archive in archive order, skipping the archive's
    // root directory ("./"). Made only by UstarArchive, so it never sees an archive
    // whose headers parse() has not checked.
    class EntryWalker {
    public:
        EntryWalker(const EntryWalker&) = delete;
        EntryWalker& operator=(const EntryWalker&) = delete;

        // The next entry, or nothing after the last. The entry's path lives in this walker
        // and is overwritten by the next call.
        [[nodiscard]] Core::Optional<Entry> next();

    private:
        friend class UstarArchive;
        explicit EntryWalker(Core::ReadonlyBytes archive)
            : m_archive(archive)
        {
        }

        Core::ReadonlyBytes m_archive;
        // Offset of the next header to read.
        Core::usize m_offset { 0 };
        char m_path[maximum_path_length];
    };

    // Validates the whole archive. On success the returned object refers into `archive`,
    // whose bytes must stay mapped and unchanged for as long as it is used.
    // ErrorCode::Malformed: a truncated header or file, a missing end of archive, a bad
    // checksum or magic, a numeric field that is not octal, a path that is absolute, empty,
    // not canonical or used twice, a regular file used as a directory, a directory with data.
    // ErrorCode::NotSupported: a GNU-format header, an entry that is neither a regular file
    // nor a directory (links, devices, FIFOs, pax and GNU extension headers), or more than
    // maximum_entry_count entries.
    [[nodiscard]] static Core::Result<UstarArchive> parse(Core::ReadonlyBytes archive);

    // The regular file at `path` (canonical form, as in Entry::path), or nothing when there
    // is no entry with that path or it is a directory.
    [[nodiscard]] Core::Optional<File> find(Core::StringView path) const;

    // Calls `callback(const Entry&)` for every entry, in archive order. The entry's path is
    // valid only during the call.
    template<typename Callback> void for_each_entry(Callback callback) const
    {
        EntryWalker walker = entries();
        while (true) {
            Core::Optional<Entry> entry = walker.next();
            if (!entry.has_value())
                return;
            callback(entry.value());
        }
    }

    [[nodiscard]] EntryWalker entries() const { return EntryWalker(m_archive); }

    [[nodiscard]] Core::usize file_count() const { return m_file_count; }
    [[nodiscard]] Core::usize directory_count() const { return m_directory_count; }
    // The archive up to and including its two end-of-archive blocks; bytes after them are
    // not part of it.
    [[nodiscard]] Core::ReadonlyBytes archive() const { return m_archive; }

private:
    UstarArchive(Core::ReadonlyBytes archive, Core::usize file_count, Core::usize directory_count)
        : m_archive(archive)
        , m_file_count(file_count)
        , m_directory_count(directory_count)
    {
    }

    Core::ReadonlyBytes m_archive;
    Core::usize m_file_count { 0 };
    Core::usize m_directory_count { 0 };
};

} // namespace Core
