// Tests for the ELF64 executable parser (Kernel/Loader/ElfImage.h). Each test describes a
// file with ElfDescription, which build() lays out byte by byte as a linker would, so the
// tests do not share the parser's idea of the format. The two standard files mirror what
// lld and GNU ld produce for a static and a static position-independent program; each
// rejection test breaks exactly one rule of one of them.

#include <Kernel/Loader/ElfImage.h>
#include <algorithm>
#include <cstdint>
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using Kernel::Loader::ElfImage;
using Kernel::Loader::ElfKind;
using Kernel::Loader::LoadSegment;
using Kernel::Loader::Relocation;
using Blob = std::vector<std::uint8_t>;

// Numbers from the gABI and the x86-64 psABI, written out rather than taken from the
// parser so that a wrong number there shows up as a failing test.
constexpr std::uint16_t et_none = 0;
constexpr std::uint16_t et_rel = 1;
constexpr std::uint16_t et_exec = 2;
constexpr std::uint16_t et_dyn = 3;
constexpr std::uint16_t et_core = 4;
constexpr std::uint16_t em_386 = 3;
constexpr std::uint16_t em_x86_64 = 62;

constexpr std::uint32_t pt_null = 0;
constexpr std::uint32_t pt_load = 1;
constexpr std::uint32_t pt_dynamic = 2;
constexpr std::uint32_t pt_interp = 3;
constexpr std::uint32_t pt_note = 4;
constexpr std::uint32_t pt_shlib = 5;
constexpr std::uint32_t pt_phdr = 6;
constexpr std::uint32_t pt_tls = 7;
constexpr std::uint32_t pt_gnu_eh_frame = 0x6474E550;
constexpr std::uint32_t pt_gnu_stack = 0x6474E551;
constexpr std::uint32_t pt_gnu_relro = 0x6474E552;
constexpr std::uint32_t pt_gnu_property = 0x6474E553;

constexpr std::uint32_t pf_x = 1;
constexpr std::uint32_t pf_w = 2;
constexpr std::uint32_t pf_r = 4;

constexpr std::uint64_t dt_null = 0;
constexpr std::uint64_t dt_needed = 1;
constexpr std::uint64_t dt_pltrelsz = 2;
constexpr std::uint64_t dt_hash = 4;
constexpr std::uint64_t dt_strtab = 5;
constexpr std::uint64_t dt_symtab = 6;
constexpr std::uint64_t dt_rela = 7;
constexpr std::uint64_t dt_relasz = 8;
constexpr std::uint64_t dt_relaent = 9;
constexpr std::uint64_t dt_rel = 17;
constexpr std::uint64_t dt_relsz = 18;
constexpr std::uint64_t dt_relent = 19;
constexpr std::uint64_t dt_pltrel = 20;
constexpr std::uint64_t dt_debug = 21;
constexpr std::uint64_t dt_textrel = 22;
constexpr std::uint64_t dt_jmprel = 23;
constexpr std::uint64_t dt_relrsz = 35;
constexpr std::uint64_t dt_relr = 36;
constexpr std::uint64_t dt_relrent = 37;
constexpr std::uint64_t dt_gnu_hash = 0x6FFFFEF5;
constexpr std::uint64_t dt_relacount = 0x6FFFFFF9;
constexpr std::uint64_t dt_flags_1 = 0x6FFFFFFB;

constexpr std::uint32_t r_x86_64_none = 0;
constexpr std::uint32_t r_x86_64_64 = 1;
constexpr std::uint32_t r_x86_64_glob_dat = 6;
constexpr std::uint32_t r_x86_64_jump_slot = 7;
constexpr std::uint32_t r_x86_64_relative = 8;

constexpr std::size_t file_header_size = 64;
constexpr std::size_t program_header_entry_size = 56;
constexpr std::size_t rela_size = 24;
constexpr std::uint64_t page = 0x1000;
constexpr std::uint64_t gibibyte = 1ull << 30;

struct ProgramHeaderFields {
    std::uint32_t type { pt_load };
    std::uint32_t flags { pf_r };
    std::uint64_t offset { 0 };
    std::uint64_t address { 0 };
    std::uint64_t file_size { 0 };
    std::uint64_t memory_size { 0 };
    std::uint64_t alignment { page };
};

struct DynamicEntry {
    std::uint64_t tag;
    std::uint64_t value;
};

struct RelaFields {
    std::uint64_t offset;
    std::uint64_t info;
    std::int64_t addend;
};

RelaFields relative(std::uint64_t offset, std::int64_t addend)
{
    return { offset, r_x86_64_relative, addend };
}

// Everything build() writes. Defaults make a well-formed header; tests change one field.
struct ElfDescription {
    std::uint8_t magic[4] { 0x7F, 'E', 'L', 'F' };
    std::uint8_t elf_class { 2 };
    std::uint8_t data_encoding { 1 };
    std::uint8_t ident_version { 1 };
    std::uint8_t os_abi { 0 };
    std::uint16_t type { et_exec };
    std::uint16_t machine { em_x86_64 };
    std::uint32_t version { 1 };
    std::uint64_t entry { 0 };
    std::uint64_t program_headers_offset { file_header_size };
    std::uint16_t header_size { file_header_size };
    std::uint16_t program_header_size { program_header_entry_size };
    // The number of program_headers unless set.
    std::optional<std::uint16_t> program_header_count;
    std::vector<ProgramHeaderFields> program_headers;
    std::size_t file_size { 3 * page };
    // Bytes written at a file offset after the headers, growing the file if needed.
    std::vector<std::pair<std::size_t, Blob>> contents;
};

void put_little_endian(Blob& blob, std::size_t offset, std::uint64_t value, std::size_t byte_count)
{
    for (std::size_t index = 0; index < byte_count; ++index)
        blob.at(offset + index) = static_cast<std::uint8_t>(value >> (8 * index));
}

void append_little_endian(Blob& blob, std::uint64_t value, std::size_t byte_count)
{
    blob.resize(blob.size() + byte_count);
    put_little_endian(blob, blob.size() - byte_count, value, byte_count);
}

