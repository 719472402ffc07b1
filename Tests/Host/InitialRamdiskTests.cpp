// Tests for the initial RAM disk reader. Each test lays out a ustar archive byte by byte,
// field by field as POSIX describes it and as Python's tarfile module writes it, so the
// tests do not share the parser's idea of the format.

#include <Core/UstarArchive.h>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using InitialRamdisk = Core::UstarArchive;
using EntryKind = InitialRamdisk::EntryKind;
using Blob = std::vector<std::uint8_t>;

// Sizes and header field offsets from POSIX.1-1988, written out rather than taken from the
// parser so that a wrong number there shows up as a failing test.
constexpr std::size_t block_size = 512;
constexpr std::size_t name_offset = 0;
constexpr std::size_t mode_offset = 100;
constexpr std::size_t size_offset = 124;
constexpr std::size_t checksum_offset = 148;
constexpr std::size_t type_offset = 156;
constexpr std::size_t prefix_offset = 345;

std::string octal(std::uint64_t value, int digits)
{
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%0*llo", digits, static_cast<unsigned long long>(value));
    return buffer;
}

void write_field(Blob& header, std::size_t offset, std::size_t length, std::string_view text)
{
    ASSERT_LE(text.size(), length) << "test bug: field text too long";
    std::copy(text.begin(), text.end(), header.begin() + static_cast<std::ptrdiff_t>(offset));
}

// The standard checksum: every byte as unsigned, the checksum field counted as spaces.
std::uint32_t unsigned_checksum(const Blob& header)
{
    std::uint32_t sum = 0;
    for (std::size_t index = 0; index < block_size; ++index) {
        bool is_checksum_byte = index >= checksum_offset && index < checksum_offset + 8;
        sum += is_checksum_byte ? ' ' : header[index];
    }
    return sum;
}

// The historical variant some old tars wrote, summing bytes as signed chars.
std::int32_t signed_checksum(const Blob& header)
{
    std::int32_t sum = 0;
    for (std::size_t index = 0; index < block_size; ++index) {
        bool is_checksum_byte = index >= checksum_offset && index < checksum_offset + 8;
        sum += is_checksum_byte ? ' ' : static_cast<std::int8_t>(header[index]);
    }
    return sum;
}

// Writes `text` over the checksum field, which is first filled with spaces.
void write_checksum_field(Blob& header, std::string_view text)
{
    std::fill_n(header.begin() + checksum_offset, 8, ' ');
    write_field(header, checksum_offset, 8, text);
}

// Python's tarfile and GNU tar write six digits, a NUL, and leave the final space.
void seal(Blob& header)
{
    write_checksum_field(header, octal(unsigned_checksum(header), 6) + '\0' + ' ');
}

struct EntrySpec {
    std::string name;
    std::string contents;
    char type { '0' };
    std::string prefix;
    std::string mode { "0000644" };
    // Written into the size field as it is when set; otherwise the contents' size, as
    // tarfile writes it: eleven digits and a NUL.
    std::optional<std::string> size;
    std::string magic { "ustar\0", 6 };
    std::string version { "00" };
};

EntrySpec file(std::string name, std::string contents, std::string mode = "0000644")
{
    EntrySpec spec;
    spec.name = std::move(name);
    spec.contents = std::move(contents);
    spec.mode = std::move(mode);
    return spec;
}

EntrySpec directory(std::string name, std::string mode = "0000755")
{
    EntrySpec spec;
    spec.name = std::move(name);
    spec.type = '5';
    spec.mode = std::move(mode);
    return spec;
}

// A header laid out as Python's tarfile writes one in USTAR_FORMAT.
Blob make_header(const EntrySpec& spec)
{
    Blob header(block_size, 0);
    write_field(header, name_offset, 100, spec.name);
    write_field(header, mode_offset, 8, spec.mode);
    write_field(header, 108, 8, "0001750"); // uid
    write_field(header, 116, 8, "0001750"); // gid
    write_field(header, size_offset, 12, spec.size.value_or(octal(spec.contents.size(), 11)));
    write_field(header, 136, 12, "14514362724"); // mtime
    header[type_offset] = static_cast<std::uint8_t>(spec.type);
    write_field(header, 257, 6, spec.magic);
    write_field(header, 263, 2, spec.version);
    write_field(header, 265, 32, "raeen"); // uname
    write_field(header, 297, 32, "raeen"); // gname
    // devmajor and devminor stay NUL: tarfile fills them in only for devices.
    write_field(header, prefix_offset, 155, spec.prefix);
    seal(header);
    return header;
}

