#include <Core/UstarArchive.h>

namespace Core {

// A file's size (below 8^11 = 2^33) plus any offset into the archive must fit in usize.
static_assert(sizeof(usize) == 8, "the initial RAM disk reader assumes a 64-bit usize");

namespace {

using EntryKind = UstarArchive::EntryKind;

constexpr usize block_size = UstarArchive::block_size;

// Where a field sits in a header, in bytes (POSIX.1-1988, ustar interchange format).
struct HeaderField {
    usize offset;
    usize length;
};

constexpr HeaderField name_field { 0, 100 };
constexpr HeaderField mode_field { 100, 8 };
constexpr HeaderField size_field { 124, 12 };
constexpr HeaderField checksum_field { 148, 8 };
constexpr usize type_flag_offset = 156;
constexpr HeaderField magic_field { 257, 6 };
constexpr HeaderField version_field { 263, 2 };
constexpr HeaderField prefix_field { 345, 155 };

static_assert(prefix_field.length + 1 + name_field.length == UstarArchive::maximum_path_length);

// The ustar magic and version, and the GNU format's, which puts other data where ustar
// has its prefix field.
constexpr StringView ustar_magic = "ustar\0"_sv;
constexpr StringView ustar_version = "00"_sv;
constexpr StringView gnu_magic = "ustar "_sv;
constexpr StringView gnu_version = " \0"_sv;

constexpr u8 regular_file_type = '0';
// Written by pre-POSIX tars for regular files.
constexpr u8 old_regular_file_type = '\0';
constexpr u8 directory_type = '5';

constexpr u32 permission_bits = 07777;

ReadonlyBytes field_bytes(ReadonlyBytes header, HeaderField field)
{
    return header.slice(field.offset, field.length);
}

bool bytes_equal(ReadonlyBytes bytes, StringView expected)
{
    if (bytes.size() != expected.length())
        return false;
    for (usize index = 0; index < bytes.size(); ++index) {
        if (bytes[index] != static_cast<u8>(expected[index]))
            return false;
    }
    return true;
}

bool is_zero_block(ReadonlyBytes block)
{
    for (u8 byte : block) {
        if (byte != 0)
            return false;
    }
    return true;
}

// Reads a numeric field: optional leading spaces, one or more octal digits, then one or
// more spaces or NULs up to the end of the field. The terminator is required, so a field
// of n bytes holds at most n - 1 digits; with fields of at most 12 bytes the value stays
// below 8^11 and cannot overflow.
Optional<u64> parse_octal(ReadonlyBytes field)
{
    usize index = 0;
    while (index < field.size() && field[index] == ' ')
        ++index;
    usize digits_start = index;
    u64 value = 0;
    while (index < field.size() && field[index] >= '0' && field[index] <= '7') {
        value = value * 8 + static_cast<u64>(field[index] - '0');
        ++index;
    }
    if (index == digits_start || index == field.size())
        return {};
    for (; index < field.size(); ++index) {
        if (field[index] != ' ' && field[index] != '\0')
            return {};
    }
    return value;
}
static_assert(size_field.length <= 21, "an octal field longer than 21 digits could overflow a u64");

// The sum of the header's bytes as unsigned values, with the checksum field counted as
// spaces (it cannot include itself).
u64 compute_checksum(ReadonlyBytes header)
{
    u64 sum = 0;
    for (usize index = 0; index < header.size(); ++index) {
        bool is_checksum_byte
            = index >= checksum_field.offset && index < checksum_field.offset + checksum_field.length;
        sum += is_checksum_byte ? u64 { ' ' } : u64 { header[index] };
    }
    return sum;
}

// Checks what marks a block as a ustar header at all, before any field is trusted.
Result<void> check_header_integrity(ReadonlyBytes header)
{
    Optional<u64> recorded_checksum = parse_octal(field_bytes(header, checksum_field));
    if (!recorded_checksum.has_value() || recorded_checksum.value() != compute_checksum(header))
        return ErrorCode::Malformed;
    ReadonlyBytes magic = field_bytes(header, magic_field);
    ReadonlyBytes version = field_bytes(header, version_field);
    if (bytes_equal(magic, gnu_magic) && bytes_equal(version, gnu_version))
        return ErrorCode::NotSupported;
    if (!bytes_equal(magic, ustar_magic) || !bytes_equal(version, ustar_version))
        return ErrorCode::Malformed;
    return {};
}

// A string field ends at its first NUL, or fills the whole field.
ReadonlyBytes string_field(ReadonlyBytes header, HeaderField field)
{
    ReadonlyBytes bytes = field_bytes(header, field);
    usize length = 0;
    while (length < bytes.size() && bytes[length] != 0)
        ++length;
    return bytes.slice(0, length);
}

// Whether `path` is relative and canonical: non-empty components separated by single
// slashes, none of them "." or "..".
bool is_canonical_path(StringView path)
{
    if (path.is_empty())
        return false;
    usize component_start = 0;
    for (usize index = 0; index <= path.length(); ++index) {
        if (index < path.length() && path[index] != '/')
            continue;
        StringView component = path.substring(component_start, index - component_start);
        if (component.is_empty() || component == "."_sv || component == ".."_sv)
            return false;
        component_start = index + 1;
    }
    return true;
}

struct DecodedHeader {
    EntryKind kind;
    // The entry for the archive's root directory ("./" or "."), which names nothing in it.
    bool is_root;
    u32 mode;
    // Bytes of data that follow the header, before rounding up to whole blocks.
    u64 size;
    StringView path;
};

// Decodes and checks a header's fields, assembling its normalised path in `path_buffer`.
// The header's checksum and magic are not looked at: parse() checks them first with
// check_header_integrity(), and walkers of a validated archive need not again.
Result<DecodedHeader> decode_header(
    ReadonlyBytes header, char (&path_buffer)[UstarArchive::maximum_path_length])
{
    DecodedHeader decoded {};
    u8 type = header[type_flag_offset];
    if (type == regular_file_type || type == old_regular_file_type)
        decoded.kind = EntryKind::RegularFile;
    else if (type == directory_type)
        decoded.kind = EntryKind::Directory;
    else
        return ErrorCode::NotSupported;

    Optional<u64> size = parse_octal(field_bytes(header, size_field));
    Optional<u64> mode = parse_octal(field_bytes(header, mode_field));
    if (!size.has_value() || !mode.has_value())
        return ErrorCode::Malformed;
    // tar writes zero for a directory; any other value would leave it unclear whether data
    // blocks follow the header.
    if (decoded.kind == EntryKind::Directory && size.value() != 0)
        return ErrorCode::Malformed;
    decoded.size = size.value();
    // Some old tars also store the file type bits of st_mode; the type flag already says
    // what the entry is.
    decoded.mode = static_cast<u32>(mode.value()) & permission_bits;

    // The full path is prefix, '/', name when the prefix is not empty, which the
    // static_assert on the field lengths shows always fits the buffer.
    ReadonlyBytes prefix = string_field(header, prefix_field);
    ReadonlyBytes name = string_field(header, name_field);
    usize length = 0;
    for (u8 byte : prefix)
        path_buffer[length++] = static_cast<char>(byte);
    if (!prefix.is_empty())
        path_buffer[length++] = '/';
    for (u8 byte : name)
        path_buffer[length++] = static_cast<char>(byte);
    if (length == 0)
        return ErrorCode::Malformed;
    StringView path(path_buffer, length);

    // `tar -C root .` names everything "./something"; the root itself is "./". An absolute
    // path, though, is refused rather than made relative: tar writes one only when asked to.
    if (path.starts_with("/"_sv))
        return ErrorCode::Malformed;
    if (path.starts_with("./"_sv))
        path = path.substring(2);
    else if (path == "."_sv)
        path = {};
    // tar marks a directory's name with a trailing slash.
    if (decoded.kind == EntryKind::Directory && path.ends_with("/"_sv))
        path = path.substring(0, path.length() - 1);

    if (path.is_empty()) {
        if (decoded.kind != EntryKind::Directory)
            return ErrorCode::Malformed;
        decoded.is_root = true;
        return decoded;
    }
    if (!is_canonical_path(path))
        return ErrorCode::Malformed;
    decoded.path = path;
    return decoded;
}

// The blocks a header and its data take, which the caller has checked lie in the archive.
usize entry_block_span(const DecodedHeader& decoded)
{
    return block_size + Core::align_up<usize>(decoded.size, block_size);
}

// Whether `path` names something inside the directory `directory`.
bool is_inside(StringView path, StringView directory)
{
    return path.length() > directory.length() && path[directory.length()] == '/'
        && path.starts_with(directory);
}

// Two entries may not have the same path, and a regular file cannot contain anything.
Result<void> check_no_conflict(const UstarArchive::Entry& earlier, const UstarArchive::Entry& later)
{
    if (earlier.path == later.path)
        return ErrorCode::Malformed;
    if (earlier.kind == EntryKind::RegularFile && is_inside(later.path, earlier.path))
        return ErrorCode::Malformed;
    if (later.kind == EntryKind::RegularFile && is_inside(earlier.path, later.path))
        return ErrorCode::Malformed;
    return {};
}

struct ArchiveShape {
    // Up to and including the two end-of-archive blocks.
    usize size;
    usize file_count;
    usize directory_count;
};

// Checks every header, and that the archive holds each entry's data and ends with two
// zero blocks; counts the entries.
Result<ArchiveShape> check_headers(ReadonlyBytes archive)
{
    char path_buffer[UstarArchive::maximum_path_length];
    ArchiveShape shape { 0, 0, 0 };
    bool has_root = false;
    usize offset = 0;
    while (true) {
        if (archive.size() - offset < block_size)
            return ErrorCode::Malformed;
        ReadonlyBytes header = archive.slice(offset, block_size);
        if (is_zero_block(header)) {
            // The end of the archive is two zero blocks; a lone one means a damaged or
            // truncated archive.
            ReadonlyBytes second = archive.slice(offset + block_size, block_size);
            if (second.size() != block_size || !is_zero_block(second))
                return ErrorCode::Malformed;
            shape.size = offset + 2 * block_size;
            return shape;
        }

        TRY(check_header_integrity(header));
        DecodedHeader decoded = TRY(decode_header(header, path_buffer));
        // The data must be there with its padding to a whole block, which keeps the next
        // offset within the archive. The size is below 8^11, so rounding it up cannot
        // overflow.
        u64 available = archive.size() - offset - block_size;
        if (Core::align_up<u64>(decoded.size, block_size) > available)
            return ErrorCode::Malformed;

        if (decoded.is_root) {
            if (has_root)
                return ErrorCode::Malformed;
            has_root = true;
        } else if (shape.file_count + shape.directory_count == UstarArchive::maximum_entry_count) {
            return ErrorCode::NotSupported;
        } else if (decoded.kind == EntryKind::RegularFile) {
            ++shape.file_count;
        } else {
            ++shape.directory_count;
        }
        offset += entry_block_span(decoded);
    }
}

// Compares every entry's path with every earlier one's. Quadratic, but bounded by
// maximum_entry_count, and it needs no memory beyond two path buffers.
Result<void> check_paths_do_not_conflict(const UstarArchive& ramdisk)
{
    UstarArchive::EntryWalker later_entries = ramdisk.entries();
    for (usize later_index = 0;; ++later_index) {
        Optional<UstarArchive::Entry> later = later_entries.next();
        if (!later.has_value())
            return {};
        UstarArchive::EntryWalker earlier_entries = ramdisk.entries();
        for (usize earlier_index = 0; earlier_index < later_index; ++earlier_index) {
            Optional<UstarArchive::Entry> earlier = earlier_entries.next();
            // The same walk as the outer one, which has already passed this entry.
            VERIFY(earlier.has_value());
            TRY(check_no_conflict(earlier.value(), later.value()));
        }
    }
}

} // namespace

Optional<UstarArchive::Entry> UstarArchive::EntryWalker::next()
{
    while (true) {
        ReadonlyBytes header = m_archive.slice(m_offset, block_size);
        // parse() checked every header of this archive before handing out a walker: each
        // is whole, its data lies inside m_archive, and the last is followed by the two
        // end-of-archive blocks, which m_archive ends with.
        VERIFY(header.size() == block_size);
        if (is_zero_block(header))
            return {};
        Result<DecodedHeader> result = decode_header(header, m_path);
        // Decoding is deterministic, and parse() decoded this very header successfully.
        VERIFY(!result.is_error());
        const DecodedHeader& decoded = result.value();
        ReadonlyBytes data = m_archive.slice(m_offset + block_size, decoded.size);
        m_offset += entry_block_span(decoded);
        if (decoded.is_root)
            continue;
        return Entry { decoded.path, decoded.kind, decoded.mode, data };
    }
}

Result<UstarArchive> UstarArchive::parse(ReadonlyBytes archive)
{
    // First every header on its own, in one pass; only an archive whose headers are all
    // sound is walked again to compare paths with each other.
    ArchiveShape shape = TRY(check_headers(archive));
    UstarArchive ramdisk(archive.slice(0, shape.size), shape.file_count, shape.directory_count);
    TRY(check_paths_do_not_conflict(ramdisk));
    return ramdisk;
}

Optional<UstarArchive::File> UstarArchive::find(StringView path) const
{
    EntryWalker walker = entries();
    while (true) {
        Optional<Entry> entry = walker.next();
        if (!entry.has_value())
            return {};
        if (entry->path == path) {
            // Paths are unique, so this is the only entry that could match.
            if (entry->kind != EntryKind::RegularFile)
                return {};
            return File { entry->data, entry->mode };
        }
    }
}

} // namespace Core