Blob build(const ElfDescription& description)
{
    std::size_t headers_end
        = file_header_size + description.program_headers.size() * program_header_entry_size;
    Blob file(std::max(description.file_size, headers_end), 0);
    std::copy(std::begin(description.magic), std::end(description.magic), file.begin());
    file[4] = description.elf_class;
    file[5] = description.data_encoding;
    file[6] = description.ident_version;
    file[7] = description.os_abi;
    put_little_endian(file, 16, description.type, 2);
    put_little_endian(file, 18, description.machine, 2);
    put_little_endian(file, 20, description.version, 4);
    put_little_endian(file, 24, description.entry, 8);
    put_little_endian(file, 32, description.program_headers_offset, 8);
    put_little_endian(file, 40, 0, 8); // e_shoff: no section headers
    put_little_endian(file, 52, description.header_size, 2);
    put_little_endian(file, 54, description.program_header_size, 2);
    auto count = static_cast<std::uint16_t>(description.program_headers.size());
    put_little_endian(file, 56, description.program_header_count.value_or(count), 2);
    put_little_endian(file, 58, 64, 2); // e_shentsize

    // A table placed out of the file on purpose is not written at all.
    std::size_t table_offset = description.program_headers_offset;
    if (table_offset <= file.size() && file.size() - table_offset >= count * program_header_entry_size) {
        for (const ProgramHeaderFields& header : description.program_headers) {
            put_little_endian(file, table_offset, header.type, 4);
            put_little_endian(file, table_offset + 4, header.flags, 4);
            put_little_endian(file, table_offset + 8, header.offset, 8);
            put_little_endian(file, table_offset + 16, header.address, 8);
            put_little_endian(file, table_offset + 24, header.address, 8); // p_paddr
            put_little_endian(file, table_offset + 32, header.file_size, 8);
            put_little_endian(file, table_offset + 40, header.memory_size, 8);
            put_little_endian(file, table_offset + 48, header.alignment, 8);
            table_offset += program_header_entry_size;
        }
    }
    for (const auto& [offset, bytes] : description.contents) {
        if (file.size() < offset + bytes.size())
            file.resize(offset + bytes.size());
        std::copy(bytes.begin(), bytes.end(), file.begin() + static_cast<std::ptrdiff_t>(offset));
    }
    return file;
}

Blob dynamic_section(const std::vector<DynamicEntry>& entries)
{
    Blob bytes;
    for (const DynamicEntry& entry : entries) {
        append_little_endian(bytes, entry.tag, 8);
        append_little_endian(bytes, entry.value, 8);
    }
    return bytes;
}

Blob relocation_table(const std::vector<RelaFields>& relocations)
{
    Blob bytes;
    for (const RelaFields& relocation : relocations) {
        append_little_endian(bytes, relocation.offset, 8);
        append_little_endian(bytes, relocation.info, 8);
        append_little_endian(bytes, static_cast<std::uint64_t>(relocation.addend), 8);
    }
    return bytes;
}

// Recognisable bytes: seed, seed + 1, ...
Blob pattern(std::size_t length, std::uint8_t seed)
{
    Blob bytes(length);
    for (std::size_t index = 0; index < length; ++index)
        bytes[index] = static_cast<std::uint8_t>(seed + index);
    return bytes;
}

// A static executable at 4 MiB: headers (R), code (RX), data and bss (RW), and a
// non-executable stack.
ElfDescription static_executable()
{
    ElfDescription description;
    description.type = et_exec;
    description.entry = 0x401010;
    description.program_headers = {
        { pt_load, pf_r, 0, 0x400000, 0x200, 0x200, page },
        { pt_load, pf_r | pf_x, 0x1000, 0x401000, 0x100, 0x100, page },
        { pt_load, pf_r | pf_w, 0x2000, 0x402000, 0x80, 0x1800, page },
        { pt_gnu_stack, pf_r | pf_w, 0, 0, 0, 0, 16 },
    };
    description.contents = { { 0x1000, pattern(0x100, 0x40) }, { 0x2000, pattern(0x80, 0x90) } };
    return description;
}

// Indices into position_independent_executable()'s program headers.
constexpr std::size_t pie_code = 1;
constexpr std::size_t pie_data = 2;
constexpr std::size_t pie_dynamic = 3;
constexpr std::size_t pie_tls = 4;
constexpr std::uint64_t pie_relocations_address = 0x300;
constexpr std::uint64_t pie_dynamic_address = 0x2000;

std::vector<RelaFields> standard_relocations()
{
    return {
        relative(0x2180, 0x1020), // a pointer to code, in .data
        relative(0x2188, 0x2100), // a pointer to data
        relative(0x3FF8, 0x10), // the last word of .bss
    };
}

std::vector<DynamicEntry> standard_dynamic(std::size_t relocation_count = 3)
{
    return {
        { dt_flags_1, 0x08000000 }, // DF_1_PIE
        { dt_debug, 0 },
        { dt_rela, pie_relocations_address },
        { dt_relasz, relocation_count * rela_size },
        { dt_relaent, rela_size },
        { dt_relacount, relocation_count },
        { dt_null, 0 },
    };
}

// A static-pie as lld lays it out, relative to base 0: headers and the relocation table
// (R), code (RX), then the dynamic section, TLS image, data and bss (RW).
ElfDescription position_independent_executable(const std::vector<DynamicEntry>& dynamic = standard_dynamic(),
    const std::vector<RelaFields>& relocations = standard_relocations())
{
    Blob dynamic_bytes = dynamic_section(dynamic);
    ElfDescription description;
    description.type = et_dyn;
    description.entry = 0x1020;
    description.program_headers = {
        { pt_load, pf_r, 0, 0, 0x400, 0x400, page },
        { pt_load, pf_r | pf_x, 0x1000, 0x1000, 0x100, 0x100, page },
        { pt_load, pf_r | pf_w, 0x2000, 0x2000, 0x200, 0x2000, page },
        { pt_dynamic, pf_r | pf_w, 0x2000, pie_dynamic_address, dynamic_bytes.size(), dynamic_bytes.size(),
            8 },
        { pt_tls, pf_r, 0x2100, 0x2100, 0x10, 0x40, 16 },
        { pt_gnu_stack, pf_r | pf_w, 0, 0, 0, 0, 16 },
    };
    description.contents = {
        { pie_relocations_address, relocation_table(relocations) },
        { 0x1000, pattern(0x100, 0x10) },
        { 0x2000, dynamic_bytes },
    };
    return description;
}

// Replaces the value of the first dynamic entry with `tag`.
std::vector<DynamicEntry> with_dynamic_value(
    std::vector<DynamicEntry> entries, std::uint64_t tag, std::uint64_t value)
{
    for (DynamicEntry& entry : entries) {
        if (entry.tag == tag) {
            entry.value = value;
            break;
        }
    }
    return entries;
}

std::vector<DynamicEntry> without_dynamic_tag(std::vector<DynamicEntry> entries, std::uint64_t tag)
{
    std::erase_if(entries, [tag](const DynamicEntry& entry) { return entry.tag == tag; });
    return entries;
}

// Inserts `entry` just before DT_NULL.
std::vector<DynamicEntry> with_dynamic_entry(std::vector<DynamicEntry> entries, DynamicEntry entry)
{
    entries.insert(entries.end() - 1, entry);
    return entries;
}