class ArchiveBuilder {
public:
    // Appends a header and the contents, padded with zeros to whole blocks. Returns the
    // offset of the header.
    std::size_t add(const EntrySpec& spec)
    {
        std::size_t offset = m_blob.size();
        Blob header = make_header(spec);
        m_blob.insert(m_blob.end(), header.begin(), header.end());
        m_blob.insert(m_blob.end(), spec.contents.begin(), spec.contents.end());
        m_blob.resize((m_blob.size() + block_size - 1) / block_size * block_size, 0);
        return offset;
    }

    Blob& blob() { return m_blob; }

    // The archive with its two end-of-archive zero blocks.
    Blob finish() const
    {
        Blob blob = m_blob;
        blob.resize(blob.size() + 2 * block_size, 0);
        return blob;
    }

private:
    Blob m_blob;
};

Blob archive_of(const std::vector<EntrySpec>& specs)
{
    ArchiveBuilder builder;
    for (const EntrySpec& spec : specs)
        builder.add(spec);
    return builder.finish();
}

Core::Result<InitialRamdisk> parse(const Blob& blob)
{
    return InitialRamdisk::parse(Core::ReadonlyBytes(blob.data(), blob.size()));
}

std::string_view text(Core::StringView view)
{
    return { view.characters(), view.length() };
}

std::string contents_of(Core::ReadonlyBytes data)
{
    return std::string(data.begin(), data.end());
}

const char* error_name(const Blob& blob)
{
    auto result = parse(blob);
    return result.is_error() ? result.error().name() : "accepted";
}

#define EXPECT_MALFORMED(blob) EXPECT_STREQ(error_name(blob), "Malformed")
#define EXPECT_NOT_SUPPORTED(blob) EXPECT_STREQ(error_name(blob), "NotSupported")
#define EXPECT_ACCEPTED(blob) EXPECT_STREQ(error_name(blob), "accepted")

struct SeenEntry {
    std::string path;
    EntryKind kind;
    std::uint32_t mode;
    std::string contents;

    bool operator==(const SeenEntry&) const = default;
};

void PrintTo(const SeenEntry& entry, std::ostream* stream)
{
    *stream << "{" << entry.path << ", " << (entry.kind == EntryKind::Directory ? "directory" : "file")
            << ", 0" << std::oct << entry.mode << std::dec << ", \"" << entry.contents << "\"}";
}

std::vector<SeenEntry> entries_of(const InitialRamdisk& ramdisk)
{
    std::vector<SeenEntry> entries;
    ramdisk.for_each_entry([&](const InitialRamdisk::Entry& entry) {
        entries.push_back({ std::string(text(entry.path)), entry.kind, entry.mode, contents_of(entry.data) });
    });
    return entries;
}

// Parses a blob expected to be accepted.
std::optional<InitialRamdisk> parse_successfully(const Blob& blob)
{
    auto result = parse(blob);
    EXPECT_FALSE(result.is_error()) << result.error().name();
    if (result.is_error())
        return {};
    return result.release_value();
}

// The one path an archive holding a single entry ends up with, or the error's name.
std::string single_path(const EntrySpec& spec)
{
    Blob blob = archive_of({ spec });
    auto result = parse(blob);
    if (result.is_error())
        return result.error().name();
    std::vector<SeenEntry> entries = entries_of(result.value());
    if (entries.size() != 1)
        return "entries: " + std::to_string(entries.size());
    return entries[0].path;
}

// ---- A whole archive ----------------------------------------------------------------------