// A heap copy with no spare bytes after it, so that AddressSanitizer reports any read past
// the end. The parsed image refers to these bytes, so the copy must outlive it.
class ExactFile {
public:
    explicit ExactFile(const Blob& blob)
        : m_size(blob.size())
        , m_bytes(std::make_unique<std::uint8_t[]>(blob.size()))
    {
        std::copy(blob.begin(), blob.end(), m_bytes.get());
    }
    Core::ReadonlyBytes bytes() const { return { m_bytes.get(), m_size }; }
    std::uint8_t* data() { return m_bytes.get(); }

private:
    std::size_t m_size;
    std::unique_ptr<std::uint8_t[]> m_bytes;
};

// "accepted" or the error's name, so that a failing check prints both outcomes.
std::string outcome(const Blob& blob)
{
    ExactFile file(blob);
    auto result = ElfImage::parse(file.bytes());
    if (result.is_error())
        return result.error().name();
    return "accepted";
}

std::string outcome(const ElfDescription& description)
{
    return outcome(build(description));
}

std::vector<Relocation> collect_relocations(const ElfImage& image)
{
    std::vector<Relocation> relocations;
    auto result
        = image.for_each_relocation([&relocations](const Relocation& relocation) -> Core::Result<void> {
              relocations.push_back(relocation);
              return {};
          });
    EXPECT_FALSE(result.is_error());
    return relocations;
}

void expect_segment(const LoadSegment& segment, std::uint64_t address, std::uint64_t memory_size,
    std::uint64_t file_offset, std::uint64_t file_size, bool readable, bool writable, bool executable)
{
    EXPECT_EQ(segment.virtual_address, address);
    EXPECT_EQ(segment.memory_size, memory_size);
    EXPECT_EQ(segment.file_offset, file_offset);
    EXPECT_EQ(segment.file_size, file_size);
    EXPECT_EQ(segment.end(), address + memory_size);
    EXPECT_EQ(segment.permissions.readable, readable);
    EXPECT_EQ(segment.permissions.writable, writable);
    EXPECT_EQ(segment.permissions.executable, executable);
}

static_assert(Kernel::Loader::elf_page_size == page);
static_assert(Kernel::Loader::user_image_lowest_address == 0x10000);
static_assert(Kernel::Loader::user_image_address_limit == (1ull << 47) - page);
static_assert(Kernel::Loader::maximum_image_span == gibibyte);
static_assert(Kernel::Loader::maximum_load_segments == 16);

// ---- Accepted files ------------------------------------------------------------------------

TEST(ElfImage, ParsesStaticExecutable)
{
    ExactFile file(build(static_executable()));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    const ElfImage& image = result.value();

    EXPECT_EQ(image.kind(), ElfKind::Static);
    EXPECT_EQ(image.entry_point(), 0x401010u);
    ASSERT_EQ(image.segments().size(), 3u);
    expect_segment(image.segments()[0], 0x400000, 0x200, 0, 0x200, true, false, false);
    expect_segment(image.segments()[1], 0x401000, 0x100, 0x1000, 0x100, true, false, true);
    expect_segment(image.segments()[2], 0x402000, 0x1800, 0x2000, 0x80, true, true, false);
    for (const LoadSegment& segment : image.segments())
        EXPECT_EQ(segment.alignment, page);
    EXPECT_EQ(image.image_start(), 0x400000u);
    EXPECT_EQ(image.image_end(), 0x404000u);
    EXPECT_EQ(image.image_size(), 0x4000u);
    EXPECT_EQ(image.base_alignment(), page);

    auto code = image.file_contents(image.segments()[1]);
    EXPECT_EQ(Blob(code.begin(), code.end()), pattern(0x100, 0x40));
    auto data = image.file_contents(image.segments()[2]);
    EXPECT_EQ(Blob(data.begin(), data.end()), pattern(0x80, 0x90));

    EXPECT_FALSE(image.tls().has_value());
    ASSERT_TRUE(image.program_headers_address().has_value());
    EXPECT_EQ(image.program_headers_address().value(), 0x400040u);
    EXPECT_EQ(image.program_header_count(), 4u);
    EXPECT_EQ(image.relocation_count(), 0u);
    EXPECT_TRUE(collect_relocations(image).empty());
}

TEST(ElfImage, ParsesPositionIndependentExecutable)
{
    ExactFile file(build(position_independent_executable()));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    const ElfImage& image = result.value();

    EXPECT_EQ(image.kind(), ElfKind::PositionIndependent);
    EXPECT_EQ(image.entry_point(), 0x1020u);
    ASSERT_EQ(image.segments().size(), 3u);
    expect_segment(image.segments()[0], 0, 0x400, 0, 0x400, true, false, false);
    expect_segment(image.segments()[1], 0x1000, 0x100, 0x1000, 0x100, true, false, true);
    expect_segment(image.segments()[2], 0x2000, 0x2000, 0x2000, 0x200, true, true, false);
    EXPECT_EQ(image.image_start(), 0u);
    EXPECT_EQ(image.image_end(), 0x4000u);
    EXPECT_EQ(image.base_alignment(), page);
    ASSERT_TRUE(image.program_headers_address().has_value());
    EXPECT_EQ(image.program_headers_address().value(), 0x40u);
    EXPECT_EQ(image.program_header_count(), 6u);

    ASSERT_TRUE(image.tls().has_value());
    EXPECT_EQ(image.tls()->virtual_address, 0x2100u);
    EXPECT_EQ(image.tls()->file_offset, 0x2100u);
    EXPECT_EQ(image.tls()->file_size, 0x10u);
    EXPECT_EQ(image.tls()->memory_size, 0x40u);
    EXPECT_EQ(image.tls()->alignment, 16u);

    ASSERT_EQ(image.relocation_count(), 3u);
    std::vector<Relocation> relocations = collect_relocations(image);
    ASSERT_EQ(relocations.size(), 3u);
    EXPECT_EQ(relocations[0].offset, 0x2180u);
    EXPECT_EQ(relocations[0].addend, 0x1020);
    EXPECT_EQ(relocations[1].offset, 0x2188u);
    EXPECT_EQ(relocations[1].addend, 0x2100);
    EXPECT_EQ(relocations[2].offset, 0x3FF8u);
    EXPECT_EQ(relocations[2].addend, 0x10);
    EXPECT_EQ(relocations[0].value(0x7F0000000000), 0x7F0000001020u);
}

TEST(ElfImage, RelocationValueWrapsModulo64Bits)
{
    Relocation below_base { 0x2000, -0x10 };
    EXPECT_EQ(below_base.value(0x400000), 0x3FFFF0u);
    EXPECT_EQ(below_base.value(0), 0xFFFFFFFFFFFFFFF0u);
}

TEST(ElfImage, ForEachRelocationStopsAtTheCallbacksError)
{
    ExactFile file(build(position_independent_executable()));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    int calls = 0;
    auto iteration = result.value().for_each_relocation([&calls](const Relocation&) -> Core::Result<void> {
        ++calls;
        return Core::ErrorCode::OutOfMemory;
    });
    ASSERT_TRUE(iteration.is_error());
    EXPECT_STREQ(iteration.error().name(), "OutOfMemory");
    EXPECT_EQ(calls, 1);
}

TEST(ElfImage, RelocationsChangedAfterParsingAreCheckedAgain)
{
    ExactFile file(build(position_independent_executable()));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    // The second relocation now targets the code segment.
    std::uint8_t* second_offset = file.data() + pie_relocations_address + rela_size;
    second_offset[0] = 0x00;
    second_offset[1] = 0x10;
    int calls = 0;
    auto iteration = result.value().for_each_relocation([&calls](const Relocation&) -> Core::Result<void> {
        ++calls;
        return {};
    });
    ASSERT_TRUE(iteration.is_error());
    EXPECT_STREQ(iteration.error().name(), "NotSupported");
    EXPECT_EQ(calls, 1);
}

TEST(ElfImage, PositionIndependentWithoutDynamicSectionHasNoRelocations)
{
    ElfDescription description = position_independent_executable();
    description.program_headers[pie_dynamic].type = pt_null;
    ExactFile file(build(description));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().relocation_count(), 0u);
}

TEST(ElfImage, DynamicSectionWithoutRelocationTable)
{
    ExactFile file(build(position_independent_executable({ { dt_debug, 0 }, { dt_null, 0 } }, {})));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().relocation_count(), 0u);
}

TEST(ElfImage, EmptyRelocationTableIsAccepted)
{
    auto dynamic = without_dynamic_tag(standard_dynamic(0), dt_relacount);
    ExactFile file(build(position_independent_executable(dynamic, {})));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().relocation_count(), 0u);
}

TEST(ElfImage, RelativeCountMayBeSmallerOrAbsent)
{
    EXPECT_EQ(
        outcome(position_independent_executable(with_dynamic_value(standard_dynamic(), dt_relacount, 1))),
        "accepted");
    EXPECT_EQ(outcome(position_independent_executable(without_dynamic_tag(standard_dynamic(), dt_relacount))),
        "accepted");
}

TEST(ElfImage, IgnoresUnusedDynamicTags)
{
    auto dynamic = standard_dynamic();
    // DT_TEXTREL too: relocation targets are checked one by one instead.
    const std::uint64_t tags[]
        = { dt_hash, dt_strtab, dt_symtab, dt_gnu_hash, dt_textrel, 0x7FFFFFFF, ~0ull };
    for (std::uint64_t tag : tags)
        dynamic = with_dynamic_entry(dynamic, { tag, 0xDEADBEEF });
    EXPECT_EQ(outcome(position_independent_executable(dynamic)), "accepted");
}

TEST(ElfImage, IgnoresDynamicEntriesAfterTheEnd)
{
    auto dynamic = standard_dynamic();
    dynamic.push_back({ dt_needed, 1 });
    dynamic.push_back({ dt_rela, 0 });
    EXPECT_EQ(outcome(position_independent_executable(dynamic)), "accepted");
}

TEST(ElfImage, IgnoresUnusedAndUnknownProgramHeaders)
{
    ElfDescription description = static_executable();
    // Values that would be rejected in any header the parser reads.
    for (std::uint32_t type : { pt_null, pt_note, pt_phdr, pt_gnu_eh_frame, pt_gnu_relro, pt_gnu_property,
             0x60000000u, 0x7FFFFFFFu })
        description.program_headers.push_back({ type, pf_r | pf_w | pf_x, ~0ull, ~0ull, ~0ull, 1, 3 });
    EXPECT_EQ(outcome(description), "accepted");
}

TEST(ElfImage, SkipsEmptyLoadSegments)
{
    ElfDescription description = static_executable();
    description.program_headers.push_back({ pt_load, pf_r | pf_w | pf_x, ~0ull, 0x10, 0, 0, 3 });
    ExactFile file(build(description));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().segments().size(), 3u);
}

TEST(ElfImage, AcceptsGnuOsAbi)
{
    ElfDescription description = static_executable();
    description.os_abi = 3;
    EXPECT_EQ(outcome(description), "accepted");
}

TEST(ElfImage, AlignmentZeroAndOneMeanThePageSize)
{
    for (std::uint64_t alignment : { 0ull, 1ull }) {
        SCOPED_TRACE(alignment);
        ElfDescription description = static_executable();
        description.program_headers[1].alignment = alignment;
        ExactFile file(build(description));
        auto result = ElfImage::parse(file.bytes());
        ASSERT_FALSE(result.is_error()) << result.error().name();
        EXPECT_EQ(result.value().segments()[1].alignment, page);
    }
}

TEST(ElfImage, LargeAlignmentSetsTheBaseAlignment)
{
    // GNU ld's traditional x86-64 alignment is 2 MiB; a base must satisfy the largest one.
    ElfDescription description = position_independent_executable();
    for (ProgramHeaderFields& header : description.program_headers) {
        if (header.type == pt_load)
            header.alignment = 0x200000;
    }
    description.program_headers[pie_code].alignment = gibibyte;
    ExactFile file(build(description));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().segments()[0].alignment, 0x200000u);
    EXPECT_EQ(result.value().base_alignment(), gibibyte);
}

TEST(ElfImage, SegmentsOnAdjacentPagesAreAccepted)
{
    ElfDescription description = static_executable();
    // Headers end exactly where the code page starts; code starts mid-page as lld puts it.
    description.program_headers[0].file_size = page;
    description.program_headers[0].memory_size = page;
    description.program_headers[1].offset = 0x1010;
    description.program_headers[1].address = 0x401010;
    description.program_headers[1].file_size = 0xF0;
    description.program_headers[1].memory_size = 0xF0;
    EXPECT_EQ(outcome(description), "accepted");
}

TEST(ElfImage, SegmentsMayShareAPageOfTheFile)
{
    // lld packs segments back to back in the file and moves each to its own virtual page.
    ElfDescription description = static_executable();
    description.program_headers[1].offset = 0x200;
    description.program_headers[1].address = 0x401200;
    description.program_headers[2].offset = 0x300;
    description.program_headers[2].address = 0x402300;
    description.entry = 0x401210;
    EXPECT_EQ(outcome(description), "accepted");
}

TEST(ElfImage, ImageMayTouchBothEndsOfTheUserRange)
{
    ElfDescription lowest = static_executable();
    lowest.program_headers[0].address = 0x10000;
    lowest.program_headers[1].address = 0x11000;
    lowest.program_headers[2].address = 0x12000;
    lowest.entry = 0x11000;
    EXPECT_EQ(outcome(lowest), "accepted");

    ElfDescription highest = static_executable();
    highest.program_headers.resize(2);
    highest.program_headers[0].address = 0x7FFFFFFFD000;
    highest.program_headers[1].address = 0x7FFFFFFFE000;
    highest.program_headers[1].memory_size = page;
    highest.entry = 0x7FFFFFFFEFFF;
    ExactFile file(build(highest));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().image_end(), 0x7FFFFFFFF000u);
}