// What `tarfile.open(mode="w", format=tarfile.USTAR_FORMAT)` writes after `add("root",
// arcname=".")`: "./" first, names below it, a path long enough to need the prefix field,
// and zeros up to the 10240-byte record. When this test was written, the archive it builds
// was byte-for-byte what tarfile 3.11 writes for the same members.
TEST(InitialRamdisk, ReadsAnArchiveLaidOutLikePythonTarfile)
{
    std::string long_directory
        = "./usr/share/raeenos/a-directory-name-long-enough-to-push-the-path-over-one-hundred-bytes";
    std::string long_name = "with-a-file-name-that-fits-the-name-field.txt";
    ASSERT_GT(long_directory.size() + 1 + long_name.size(), 100u);
    std::string init_program = std::string(1, '\x7f') + "ELF and the rest of the program";

    ArchiveBuilder builder;
    builder.add(directory("./"));
    builder.add(directory("./bin/"));
    builder.add(file("./bin/init", init_program, "0000755"));
    builder.add(directory("./etc/"));
    builder.add(file("./etc/motd", "Welcome to RaeenOS.\n"));
    builder.add(file("./etc/empty", ""));
    EntrySpec long_file = file(long_name, std::string(700, 'x'));
    long_file.prefix = long_directory;
    builder.add(long_file);
    Blob blob = builder.finish();
    blob.resize(10240, 0);

    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    EXPECT_EQ(ramdisk->file_count(), 4u);
    EXPECT_EQ(ramdisk->directory_count(), 2u);
    std::string long_path = long_directory.substr(2) + "/" + long_name;
    std::vector<SeenEntry> expected {
        { "bin", EntryKind::Directory, 0755, "" },
        { "bin/init", EntryKind::RegularFile, 0755, init_program },
        { "etc", EntryKind::Directory, 0755, "" },
        { "etc/motd", EntryKind::RegularFile, 0644, "Welcome to RaeenOS.\n" },
        { "etc/empty", EntryKind::RegularFile, 0644, "" },
        { long_path, EntryKind::RegularFile, 0644, std::string(700, 'x') },
    };
    EXPECT_EQ(entries_of(*ramdisk), expected);

    auto init = ramdisk->find("bin/init");
    ASSERT_TRUE(init.has_value());
    EXPECT_EQ(init->size(), 32u);
    EXPECT_EQ(init->mode, 0755u);
    // The header of bin/init is the third block; its data is the fourth, in place.
    EXPECT_EQ(init->data.data(), blob.data() + 3 * block_size);

    auto long_file_found = ramdisk->find(Core::StringView(long_path.data(), long_path.size()));
    ASSERT_TRUE(long_file_found.has_value());
    EXPECT_EQ(contents_of(long_file_found->data), std::string(700, 'x'));
    // The end-of-archive blocks end the archive; the record padding after them is not part of it.
    EXPECT_EQ(ramdisk->archive().size(), builder.blob().size() + 2 * block_size);
}

TEST(InitialRamdisk, HeaderBuilderWritesWhatPythonTarfileWrites)
{
    // Fields of the header Python's tarfile writes, in USTAR_FORMAT, for a TarInfo named
    // "hello.txt" with mode 0o644, uid and gid 1000, uname and gname "raeen", mtime
    // 0o14514362724 and size 5. The checksum covers every byte, so matching it means the
    // builder lays out the fields not spelled out here the same way too.
    Blob header = make_header(file("hello.txt", "hello"));
    auto field = [&](std::size_t offset, std::size_t length) {
        return std::string(header.begin() + static_cast<std::ptrdiff_t>(offset),
            header.begin() + static_cast<std::ptrdiff_t>(offset + length));
    };
    EXPECT_EQ(field(0, 10), std::string("hello.txt\0", 10));
    EXPECT_EQ(field(100, 8), std::string("0000644\0", 8));
    EXPECT_EQ(field(124, 12), std::string("00000000005\0", 12));
    EXPECT_EQ(field(148, 8), std::string("011733\0 ", 8));
    EXPECT_EQ(field(156, 1), "0");
    EXPECT_EQ(field(257, 8),
        std::string("ustar\0"
                    "00",
            8));
}

TEST(InitialRamdisk, AcceptsAnEmptyArchive)
{
    Blob blob(2 * block_size, 0);
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    EXPECT_EQ(ramdisk->file_count(), 0u);
    EXPECT_EQ(ramdisk->directory_count(), 0u);
    EXPECT_TRUE(entries_of(*ramdisk).empty());
    EXPECT_FALSE(ramdisk->find("init").has_value());
}

TEST(InitialRamdisk, IgnoresWhateverFollowsTheEndOfArchive)
{
    Blob blob = archive_of({ file("init", "program") });
    std::size_t archive_size = blob.size();
    blob.insert(blob.end(), { 'g', 'a', 'r', 'b', 'a', 'g', 'e' });
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    EXPECT_EQ(ramdisk->archive().size(), archive_size);
    EXPECT_EQ(ramdisk->file_count(), 1u);
}

TEST(InitialRamdisk, ReadsAnArchiveAtAnOddAddress)
{
    Blob archive = archive_of({ file("init", "program") });
    Blob storage(archive.size() + 1, 0);
    std::copy(archive.begin(), archive.end(), storage.begin() + 1);
    auto result = InitialRamdisk::parse(Core::ReadonlyBytes(storage.data() + 1, archive.size()));
    ASSERT_FALSE(result.is_error());
    auto init = result.value().find("init");
    ASSERT_TRUE(init.has_value());
    EXPECT_EQ(contents_of(init->data), "program");
    EXPECT_EQ(init->data.data(), storage.data() + 1 + block_size);
}