TEST(ElfImage, ImageMaySpanExactlyTheMaximum)
{
    ElfDescription description = static_executable();
    description.program_headers[2].memory_size = gibibyte - 0x2000;
    ExactFile file(build(description));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().image_size(), gibibyte);
}

TEST(ElfImage, EntryMayBeTheLastByteOfCode)
{
    ElfDescription description = static_executable();
    description.entry = 0x4010FF;
    EXPECT_EQ(outcome(description), "accepted");
    description.entry = 0x401000;
    EXPECT_EQ(outcome(description), "accepted");
}

TEST(ElfImage, ReportsExecuteOnlyAndInaccessibleSegments)
{
    ElfDescription description = static_executable();
    description.program_headers[1].flags = pf_x;
    description.program_headers[2].flags = 0;
    ExactFile file(build(description));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    expect_segment(result.value().segments()[1], 0x401000, 0x100, 0x1000, 0x100, false, false, true);
    expect_segment(result.value().segments()[2], 0x402000, 0x1800, 0x2000, 0x80, false, false, false);
}

TEST(ElfImage, MissingStackHeaderMeansNonExecutableStack)
{
    ElfDescription description = static_executable();
    description.program_headers.pop_back();
    EXPECT_EQ(outcome(description), "accepted");
}

TEST(ElfImage, ExactlyTheMaximumNumberOfSegments)
{
    ElfDescription description = static_executable();
    description.program_headers.clear();
    for (std::uint64_t index = 0; index < 16; ++index)
        description.program_headers.push_back(
            { pt_load, pf_r | pf_x, 0, 0x400000 + index * page, 0x10, 0x10, page });
    description.entry = 0x400000;
    EXPECT_EQ(outcome(description), "accepted");
}

TEST(ElfImage, UnalignedRelocationTargetsAreAccepted)
{
    auto relocations = standard_relocations();
    relocations[1].offset = 0x2183;
    EXPECT_EQ(outcome(position_independent_executable(standard_dynamic(), relocations)), "accepted");
}

TEST(ElfImage, TlsWithOnlyZeroFilledData)
{
    ElfDescription description = position_independent_executable();
    // lld puts such a template where .tbss would start, here past the file-backed data.
    description.program_headers[pie_tls] = { pt_tls, pf_r, 0x2300, 0x2300, 0, 0x20, 0 };
    ExactFile file(build(description));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    ASSERT_TRUE(result.value().tls().has_value());
    EXPECT_EQ(result.value().tls()->memory_size, 0x20u);
    EXPECT_EQ(result.value().tls()->alignment, 1u);
}

TEST(ElfImage, ProgramHeadersOutsideEverySegmentHaveNoAddress)
{
    ElfDescription description = static_executable();
    description.program_headers[0].offset = 0x1000;
    description.program_headers[0].address = 0x3FF000;
    description.program_headers[0].file_size = 0;
    description.program_headers[0].memory_size = 0x10;
    ExactFile file(build(description));
    auto result = ElfImage::parse(file.bytes());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_FALSE(result.value().program_headers_address().has_value());
}

// ---- The file header -----------------------------------------------------------------------

TEST(ElfImage, RejectsFilesShorterThanTheHeader)
{
    EXPECT_EQ(outcome(Blob {}), "Malformed");
    Blob file = build(static_executable());
    file.resize(file_header_size - 1);
    EXPECT_EQ(outcome(file), "Malformed");
    EXPECT_STREQ(ElfImage::parse(Core::ReadonlyBytes()).error().name(), "Malformed");
}

TEST(ElfImage, RejectsBadMagic)
{
    for (std::size_t index = 0; index < 4; ++index) {
        SCOPED_TRACE(index);
        ElfDescription description = static_executable();
        description.magic[index] ^= 0x20;
        EXPECT_EQ(outcome(description), "Malformed");
    }
}

TEST(ElfImage, RejectsOtherIdentification)
{
    struct Case {
        std::uint8_t ElfDescription::*field;
        std::uint8_t value;
        const char* expected;
    };
    const Case cases[] = {
        { &ElfDescription::elf_class, 1, "NotSupported" }, // ELFCLASS32
        { &ElfDescription::elf_class, 0, "Malformed" }, { &ElfDescription::elf_class, 3, "Malformed" },
        { &ElfDescription::data_encoding, 2, "NotSupported" }, // big endian
        { &ElfDescription::data_encoding, 0, "Malformed" },
        { &ElfDescription::data_encoding, 3, "Malformed" },
        { &ElfDescription::ident_version, 0, "Malformed" },
        { &ElfDescription::ident_version, 2, "NotSupported" },
        { &ElfDescription::os_abi, 9, "NotSupported" }, // FreeBSD
        { &ElfDescription::os_abi, 255, "NotSupported" }, // standalone
    };
    for (const Case& test_case : cases) {
        SCOPED_TRACE(testing::Message() << "value " << static_cast<int>(test_case.value));
        ElfDescription description = static_executable();
        description.*test_case.field = test_case.value;
        EXPECT_EQ(outcome(description), test_case.expected);
    }
}

TEST(ElfImage, RejectsOtherFileTypes)
{
    ElfDescription description = static_executable();
    description.type = et_none;
    EXPECT_EQ(outcome(description), "Malformed");
    for (std::uint16_t type : { et_rel, et_core, std::uint16_t { 0xFE00 }, std::uint16_t { 0xFFFF } }) {
        SCOPED_TRACE(type);
        description.type = type;
        EXPECT_EQ(outcome(description), "NotSupported");
    }
}

TEST(ElfImage, RejectsOtherMachines)
{
    ElfDescription description = static_executable();
    description.machine = em_386;
    EXPECT_EQ(outcome(description), "NotSupported");
    description.machine = 0;
    EXPECT_EQ(outcome(description), "NotSupported");
}

TEST(ElfImage, RejectsOtherVersions)
{
    ElfDescription description = static_executable();
    description.version = 0;
    EXPECT_EQ(outcome(description), "Malformed");
    description.version = 2;
    EXPECT_EQ(outcome(description), "NotSupported");
}

TEST(ElfImage, RejectsWrongHeaderSizes)
{
    for (std::uint16_t size : { 0, 52, 63, 65, 0xFFFF }) {
        SCOPED_TRACE(size);
        ElfDescription description = static_executable();
        description.header_size = size;
        EXPECT_EQ(outcome(description), "Malformed");
    }
    for (std::uint16_t size : { 0, 32, 55, 57, 64 }) {
        SCOPED_TRACE(size);
        ElfDescription description = static_executable();
        description.program_header_size = size;
        EXPECT_EQ(outcome(description), "Malformed");
    }
}

TEST(ElfImage, RejectsProgramHeaderCounts)
{
    ElfDescription description = static_executable();
    description.program_header_count = 0;
    EXPECT_EQ(outcome(description), "Malformed");
    // PN_XNUM: the real count would be in section header 0.
    description.program_header_count = 0xFFFF;
    EXPECT_EQ(outcome(description), "NotSupported");
    // Far more headers than the file holds.
    description.program_header_count = 0xFFFE;
    EXPECT_EQ(outcome(description), "Malformed");
}

TEST(ElfImage, RejectsProgramHeaderTableOutsideTheFile)
{
    ElfDescription description = static_executable();
    Blob file = build(description);
    // The table's last byte is cut off.
    file.resize(file_header_size + 4 * program_header_entry_size - 1);
    EXPECT_EQ(outcome(file), "Malformed");

    const std::uint64_t offsets[]
        = { 3 * page, 3 * page - 4 * program_header_entry_size + 1, 0xFFFFFFFFFFFFFFF0, ~0ull };
    for (std::uint64_t offset : offsets) {
        SCOPED_TRACE(offset);
        description.program_headers_offset = offset;
        EXPECT_EQ(outcome(description), "Malformed");
    }
}

// ---- Program headers -----------------------------------------------------------------------

TEST(ElfImage, RejectsInterpreter)
{
    ElfDescription description = static_executable();
    description.program_headers.push_back({ pt_interp, pf_r, 0x100, 0x400100, 28, 28, 1 });
    EXPECT_EQ(outcome(description), "NotSupported");
}

TEST(ElfImage, RejectsSharedLibrarySegment)
{
    ElfDescription description = static_executable();
    description.program_headers.push_back({ pt_shlib, 0, 0, 0, 0, 0, 0 });
    EXPECT_EQ(outcome(description), "NotSupported");
}

TEST(ElfImage, RejectsExecutableStack)
{
    ElfDescription description = static_executable();
    description.program_headers.back().flags = pf_r | pf_w | pf_x;
    EXPECT_EQ(outcome(description), "NotSupported");
}

TEST(ElfImage, RejectsFilesWithoutLoadSegments)
{
    ElfDescription description = static_executable();
    for (ProgramHeaderFields& header : description.program_headers) {
        if (header.type == pt_load) {
            header.file_size = 0;
            header.memory_size = 0;
        }
    }
    EXPECT_EQ(outcome(description), "Malformed");
    description.program_headers.resize(1);
    description.program_headers[0].type = pt_note;
    EXPECT_EQ(outcome(description), "Malformed");
}

TEST(ElfImage, RejectsMoreFileThanMemory)
{
    ElfDescription description = static_executable();
    description.program_headers[2].file_size = 0x1801;
    EXPECT_EQ(outcome(description), "Malformed");
    // Even a segment with no memory at all.
    description = static_executable();
    description.program_headers.push_back({ pt_load, pf_r, 0x2000, 0x500000, 1, 0, page });
    EXPECT_EQ(outcome(description), "Malformed");
}

TEST(ElfImage, RejectsSegmentFileBytesOutsideTheFile)
{
    ElfDescription description = static_executable();
    description.program_headers[2].file_size = page + 1;
    EXPECT_EQ(outcome(description), "Malformed");

    description = static_executable();
    description.program_headers[2].offset = 3 * page;
    description.program_headers[2].address = 0x403000;
    description.entry = 0x401000;
    EXPECT_EQ(outcome(description), "Malformed");

    // offset + file_size wraps to a small number.
    description = static_executable();
    description.program_headers[2].offset = 0xFFFFFFFFFFFFF000;
    description.program_headers[2].file_size = 0x1010;
    description.program_headers[2].memory_size = 0x1010;
    EXPECT_EQ(outcome(description), "Malformed");
}

TEST(ElfImage, RejectsSegmentEndPastTheAddressSpace)
{
    ElfDescription description = static_executable();
    description.program_headers[2].address = 0xFFFFFFFFFFFFF000;
    description.program_headers[2].offset = 0x2000;
    description.program_headers[2].memory_size = 0x1001;
    EXPECT_EQ(outcome(description), "Malformed");
}

TEST(ElfImage, RejectsBadAlignment)
{
    struct Case {
        std::uint64_t alignment;
        const char* expected;
    };
    const Case cases[] = {
        { 3, "Malformed" },
        { 0x1800, "Malformed" },
        { 0x8000000000000001, "Malformed" },
        { 2, "NotSupported" },
        { 16, "NotSupported" },
        { 2048, "NotSupported" },
        { 2 * gibibyte, "NotSupported" },
        { 1ull << 63, "NotSupported" },
    };
    for (const Case& test_case : cases) {
        SCOPED_TRACE(test_case.alignment);
        ElfDescription description = static_executable();
        description.program_headers[1].alignment = test_case.alignment;
        EXPECT_EQ(outcome(description), test_case.expected);
    }
}

TEST(ElfImage, RejectsAddressNotCongruentWithOffset)
{
    ElfDescription description = static_executable();
    description.program_headers[1].offset = 0x1010;
    EXPECT_EQ(outcome(description), "Malformed");
    // Without an alignment the gABI does not require it, but pages cannot be mapped.
    description.program_headers[1].alignment = 1;
    EXPECT_EQ(outcome(description), "NotSupported");
    description.program_headers[1].alignment = 0;
    EXPECT_EQ(outcome(description), "NotSupported");

    // Congruent modulo the page size, but not modulo the segment's 2 MiB alignment: every
    // address moves up 1 MiB while the offsets stay.
    description = static_executable();
    for (ProgramHeaderFields& header : description.program_headers) {
        if (header.type == pt_load)
            header.address += 0x100000;
    }
    description.entry += 0x100000;
    EXPECT_EQ(outcome(description), "accepted");
    description.program_headers[1].alignment = 0x200000;
    EXPECT_EQ(outcome(description), "Malformed");
}

TEST(ElfImage, RejectsWritableAndExecutableSegments)
{
    ElfDescription description = static_executable();
    description.program_headers[1].flags = pf_r | pf_w | pf_x;
    EXPECT_EQ(outcome(description), "NotSupported");
    description = static_executable();
    description.program_headers[2].flags = pf_w | pf_x;
    EXPECT_EQ(outcome(description), "NotSupported");
}

TEST(ElfImage, RejectsTooManySegments)
{
    ElfDescription description = static_executable();
    description.program_headers.clear();
    for (std::uint64_t index = 0; index < 17; ++index)
        description.program_headers.push_back(
            { pt_load, pf_r | pf_x, 0, 0x400000 + index * page, 0x10, 0x10, page });
    description.entry = 0x400000;
    EXPECT_EQ(outcome(description), "NotSupported");
}