TEST(InitialRamdisk, DataThatLooksLikeTheEndOfArchiveIsStillData)
{
    Blob blob = archive_of({ file("zeros", std::string(3 * block_size, '\0')), file("after", "found") });
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    EXPECT_EQ(ramdisk->file_count(), 2u);
    ASSERT_TRUE(ramdisk->find("after").has_value());
    EXPECT_EQ(contents_of(ramdisk->find("after")->data), "found");
    EXPECT_EQ(ramdisk->find("zeros")->size(), 3 * block_size);
}

// ---- Archive structure ------------------------------------------------------------------

TEST(InitialRamdisk, RejectsInputShorterThanABlock)
{
    EXPECT_MALFORMED(Blob {});
    EXPECT_MALFORMED(Blob(block_size - 1, 0));
}

TEST(InitialRamdisk, RejectsALoneZeroBlock)
{
    EXPECT_MALFORMED(Blob(block_size, 0));
    // The second block is cut short.
    EXPECT_MALFORMED(Blob(2 * block_size - 1, 0));
    Blob blob = archive_of({ file("init", "program") });
    blob.resize(blob.size() - block_size);
    EXPECT_MALFORMED(blob);
}

TEST(InitialRamdisk, RejectsAZeroBlockFollowedByAHeader)
{
    ArchiveBuilder builder;
    builder.add(file("first", "1"));
    builder.blob().resize(builder.blob().size() + block_size, 0);
    builder.add(file("second", "2"));
    EXPECT_MALFORMED(builder.finish());
}

TEST(InitialRamdisk, RejectsAnArchiveWithoutItsEnd)
{
    ArchiveBuilder builder;
    builder.add(file("init", "program"));
    EXPECT_MALFORMED(builder.blob());
}

TEST(InitialRamdisk, RejectsATruncatedHeader)
{
    ArchiveBuilder builder;
    builder.add(file("init", "program"));
    Blob blob = builder.blob();
    Blob next = make_header(file("second", ""));
    blob.insert(blob.end(), next.begin(), next.begin() + 300);
    EXPECT_MALFORMED(blob);
}

TEST(InitialRamdisk, RejectsDataRunningPastTheEnd)
{
    // The size says two blocks of data; the archive holds one, then its end.
    EntrySpec spec = file("init", std::string(block_size, 'a'));
    spec.size = octal(block_size + 1, 11);
    Blob blob = make_header(spec);
    blob.resize(blob.size() + block_size, 'a');
    EXPECT_MALFORMED(blob);
    // Two zero blocks more: the first is the rest of the data, leaving a lone end block.
    blob.resize(blob.size() + 2 * block_size, 0);
    EXPECT_MALFORMED(blob);
    // With a third, the archive is whole.
    blob.resize(blob.size() + block_size, 0);
    EXPECT_ACCEPTED(blob);
}

TEST(InitialRamdisk, RejectsDataWithoutItsPaddingToAWholeBlock)
{
    // Five bytes of data, then the two zero blocks straight after them: the padding that
    // rounds the data up to a block is missing, so the end marker is one block short.
    Blob blob = make_header(file("init", "hello"));
    for (char character : std::string("hello"))
        blob.push_back(static_cast<std::uint8_t>(character));
    blob.resize(blob.size() + 2 * block_size, 0);
    EXPECT_MALFORMED(blob);
}

TEST(InitialRamdisk, RejectsTheLargestElevenDigitSize)
{
    EntrySpec spec = file("init", "hello");
    spec.size = "77777777777";
    EXPECT_MALFORMED(archive_of({ spec }));
}

TEST(InitialRamdisk, AcceptsDataFillingWholeBlocksExactly)
{
    Blob blob = archive_of({ file("one-block", std::string(block_size, 'b')), file("next", "n") });
    EXPECT_EQ(blob.size(), 6 * block_size);
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    EXPECT_EQ(ramdisk->find("one-block")->size(), block_size);
    EXPECT_EQ(contents_of(ramdisk->find("next")->data), "n");
}

// ---- Checksum and magic -----------------------------------------------------------------

TEST(InitialRamdisk, RejectsABadChecksum)
{
    Blob blob = archive_of({ file("init", "program") });
    blob[name_offset] = 'j';
    EXPECT_MALFORMED(blob);
    // A change in the padding after the prefix is covered by the checksum too.
    blob = archive_of({ file("init", "program") });
    blob[511] = 1;
    EXPECT_MALFORMED(blob);
}

TEST(InitialRamdisk, RejectsAChecksumOffByOne)
{
    Blob blob = archive_of({ file("init", "program") });
    Blob header(blob.begin(), blob.begin() + block_size);
    for (std::uint32_t wrong : { unsigned_checksum(header) - 1, unsigned_checksum(header) + 1 }) {
        Blob changed = blob;
        write_checksum_field(changed, octal(wrong, 6) + '\0');
        EXPECT_MALFORMED(changed);
    }
}