TEST(ElfImage, RejectsSegmentsOutOfOrderOrOverlapping)
{
    ElfDescription description = static_executable();
    std::swap(description.program_headers[1], description.program_headers[2]);
    EXPECT_EQ(outcome(description), "Malformed");

    description = static_executable();
    description.program_headers[1].address = description.program_headers[0].address;
    description.program_headers[1].offset = 0;
    EXPECT_EQ(outcome(description), "Malformed");

    // The code segment's last byte is the data segment's first.
    description = static_executable();
    description.program_headers[1].memory_size = 0x1001;
    EXPECT_EQ(outcome(description), "Malformed");
}

TEST(ElfImage, RejectsSegmentsSharingAPage)
{
    ElfDescription description = static_executable();
    // Data moves into the code segment's page, after its last byte.
    description.program_headers[2].address = 0x401100;
    description.program_headers[2].offset = 0x2100;
    EXPECT_EQ(outcome(description), "NotSupported");

    // Even with the same permissions.
    description = static_executable();
    description.program_headers[2].flags = pf_r | pf_x;
    description.program_headers[2].address = 0x401100;
    description.program_headers[2].offset = 0x2100;
    EXPECT_EQ(outcome(description), "NotSupported");
}

TEST(ElfImage, RejectsStaticImagesOutsideTheUserRange)
{
    // The null page, and anything below 64 KiB.
    for (std::uint64_t base : { 0x0ull, 0xC000ull }) {
        SCOPED_TRACE(base);
        ElfDescription description = static_executable();
        description.program_headers[0].address = base;
        description.program_headers[1].address = base + 0x1000;
        description.program_headers[2].address = base + 0x2000;
        description.entry = base + 0x1000;
        EXPECT_EQ(outcome(description), "NotSupported");
    }

    // Into the guard page below 2^47, and into the kernel's half.
    ElfDescription description = static_executable();
    description.program_headers.resize(2);
    description.program_headers[0].address = 0x7FFFFFFFD000;
    description.program_headers[1].address = 0x7FFFFFFFE000;
    description.program_headers[1].memory_size = page + 1;
    description.entry = 0x7FFFFFFFE000;
    EXPECT_EQ(outcome(description), "NotSupported");
    description.program_headers[0].address = 0xFFFFFFFF80000000;
    description.program_headers[1].address = 0xFFFFFFFF80001000;
    description.program_headers[1].memory_size = 0x100;
    description.entry = 0xFFFFFFFF80001000;
    EXPECT_EQ(outcome(description), "NotSupported");
}

TEST(ElfImage, RejectsPositionIndependentImagesPastTheUserRange)
{
    ElfDescription description = position_independent_executable();
    description.program_headers[pie_data].memory_size = 0x7FFFFFFFE001;
    EXPECT_EQ(outcome(description), "NotSupported");
}

TEST(ElfImage, RejectsImagesLargerThanTheMaximumSpan)
{
    ElfDescription description = static_executable();
    description.program_headers[2].memory_size = gibibyte - 0x2000 + 1;
    EXPECT_EQ(outcome(description), "NotSupported");

    // A small segment far above the others spans the gap too.
    description = static_executable();
    description.program_headers[2].address = 0x400000 + gibibyte;
    description.program_headers[2].memory_size = 0x80;
    EXPECT_EQ(outcome(description), "NotSupported");
}

TEST(ElfImage, RejectsEntryOutsideExecutableSegments)
{
    ElfDescription description = static_executable();
    for (std::uint64_t entry : { 0ull, 0x400100ull, 0x401100ull, 0x402000ull, 0x500000ull, ~0ull }) {
        SCOPED_TRACE(entry);
        description.entry = entry;
        EXPECT_EQ(outcome(description), "Malformed");
    }
}

TEST(ElfImage, RejectsDuplicateDynamicOrTlsHeaders)
{
    ElfDescription description = position_independent_executable();
    description.program_headers.push_back(description.program_headers[pie_dynamic]);
    EXPECT_EQ(outcome(description), "Malformed");
    description = position_independent_executable();
    description.program_headers.push_back(description.program_headers[pie_tls]);
    EXPECT_EQ(outcome(description), "Malformed");
}

// ---- PT_TLS --------------------------------------------------------------------------------

TEST(ElfImage, RejectsBadTlsTemplates)
{
    struct Case {
        const char* what;
        ProgramHeaderFields header;
        const char* expected;
    };
    const Case cases[] = {
        { "more file than memory", { pt_tls, pf_r, 0x2100, 0x2100, 0x41, 0x40, 16 }, "Malformed" },
        { "file bytes past the end", { pt_tls, pf_r, 3 * page - 8, 0x2FF8, 0x10, 0x40, 16 }, "Malformed" },
        { "offset + size wraps", { pt_tls, pf_r, ~0ull - 4, 0x2100, 0x10, 0x40, 16 }, "Malformed" },
        { "alignment not a power of two", { pt_tls, pf_r, 0x2100, 0x2100, 0x10, 0x40, 24 }, "Malformed" },
        { "alignment too large", { pt_tls, pf_r, 0x2100, 0x2100, 0x10, 0x40, 2 * gibibyte }, "NotSupported" },
        { "too large", { pt_tls, pf_r, 0x2100, 0x2100, 0x10, gibibyte + 1, 16 }, "NotSupported" },
        { "image in zero-filled memory", { pt_tls, pf_r, 0x2100, 0x2300, 0x10, 0x40, 16 }, "Malformed" },
        { "image outside every segment", { pt_tls, pf_r, 0x2100, 0x8000, 0x10, 0x40, 16 }, "Malformed" },
        { "image across a segment's end", { pt_tls, pf_r, 0x21F8, 0x21F8, 0x10, 0x40, 16 }, "Malformed" },
        { "offset does not match the mapping", { pt_tls, pf_r, 0x2108, 0x2100, 0x10, 0x40, 16 },
            "Malformed" },
    };
    for (const Case& test_case : cases) {
        SCOPED_TRACE(test_case.what);
        ElfDescription description = position_independent_executable();
        description.program_headers[pie_tls] = test_case.header;
        EXPECT_EQ(outcome(description), test_case.expected);
    }
}

// ---- PT_DYNAMIC ----------------------------------------------------------------------------

TEST(ElfImage, RejectsMisplacedDynamicSection)
{
    struct Case {
        const char* what;
        std::uint64_t offset;
        std::uint64_t address;
        std::uint64_t size;
    };
    const Case cases[] = {
        { "file bytes past the end", 3 * page - 0x40, 0x2000, 0x70 },
        { "offset + size wraps", ~0ull - 0x10, 0x2000, 0x70 },
        { "outside every segment", 0x2000, 0x8000, 0x70 },
        { "in zero-filled memory", 0x2000, 0x2200, 0x70 },
        { "across a segment's end", 0x2000, 0x21A0, 0x70 },
        { "offset does not match the mapping", 0x2010, 0x2000, 0x60 },
    };
    for (const Case& test_case : cases) {
        SCOPED_TRACE(test_case.what);
        ElfDescription description = position_independent_executable();
        ProgramHeaderFields& header = description.program_headers[pie_dynamic];
        header.offset = test_case.offset;
        header.address = test_case.address;
        header.file_size = test_case.size;
        header.memory_size = test_case.size;
        EXPECT_EQ(outcome(description), "Malformed");
    }
}