TEST(InitialRamdisk, RejectsTheHistoricalSignedChecksum)
{
    // With a byte above 0x7F the signed sum differs from the unsigned one.
    Blob blob = archive_of({ file("caf\xc3\xa9", "coffee") });
    Blob header(blob.begin(), blob.begin() + block_size);
    ASSERT_NE(static_cast<std::int64_t>(signed_checksum(header)),
        static_cast<std::int64_t>(unsigned_checksum(header)));
    write_checksum_field(blob, octal(static_cast<std::uint32_t>(signed_checksum(header)), 6) + '\0');
    EXPECT_MALFORMED(blob);
    // The same header with its unsigned sum is accepted.
    write_checksum_field(blob, octal(unsigned_checksum(header), 6) + '\0');
    EXPECT_ACCEPTED(blob);
}

TEST(InitialRamdisk, AcceptsTheChecksumLayoutsTarsWrite)
{
    Blob blob = archive_of({ file("init", "program") });
    Blob header(blob.begin(), blob.begin() + block_size);
    std::uint32_t sum = unsigned_checksum(header);
    for (std::string layout : { octal(sum, 6) + '\0' + ' ', octal(sum, 7) + '\0', octal(sum, 7) + ' ',
             octal(sum, 6) + ' ' + '\0', "  " + octal(sum, 5) + '\0', octal(sum, 1) + '\0' }) {
        write_checksum_field(blob, layout);
        EXPECT_ACCEPTED(blob) << "checksum field \"" << layout << "\"";
    }
}

TEST(InitialRamdisk, RejectsAChecksumFieldThatIsNotOctal)
{
    Blob blob = archive_of({ file("init", "program") });
    Blob header(blob.begin(), blob.begin() + block_size);
    std::string digits = octal(unsigned_checksum(header), 6);
    for (std::string layout :
        { std::string(8, ' '), std::string(8, '\0'), octal(unsigned_checksum(header), 8) /* no terminator */,
            digits.substr(0, 3) + " " + digits.substr(3) + '\0', digits + "8", "0x" + digits }) {
        write_checksum_field(blob, layout);
        EXPECT_MALFORMED(blob) << "checksum field \"" << layout << "\"";
    }
}

TEST(InitialRamdisk, RejectsAWrongMagicOrVersion)
{
    struct Case {
        std::string magic;
        std::string version;
    };
    for (const Case& wrong :
        std::vector<Case> { { std::string("ustar\0", 6), "01" },
            { std::string("ustar\0", 6), std::string("\0\0", 2) }, { std::string("ustar\0", 6), "  " },
            { std::string("USTAR\0", 6), "00" }, { "ustar ", "00" }, { std::string("\0\0\0\0\0\0", 6), "00" },
            { std::string("\0\0\0\0\0\0", 6), std::string("\0\0", 2) } }) {
        EntrySpec spec = file("init", "program");
        spec.magic = wrong.magic;
        spec.version = wrong.version;
        EXPECT_MALFORMED(archive_of({ spec }))
            << "magic \"" << wrong.magic << "\" version \"" << wrong.version << "\"";
    }
}

TEST(InitialRamdisk, RefusesGnuFormatHeaders)
{
    EntrySpec spec = file("init", "program");
    spec.magic = "ustar ";
    spec.version = std::string(" \0", 2);
    EXPECT_NOT_SUPPORTED(archive_of({ spec }));
}

// ---- Entry types --------------------------------------------------------------------------

TEST(InitialRamdisk, AcceptsTheOldRegularFileType)
{
    EntrySpec spec = file("init", "program");
    spec.type = '\0';
    Blob blob = archive_of({ spec });
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    EXPECT_EQ(contents_of(ramdisk->find("init")->data), "program");
}

TEST(InitialRamdisk, RefusesEveryOtherEntryType)
{
    // Hard and symbolic links, character and block devices, FIFOs, contiguous files, pax
    // extended and global headers, GNU long names and links, a vendor type, and nonsense.
    for (char type : { '1', '2', '3', '4', '6', '7', 'x', 'g', 'L', 'K', 'A', '8', '\x80' }) {
        EntrySpec spec = file("entry", "");
        spec.type = type;
        EXPECT_NOT_SUPPORTED(archive_of({ spec })) << "type 0x" << std::hex << (type & 0xFF);
    }
}

TEST(InitialRamdisk, RefusesAnUnsupportedEntryAfterGoodOnes)
{
    EntrySpec link = file("link", "");
    link.type = '2';
    EXPECT_NOT_SUPPORTED(archive_of({ directory("bin/"), file("bin/init", "program"), link }));
}