TEST(ElfImage, RejectsDynamicSectionWithoutEnd)
{
    auto dynamic = standard_dynamic();
    dynamic.pop_back();
    EXPECT_EQ(outcome(position_independent_executable(dynamic)), "Malformed");

    // The end tag is cut in half by the header's size.
    ElfDescription description = position_independent_executable();
    description.program_headers[pie_dynamic].file_size -= 8;
    EXPECT_EQ(outcome(description), "Malformed");
    description.program_headers[pie_dynamic].file_size = 0;
    EXPECT_EQ(outcome(description), "Malformed");
}

TEST(ElfImage, RejectsTagsThatNeedADynamicLinker)
{
    for (std::uint64_t tag : { dt_needed, dt_pltrelsz, dt_pltrel, dt_jmprel }) {
        SCOPED_TRACE(tag);
        EXPECT_EQ(
            outcome(position_independent_executable(with_dynamic_entry(standard_dynamic(), { tag, 0x300 }))),
            "NotSupported");
    }
}

TEST(ElfImage, RejectsOtherRelocationFormats)
{
    for (std::uint64_t tag : { dt_rel, dt_relsz, dt_relent, dt_relr, dt_relrsz, dt_relrent }) {
        SCOPED_TRACE(tag);
        EXPECT_EQ(
            outcome(position_independent_executable(with_dynamic_entry(standard_dynamic(), { tag, 0x300 }))),
            "NotSupported");
    }
}

TEST(ElfImage, RejectsDuplicateRelocationTags)
{
    for (std::uint64_t tag : { dt_rela, dt_relasz, dt_relaent, dt_relacount }) {
        SCOPED_TRACE(tag);
        auto dynamic = standard_dynamic();
        auto original = std::find_if(
            dynamic.begin(), dynamic.end(), [tag](const DynamicEntry& entry) { return entry.tag == tag; });
        dynamic = with_dynamic_entry(dynamic, *original);
        EXPECT_EQ(outcome(position_independent_executable(dynamic)), "Malformed");
    }
}

TEST(ElfImage, RejectsIncompleteRelocationTags)
{
    // DT_RELA needs DT_RELASZ and DT_RELAENT.
    for (std::uint64_t tag : { dt_relasz, dt_relaent }) {
        SCOPED_TRACE(tag);
        EXPECT_EQ(outcome(position_independent_executable(without_dynamic_tag(standard_dynamic(), tag))),
            "Malformed");
    }
    // The others describe nothing without DT_RELA.
    for (std::uint64_t tag : { dt_relasz, dt_relaent, dt_relacount }) {
        SCOPED_TRACE(tag);
        std::vector<DynamicEntry> dynamic = { { tag, 0 }, { dt_null, 0 } };
        EXPECT_EQ(outcome(position_independent_executable(dynamic, {})), "Malformed");
    }
}

TEST(ElfImage, RejectsWrongRelocationSizes)
{
    for (std::uint64_t entry_size : { 0ull, 16ull, 25ull, 48ull }) {
        SCOPED_TRACE(entry_size);
        EXPECT_EQ(outcome(position_independent_executable(
                      with_dynamic_value(standard_dynamic(), dt_relaent, entry_size))),
            "Malformed");
    }
    EXPECT_EQ(outcome(position_independent_executable(with_dynamic_value(standard_dynamic(), dt_relasz, 50))),
        "Malformed");
}

TEST(ElfImage, RejectsMisplacedRelocationTable)
{
    struct Case {
        const char* what;
        std::uint64_t address;
        std::uint64_t size;
    };
    const Case cases[] = {
        { "past the file-backed part", 0x3F0, 72 },
        { "in zero-filled memory", 0x2200, 72 },
        { "outside every segment", 0x8000, 72 },
        { "address + size wraps", 0xFFFFFFFFFFFFFFF0, 72 },
        // 2^64 - 16 is a multiple of 24, so only the range check can catch it.
        { "huge size", pie_relocations_address, 0xFFFFFFFFFFFFFFF0 },
    };
    for (const Case& test_case : cases) {
        SCOPED_TRACE(test_case.what);
        auto dynamic = with_dynamic_value(standard_dynamic(), dt_rela, test_case.address);
        dynamic = with_dynamic_value(dynamic, dt_relasz, test_case.size);
        dynamic = without_dynamic_tag(dynamic, dt_relacount);
        EXPECT_EQ(outcome(position_independent_executable(dynamic)), "Malformed");
    }
}

TEST(ElfImage, RejectsRelativeCountAboveTheTotal)
{
    EXPECT_EQ(
        outcome(position_independent_executable(with_dynamic_value(standard_dynamic(), dt_relacount, 4))),
        "Malformed");
}

// ---- Relocations ---------------------------------------------------------------------------

TEST(ElfImage, RejectsRelocationTypesOtherThanRelative)
{
    for (std::uint64_t type : { r_x86_64_none, r_x86_64_64, r_x86_64_glob_dat, r_x86_64_jump_slot, 37u }) {
        SCOPED_TRACE(type);
        auto relocations = standard_relocations();
        relocations[1].info = type;
        EXPECT_EQ(outcome(position_independent_executable(standard_dynamic(), relocations)), "NotSupported");
    }
}

TEST(ElfImage, RejectsRelativeRelocationNamingASymbol)
{
    auto relocations = standard_relocations();
    relocations[2].info = (1ull << 32) | r_x86_64_relative;
    EXPECT_EQ(outcome(position_independent_executable(standard_dynamic(), relocations)), "Malformed");
}

TEST(ElfImage, RejectsRelocationTargetsOutsideWritableSegments)
{
    struct Case {
        std::uint64_t target;
        const char* expected;
    };
    const Case cases[] = {
        { 0x100, "NotSupported" }, // read-only headers
        { 0x1008, "NotSupported" }, // code
        { 0x3FF9, "Malformed" }, // crosses the end of .bss
        { 0x4000, "Malformed" }, // just past it
        { 0x1FFC, "Malformed" }, // just below the data segment
        { 0x10000, "Malformed" }, { 0xFFFFFFFFFFFFFFFC, "Malformed" }, // target + 8 wraps
    };
    for (const Case& test_case : cases) {
        SCOPED_TRACE(test_case.target);
        auto relocations = standard_relocations();
        relocations[2].offset = test_case.target;
        EXPECT_EQ(
            outcome(position_independent_executable(standard_dynamic(), relocations)), test_case.expected);
    }
}

} // namespace