TEST(InitialRamdisk, RejectsADirectoryWithData)
{
    EntrySpec spec = directory("bin/");
    spec.contents = "data";
    EXPECT_MALFORMED(archive_of({ spec }));
}

// ---- Numeric fields -----------------------------------------------------------------------

// The size of an archive holding one five-byte file whose size field says `size_text`,
// or the error's name.
std::string parsed_size(const std::string& size_text)
{
    EntrySpec spec = file("init", "hello");
    spec.size = size_text;
    Blob blob = archive_of({ spec });
    auto result = parse(blob);
    if (result.is_error())
        return result.error().name();
    auto init = result.value().find("init");
    return init.has_value() ? std::to_string(init->size()) : "no file";
}

TEST(InitialRamdisk, ReadsOctalFieldsInTheirAllowedForms)
{
    EXPECT_EQ(parsed_size("00000000005"), "5");
    EXPECT_EQ(parsed_size("5"), "5");
    EXPECT_EQ(parsed_size("     5"), "5");
    EXPECT_EQ(parsed_size("5          "), "5");
    EXPECT_EQ(parsed_size(std::string(" 5 \0 \0", 6)), "5");
    EXPECT_EQ(parsed_size("4"), "4");
    // Eleven digits and a space instead of a NUL.
    EXPECT_EQ(parsed_size("00000000005 "), "5");
    // Octal, not decimal: 0o12 is ten, which needs the same single block.
    EXPECT_EQ(parsed_size("12"), "10");
    EXPECT_EQ(parsed_size("0001000"), "512");
    // 0o1001 = 513 needs a second block that the archive does not have.
    EXPECT_EQ(parsed_size("1001"), "Malformed");
}

TEST(InitialRamdisk, ReadsAZeroSize)
{
    EntrySpec spec = file("empty", "");
    spec.size = "0";
    Blob blob = archive_of({ spec });
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    ASSERT_TRUE(ramdisk->find("empty").has_value());
    EXPECT_EQ(ramdisk->find("empty")->size(), 0u);
}

TEST(InitialRamdisk, RejectsOctalFieldsInAnyOtherForm)
{
    for (std::string size : { std::string("000000000005") /* twelve digits, no terminator */,
             std::string(12, '\0'), std::string(12, ' '),
             std::string("\0"
                         "5",
                 2),
             std::string("5\0"
                         "5",
                 3),
             std::string("5 5"), std::string("8"), std::string("00000000009"), std::string("+5"),
             std::string("-5"), std::string("0x5"), std::string("5a"), std::string("\t5") }) {
        EXPECT_EQ(parsed_size(size), "Malformed") << "size field \"" << size << "\"";
    }
}

TEST(InitialRamdisk, KeepsThePermissionBitsOfTheMode)
{
    struct Case {
        std::string field;
        std::uint32_t mode;
    };
    for (const Case& each :
        std::vector<Case> { { "0000644", 0644 }, { "0000755", 0755 }, { "0004755", 04755 },
            { "7777777", 07777 }, { "0100644", 0644 }, { "0", 0 }, { "  600 ", 0600 } }) {
        Blob blob = archive_of({ file("init", "program", each.field) });
        auto ramdisk = parse_successfully(blob);
        ASSERT_TRUE(ramdisk.has_value());
        EXPECT_EQ(ramdisk->find("init")->mode, each.mode) << "mode field \"" << each.field << "\"";
    }
}

TEST(InitialRamdisk, RejectsAModeThatIsNotOctal)
{
    for (std::string mode :
        { std::string("0000648"), std::string(8, '\0'), std::string("00006440"), std::string("rw-r--r-") }) {
        EXPECT_MALFORMED(archive_of({ file("init", "program", mode) })) << "mode field \"" << mode << "\"";
    }
}

// ---- Paths ----------------------------------------------------------------------------------

TEST(InitialRamdisk, NormalisesTheDotSlashAndTrailingSlashTarWrites)
{
    EXPECT_EQ(single_path(file("./init", "")), "init");
    EXPECT_EQ(single_path(file("./bin/init", "")), "bin/init");
    EXPECT_EQ(single_path(directory("./bin/")), "bin");
    EXPECT_EQ(single_path(directory("bin/")), "bin");
    EXPECT_EQ(single_path(directory("bin")), "bin");
    EXPECT_EQ(single_path(file("..data", "")), "..data");
    EXPECT_EQ(single_path(file(".hidden/..also", "")), ".hidden/..also");
    EXPECT_EQ(single_path(file("caf\xc3\xa9", "")), "caf\xc3\xa9");
}

TEST(InitialRamdisk, SkipsTheRootDirectory)
{
    for (std::string root : { "./", "." }) {
        Blob blob = archive_of({ directory(root), file("./init", "program") });
        auto ramdisk = parse_successfully(blob);
        ASSERT_TRUE(ramdisk.has_value());
        EXPECT_EQ(ramdisk->directory_count(), 0u);
        std::vector<SeenEntry> expected { { "init", EntryKind::RegularFile, 0644, "program" } };
        EXPECT_EQ(entries_of(*ramdisk), expected);
    }
}

TEST(InitialRamdisk, RejectsTheRootTwice)
{
    EXPECT_MALFORMED(archive_of({ directory("./"), directory(".") }));
}

TEST(InitialRamdisk, RejectsPathsThatAreNotRelativeAndCanonical)
{
    for (std::string name :
        { "", "/init", "/bin/init", "../init", "bin/../init", "bin/..", "..", "bin/./init", "bin/.",
            "./../init", "bin//init", ".//init", "././init", "bin/", "./", ".", "//" }) {
        EXPECT_EQ(single_path(file(name, "")), "Malformed") << "file \"" << name << "\"";
    }
    for (std::string name : { "", "/", "/bin/", "../", "bin/../", "bin//", "./../", "bin/./lib/", "//" }) {
        EXPECT_EQ(single_path(directory(name)), "Malformed") << "directory \"" << name << "\"";
    }
}

TEST(InitialRamdisk, JoinsThePrefixAndTheName)
{
    EntrySpec spec = file("init", "program");
    spec.prefix = "usr/local/bin";
    EXPECT_EQ(single_path(spec), "usr/local/bin/init");
    spec.prefix = "./usr";
    EXPECT_EQ(single_path(spec), "usr/init");
    // A slash is added between them, so one at the end of the prefix makes an empty component.
    spec.prefix = "usr/";
    EXPECT_EQ(single_path(spec), "Malformed");
    spec.prefix = "/usr";
    EXPECT_EQ(single_path(spec), "Malformed");
    spec.prefix = "usr/..";
    EXPECT_EQ(single_path(spec), "Malformed");

    EntrySpec bin = directory("bin/");
    bin.prefix = "usr";
    EXPECT_EQ(single_path(bin), "usr/bin");
    // A directory named by the prefix alone.
    bin.name = "";
    EXPECT_EQ(single_path(bin), "usr");
}

TEST(InitialRamdisk, ReadsNamesThatFillTheirWholeField)
{
    // POSIX lets name and prefix use every byte of their fields, with no NUL.
    std::string name(100, 'n');
    EXPECT_EQ(single_path(file(name, "")), name);

    EntrySpec longest = file(name, "");
    longest.prefix = std::string(155, 'p');
    std::string expected = std::string(155, 'p') + "/" + name;
    EXPECT_EQ(expected.size(), InitialRamdisk::maximum_path_length);
    EXPECT_EQ(single_path(longest), expected);

    Blob blob = archive_of({ longest });
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    EXPECT_TRUE(ramdisk->find(Core::StringView(expected.data(), expected.size())).has_value());
}

TEST(InitialRamdisk, ReadsNamesOnlyUpToTheirNul)
{
    EXPECT_EQ(single_path(file(std::string("init\0ignored", 12), "")), "init");
    EntrySpec spec = file("init", "");
    spec.prefix = std::string("bin\0ignored", 11);
    EXPECT_EQ(single_path(spec), "bin/init");
    // The name is empty even though bytes follow its NUL.
    EXPECT_EQ(single_path(file(std::string("\0init", 5), "")), "Malformed");
}

TEST(InitialRamdisk, RejectsDuplicatePaths)
{
    EXPECT_MALFORMED(archive_of({ file("init", "one"), file("init", "two") }));
    EXPECT_MALFORMED(archive_of({ file("./init", "one"), file("init", "two") }));
    EXPECT_MALFORMED(archive_of({ directory("bin/"), directory("bin") }));
    EXPECT_MALFORMED(archive_of({ directory("bin/"), file("bin", "") }));
    EXPECT_MALFORMED(archive_of({ file("bin", ""), directory("bin/") }));
    EntrySpec split = file("init", "");
    split.prefix = "bin";
    EXPECT_MALFORMED(archive_of({ file("bin/init", ""), split }));
    // Not next to each other.
    EXPECT_MALFORMED(
        archive_of({ file("a", ""), file("b", ""), directory("c/"), file("d", ""), file("b", "") }));
}

TEST(InitialRamdisk, RejectsARegularFileUsedAsADirectory)
{
    EXPECT_MALFORMED(archive_of({ file("bin", "program"), file("bin/init", "") }));
    EXPECT_MALFORMED(archive_of({ file("bin/init", ""), file("bin", "program") }));
    EXPECT_MALFORMED(archive_of({ file("a/b", ""), directory("a/b/c/d/") }));
    EXPECT_MALFORMED(archive_of({ directory("a/b/c/"), file("a", "") }));
}

TEST(InitialRamdisk, AcceptsPathsThatOnlyShareABeginning)
{
    Blob blob
        = archive_of({ file("bin", ""), file("binary/init", ""), file("bin-other", ""), directory("bi/") });
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    EXPECT_EQ(ramdisk->file_count(), 3u);
    EXPECT_EQ(ramdisk->directory_count(), 1u);
}

TEST(InitialRamdisk, AcceptsFilesWhoseDirectoriesHaveNoEntry)
{
    Blob blob = archive_of({ file("usr/lib/raeen/service", "data") });
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    EXPECT_EQ(ramdisk->directory_count(), 0u);
    EXPECT_EQ(contents_of(ramdisk->find("usr/lib/raeen/service")->data), "data");
}

// ---- Limits ---------------------------------------------------------------------------------

TEST(InitialRamdisk, AcceptsUpToTheEntryLimit)
{
    ArchiveBuilder builder;
    builder.add(directory("./"));
    for (std::size_t index = 0; index < InitialRamdisk::maximum_entry_count; ++index) {
        std::string name = "entry-" + std::to_string(index);
        builder.add(index % 2 == 0 ? file(name, std::to_string(index)) : directory(name + "/"));
    }
    Blob blob = builder.finish();
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    EXPECT_EQ(ramdisk->file_count() + ramdisk->directory_count(), InitialRamdisk::maximum_entry_count);
    EXPECT_EQ(contents_of(ramdisk->find("entry-1022")->data), "1022");

    builder.add(file("one-too-many", ""));
    EXPECT_NOT_SUPPORTED(builder.finish());
}

// ---- Lookups and iteration --------------------------------------------------------------

TEST(InitialRamdisk, FindsRegularFilesByTheirCanonicalPath)
{
    Blob blob
        = archive_of({ directory("./"), directory("./bin/"), file("./bin/init", "init program", "0000755"),
            file("./bin/shell", "shell program"), directory("./etc/") });
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());

    auto shell = ramdisk->find("bin/shell");
    ASSERT_TRUE(shell.has_value());
    EXPECT_EQ(contents_of(shell->data), "shell program");
    EXPECT_EQ(shell->mode, 0644u);
    EXPECT_EQ(shell->size(), 13u);

    for (const char* missing : { "bin", "etc", "", "bin/", "/bin/init", "./bin/init", "bin/ini", "bin/init/",
             "bin/init2", "init", "." })
        EXPECT_FALSE(ramdisk->find(missing).has_value()) << missing;
}

TEST(InitialRamdisk, WalksEntriesInArchiveOrder)
{
    Blob blob = archive_of({ file("z", "last letter"), directory("a/", "0000700"), file("a/m", "middle") });
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    std::vector<SeenEntry> expected {
        { "z", EntryKind::RegularFile, 0644, "last letter" },
        { "a", EntryKind::Directory, 0700, "" },
        { "a/m", EntryKind::RegularFile, 0644, "middle" },
    };
    EXPECT_EQ(entries_of(*ramdisk), expected);

    auto walker = ramdisk->entries();
    for (const SeenEntry& each : expected) {
        auto entry = walker.next();
        ASSERT_TRUE(entry.has_value());
        EXPECT_EQ(text(entry->path), each.path);
    }
    EXPECT_FALSE(walker.next().has_value());
    EXPECT_FALSE(walker.next().has_value());
}

TEST(InitialRamdisk, FileDataLiesInsideTheArchive)
{
    Blob blob = archive_of({ file("a", "1"), file("b", std::string(1500, 'b')), file("c", "") });
    auto ramdisk = parse_successfully(blob);
    ASSERT_TRUE(ramdisk.has_value());
    std::size_t files = 0;
    ramdisk->for_each_entry([&](const InitialRamdisk::Entry& entry) {
        ++files;
        EXPECT_GE(entry.data.data(), blob.data());
        EXPECT_LE(entry.data.data() + entry.data.size(), blob.data() + blob.size());
        // Data starts at a block boundary, right after its header.
        EXPECT_EQ(static_cast<std::size_t>(entry.data.data() - blob.data()) % block_size, 0u);
    });
    EXPECT_EQ(files, 3u);
}

} // namespace
