// Tests for the multiboot2 boot-information parser. Each test builds a synthetic blob
// with InformationBuilder, byte by byte as a bootloader would lay it out, so the tests do
// not share the parser's idea of the format.

#include <Kernel/Boot/Multiboot2.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Kernel::Boot::BootInfo;
using Kernel::Boot::parse_multiboot2_information;
using Blob = std::vector<std::uint8_t>;

// Tag type numbers, written out rather than taken from Multiboot2TagType so that a wrong
// number in the header shows up as a failing test.
constexpr std::uint32_t end_tag = 0;
constexpr std::uint32_t command_line_tag = 1;
constexpr std::uint32_t bootloader_name_tag = 2;
constexpr std::uint32_t module_tag = 3;
constexpr std::uint32_t basic_memory_information_tag = 4;
constexpr std::uint32_t memory_map_tag = 6;
constexpr std::uint32_t framebuffer_tag = 8;
constexpr std::uint32_t elf_sections_tag = 9;
constexpr std::uint32_t efi64_system_table_tag = 12;
constexpr std::uint32_t acpi_old_rsdp_tag = 14;
constexpr std::uint32_t acpi_new_rsdp_tag = 15;

void append_little_endian(Blob& blob, std::uint64_t value, std::size_t byte_count)
{
    for (std::size_t index = 0; index < byte_count; ++index)
        blob.push_back(static_cast<std::uint8_t>(value >> (8 * index)));
}

void write_total_size(Blob& blob, std::uint32_t total_size)
{
    for (std::size_t index = 0; index < 4; ++index)
        blob[index] = static_cast<std::uint8_t>(total_size >> (8 * index));
}

struct MemoryMapEntry {
    std::uint64_t base;
    std::uint64_t length;
    std::uint32_t type;
};

struct FramebufferFields {
    std::uint64_t address { 0xFD000000 };
    std::uint32_t pitch { 4096 };
    std::uint32_t width { 1024 };
    std::uint32_t height { 768 };
    std::uint8_t bits_per_pixel { 32 };
    std::uint8_t type { 1 };
    // red position, red size, green position, green size, blue position, blue size.
    std::uint8_t colour[6] { 16, 8, 8, 8, 0, 8 };
};

// Lays out boot information: the 8-byte header, then tags, each padded to 8 bytes.
class InformationBuilder {
public:
    InformationBuilder()
    {
        append_little_endian(m_blob, 0, 4); // total_size, written by finish()
        append_little_endian(m_blob, 0, 4); // reserved
    }

    // Appends a tag whose size field covers its header and payload. Returns its offset.
    std::uint32_t add_tag(std::uint32_t type, const Blob& payload)
    {
        return add_tag_with_declared_size(type, static_cast<std::uint32_t>(8 + payload.size()), payload);
    }

    // Appends a tag whose size field says `declared_size` whatever the payload is, to build
    // malformed tags.
    std::uint32_t add_tag_with_declared_size(
        std::uint32_t type, std::uint32_t declared_size, const Blob& payload)
    {
        auto offset = static_cast<std::uint32_t>(m_blob.size());
        append_little_endian(m_blob, type, 4);
        append_little_endian(m_blob, declared_size, 4);
        m_blob.insert(m_blob.end(), payload.begin(), payload.end());
        while (m_blob.size() % 8 != 0)
            m_blob.push_back(0);
        return offset;
    }

    std::uint32_t add_string_tag(std::uint32_t type, std::string_view text, bool nul_terminated = true)
    {
        Blob payload(text.begin(), text.end());
        if (nul_terminated)
            payload.push_back(0);
        return add_tag(type, payload);
    }

    std::uint32_t add_module(
        std::uint32_t start, std::uint32_t end, std::string_view name, bool nul_terminated = true)
    {
        Blob payload;
        append_little_endian(payload, start, 4);
        append_little_endian(payload, end, 4);
        payload.insert(payload.end(), name.begin(), name.end());
        if (nul_terminated)
            payload.push_back(0);
        return add_tag(module_tag, payload);
    }

    std::uint32_t add_memory_map(const std::vector<MemoryMapEntry>& entries, std::uint32_t entry_size = 24)
    {
        Blob payload;
        append_little_endian(payload, entry_size, 4);
        append_little_endian(payload, 0, 4); // entry_version
        for (const MemoryMapEntry& entry : entries) {
            std::size_t entry_start = payload.size();
            append_little_endian(payload, entry.base, 8);
            append_little_endian(payload, entry.length, 8);
            append_little_endian(payload, entry.type, 4);
            append_little_endian(payload, 0, 4); // reserved
            // Fields a later entry_version might add.
            while (payload.size() - entry_start < entry_size)
                payload.push_back(0xEE);
        }
        return add_tag(memory_map_tag, payload);
    }

    std::uint32_t add_framebuffer(const FramebufferFields& fields)
    {
        Blob payload;
        append_little_endian(payload, fields.address, 8);
        append_little_endian(payload, fields.pitch, 4);
        append_little_endian(payload, fields.width, 4);
        append_little_endian(payload, fields.height, 4);
        append_little_endian(payload, fields.bits_per_pixel, 1);
        append_little_endian(payload, fields.type, 1);
        append_little_endian(payload, 0, 2); // reserved
        if (fields.type == 1)
            payload.insert(payload.end(), fields.colour, fields.colour + 6);
        return add_tag(framebuffer_tag, payload);
    }

    // Appends the end tag and fills in total_size.
    Blob finish()
    {
        add_tag(end_tag, {});
        return finish_without_end_tag();
    }

    Blob finish_without_end_tag() const
    {
        Blob blob = m_blob;
        write_total_size(blob, static_cast<std::uint32_t>(blob.size()));
        return blob;
    }

private:
    Blob m_blob;
};

// Recognisable RSDP bytes: seed, seed + 1, ...
Blob rsdp_bytes(std::size_t length, std::uint8_t seed)
{
    Blob bytes;
    for (std::size_t index = 0; index < length; ++index)
        bytes.push_back(static_cast<std::uint8_t>(seed + index));
    return bytes;
}

Core::Result<BootInfo> parse(const Blob& blob)
{
    return parse_multiboot2_information(Core::ReadonlyBytes(blob.data(), blob.size()));
}

std::string_view text(Core::StringView view)
{
    return { view.characters(), view.length() };
}

template<Core::usize Capacity> std::string_view text(const Core::FixedStringBuilder<Capacity>& builder)
{
    return text(builder.string_view());
}

// Parses a blob expected to be accepted as a whole.
BootInfo parse_successfully(const Blob& blob)
{
    auto result = parse(blob);
    EXPECT_FALSE(result.is_error()) << result.error().name();
    if (result.is_error())
        return {};
    return result.release_value();
}

void expect_malformed(const Blob& blob)
{
    auto result = parse(blob);
    ASSERT_TRUE(result.is_error());
    EXPECT_STREQ(result.error().name(), "Malformed");
}

void expect_single_skipped_tag(const BootInfo& info, std::uint32_t type, std::uint32_t size,
    std::uint32_t offset, std::string_view reason)
{
    ASSERT_EQ(info.skipped_tag_count, 1u);
    ASSERT_EQ(info.skipped_tags.size(), 1u);
    EXPECT_EQ(info.skipped_tags[0].type, type);
    EXPECT_EQ(info.skipped_tags[0].size, size);
    EXPECT_EQ(info.skipped_tags[0].offset, offset);
    EXPECT_EQ(text(info.skipped_tags[0].reason), reason);
}

static_assert(
    Kernel::Boot::memory_region_type_name(Kernel::Boot::MemoryRegionType::AcpiNvs) == "ACPI NVS"_sv);
static_assert(Kernel::Boot::multiboot2_bootloader_magic == 0x36D76289);

TEST(Multiboot2, ParsesWellFormedInformation)
{
    InformationBuilder builder;
    builder.add_string_tag(command_line_tag, "root=/dev/sda1 quiet");
    builder.add_string_tag(bootloader_name_tag, "GRUB 2.06");
    Blob basic_memory;
    append_little_endian(basic_memory, 639, 4);
    append_little_endian(basic_memory, 261120, 4);
    builder.add_tag(basic_memory_information_tag, basic_memory);
    builder.add_memory_map({
        { 0x0, 0x9F000, 1 },
        { 0x9F000, 0x61000, 2 },
        { 0x100000, 0x7EE0000, 1 },
        { 0x7FE0000, 0x10000, 3 },
        { 0x7FF0000, 0x10000, 4 },
        { 0x8000000, 0x1000, 5 },
        { 0xFEC00000, 0x1000, 9 },
    });
    builder.add_framebuffer({});
    builder.add_module(0x200000, 0x2A0000, "/boot/initrd.tar init=/bin/shell");
    builder.add_tag(acpi_old_rsdp_tag, rsdp_bytes(20, 0x10));
    builder.add_tag(acpi_new_rsdp_tag, rsdp_bytes(36, 0x80));
    Blob system_table;
    append_little_endian(system_table, 0x7F9EE018, 8);
    builder.add_tag(efi64_system_table_tag, system_table);
    builder.add_tag(elf_sections_tag, Blob(40, 0xAB));
    Blob blob = builder.finish();

    BootInfo info = parse_successfully(blob);

    EXPECT_EQ(text(info.command_line), "root=/dev/sda1 quiet");
    EXPECT_EQ(text(info.bootloader_name), "GRUB 2.06");
    EXPECT_EQ(info.information_size, blob.size());
    EXPECT_EQ(text(Kernel::Boot::firmware_name(info.firmware)), "UEFI");

    ASSERT_EQ(info.memory_map.size(), 7u);
    const char* expected_types[]
        = { "usable", "reserved", "usable", "ACPI reclaimable", "ACPI NVS", "defective", "reserved" };
    for (std::size_t index = 0; index < 7; ++index) {
        SCOPED_TRACE(index);
        EXPECT_EQ(text(memory_region_type_name(info.memory_map[index].type)), expected_types[index]);
    }
    EXPECT_EQ(info.memory_map[2].base, 0x100000u);
    EXPECT_EQ(info.memory_map[2].length, 0x7EE0000u);
    EXPECT_EQ(info.memory_map[6].base, 0xFEC00000u);
    EXPECT_EQ(info.dropped_memory_regions, 0u);
    EXPECT_EQ(info.usable_memory_bytes(), 0x9F000u + 0x7EE0000u);
    EXPECT_EQ(info.highest_usable_address(), 0x7FE0000u);

    ASSERT_TRUE(info.framebuffer.has_value());
    const auto& framebuffer = info.framebuffer.value();
    EXPECT_EQ(framebuffer.physical_address, 0xFD000000u);
    EXPECT_EQ(framebuffer.pitch, 4096u);
    EXPECT_EQ(framebuffer.width, 1024u);
    EXPECT_EQ(framebuffer.height, 768u);
    EXPECT_EQ(framebuffer.bits_per_pixel, 32);
    EXPECT_EQ(text(framebuffer_type_name(framebuffer.type)), "RGB");
    EXPECT_EQ(framebuffer.red_position, 16);
    EXPECT_EQ(framebuffer.red_size, 8);
    EXPECT_EQ(framebuffer.green_position, 8);
    EXPECT_EQ(framebuffer.green_size, 8);
    EXPECT_EQ(framebuffer.blue_position, 0);
    EXPECT_EQ(framebuffer.blue_size, 8);
    EXPECT_EQ(framebuffer.size_in_bytes(), 4096u * 768u);

    ASSERT_EQ(info.modules.size(), 1u);
    EXPECT_EQ(info.modules[0].physical_start, 0x200000u);
    EXPECT_EQ(info.modules[0].physical_end, 0x2A0000u);
    EXPECT_EQ(info.modules[0].size(), 0xA0000u);
    EXPECT_EQ(text(info.modules[0].name), "/boot/initrd.tar init=/bin/shell");

    // Both RSDP versions are present; the version 2 copy wins.
    ASSERT_TRUE(info.acpi_rsdp.has_value());
    EXPECT_EQ(info.acpi_rsdp->length, 36);
    EXPECT_TRUE(info.acpi_rsdp->is_version_2());
    Blob expected_rsdp = rsdp_bytes(36, 0x80);
    auto rsdp = info.acpi_rsdp->data();
    EXPECT_EQ(Blob(rsdp.begin(), rsdp.end()), expected_rsdp);

    // Basic memory information and ELF sections are known but unused: skipped silently.
    EXPECT_EQ(info.skipped_tag_count, 0u);
    EXPECT_TRUE(info.skipped_tags.is_empty());
}

TEST(Multiboot2, MinimalInformationHasDefaults)
{
    BootInfo info = parse_successfully(InformationBuilder().finish());
    EXPECT_EQ(info.information_size, 16u);
    EXPECT_TRUE(info.memory_map.is_empty());
    EXPECT_FALSE(info.framebuffer.has_value());
    EXPECT_TRUE(info.modules.is_empty());
    EXPECT_FALSE(info.acpi_rsdp.has_value());
    EXPECT_EQ(text(info.command_line), "");
    EXPECT_EQ(text(info.bootloader_name), "");
    EXPECT_EQ(text(firmware_name(info.firmware)), "BIOS");
    EXPECT_EQ(info.skipped_tag_count, 0u);
    EXPECT_EQ(info.usable_memory_bytes(), 0u);
    EXPECT_EQ(info.highest_usable_address(), 0u);
}

TEST(Multiboot2, AcpiVersion1IsUsedWhenAlone)
{
    InformationBuilder builder;
    builder.add_tag(acpi_old_rsdp_tag, rsdp_bytes(20, 0x40));
    BootInfo info = parse_successfully(builder.finish());
    ASSERT_TRUE(info.acpi_rsdp.has_value());
    EXPECT_EQ(info.acpi_rsdp->length, 20);
    EXPECT_FALSE(info.acpi_rsdp->is_version_2());
    auto rsdp = info.acpi_rsdp->data();
    EXPECT_EQ(Blob(rsdp.begin(), rsdp.end()), rsdp_bytes(20, 0x40));
}

TEST(Multiboot2, AcpiVersion2WinsWhicheverComesFirst)
{
    InformationBuilder builder;
    builder.add_tag(acpi_new_rsdp_tag, rsdp_bytes(36, 0x80));
    builder.add_tag(acpi_old_rsdp_tag, rsdp_bytes(20, 0x10));
    BootInfo info = parse_successfully(builder.finish());
    ASSERT_TRUE(info.acpi_rsdp.has_value());
    EXPECT_EQ(info.acpi_rsdp->length, 36);
    EXPECT_EQ(info.acpi_rsdp->bytes[0], 0x80);
    EXPECT_EQ(info.skipped_tag_count, 0u);
}

TEST(Multiboot2, AcpiTagTooShortIsSkipped)
{
    InformationBuilder builder;
    auto offset = builder.add_tag(acpi_new_rsdp_tag, rsdp_bytes(20, 0x80));
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_FALSE(info.acpi_rsdp.has_value());
    expect_single_skipped_tag(info, acpi_new_rsdp_tag, 28, offset, "ACPI RSDP tag too short");
}

TEST(Multiboot2, RejectsTruncatedHeader)
{
    expect_malformed({});
    expect_malformed({ 8, 0, 0 });
    expect_malformed({ 8, 0, 0, 0, 0, 0, 0 });
    auto result = parse_multiboot2_information(Core::ReadonlyBytes());
    ASSERT_TRUE(result.is_error());
    EXPECT_STREQ(result.error().name(), "Malformed");
}

TEST(Multiboot2, RejectsTotalSizeSmallerThanHeader)
{
    Blob blob = InformationBuilder().finish();
    write_total_size(blob, 7);
    expect_malformed(blob);
    write_total_size(blob, 0);
    expect_malformed(blob);
}

TEST(Multiboot2, RejectsTotalSizeLargerThanBuffer)
{
    Blob blob = InformationBuilder().finish();
    write_total_size(blob, static_cast<std::uint32_t>(blob.size() + 1));
    expect_malformed(blob);
    write_total_size(blob, 0xFFFFFFFF);
    expect_malformed(blob);
}

TEST(Multiboot2, TotalSizeMayBeJustTheHeader)
{
    Blob blob = InformationBuilder().finish();
    write_total_size(blob, 8);
    BootInfo info = parse_successfully(blob);
    EXPECT_EQ(info.information_size, 8u);
    expect_single_skipped_tag(info, 0, 0, 8, "missing end tag");
}

TEST(Multiboot2, IgnoresBytesBeyondTotalSize)
{
    InformationBuilder builder;
    builder.add_string_tag(command_line_tag, "console=serial");
    Blob blob = builder.finish();
    auto total_size = blob.size();
    // Garbage after total_size, shaped like a tag that would be recorded if it were read.
    append_little_endian(blob, 0xDEAD, 4);
    append_little_endian(blob, 3, 4);
    BootInfo info = parse_successfully(blob);
    EXPECT_EQ(info.information_size, total_size);
    EXPECT_EQ(text(info.command_line), "console=serial");
    EXPECT_EQ(info.skipped_tag_count, 0u);
}

TEST(Multiboot2, StopsAtTagRunningPastTheEnd)
{
    InformationBuilder builder;
    builder.add_string_tag(command_line_tag, "quiet");
    auto offset = builder.add_tag_with_declared_size(bootloader_name_tag, 64, { 'G', 'R', 'U', 'B', 0 });
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_EQ(text(info.command_line), "quiet");
    EXPECT_EQ(text(info.bootloader_name), "");
    expect_single_skipped_tag(info, bootloader_name_tag, 64, offset, "tag extends past total_size");
}

TEST(Multiboot2, TagMustFitInTotalSizeNotJustTheBuffer)
{
    InformationBuilder builder;
    auto offset = builder.add_string_tag(command_line_tag, "a long enough command line");
    Blob blob = builder.finish();
    // The buffer still holds the whole tag, but total_size cuts through it.
    write_total_size(blob, offset + 12);
    BootInfo info = parse_successfully(blob);
    EXPECT_EQ(text(info.command_line), "");
    expect_single_skipped_tag(info, command_line_tag, 8 + 27, offset, "tag extends past total_size");
}

TEST(Multiboot2, StopsAtTagSmallerThanItsHeader)
{
    for (std::uint32_t bad_size : { 0u, 4u, 7u }) {
        SCOPED_TRACE(bad_size);
        InformationBuilder builder;
        auto offset = builder.add_tag_with_declared_size(command_line_tag, bad_size, {});
        // Cannot be located once the size before it is wrong, so it must not be parsed.
        builder.add_string_tag(bootloader_name_tag, "GRUB");
        BootInfo info = parse_successfully(builder.finish());
        EXPECT_EQ(text(info.bootloader_name), "");
        expect_single_skipped_tag(
            info, command_line_tag, bad_size, offset, "tag size is smaller than the tag header");
    }
}

TEST(Multiboot2, MissingEndTagIsRecorded)
{
    InformationBuilder builder;
    builder.add_string_tag(command_line_tag, "single");
    builder.add_string_tag(bootloader_name_tag, "Limine");
    Blob blob = builder.finish_without_end_tag();
    BootInfo info = parse_successfully(blob);
    EXPECT_EQ(text(info.command_line), "single");
    EXPECT_EQ(text(info.bootloader_name), "Limine");
    expect_single_skipped_tag(info, 0, 0, static_cast<std::uint32_t>(blob.size()), "missing end tag");
}

TEST(Multiboot2, MissingEndTagAfterUnpaddedLastTag)
{
    InformationBuilder builder;
    builder.add_string_tag(command_line_tag, "abc"); // size 12, padded to 16
    Blob blob = builder.finish_without_end_tag();
    // total_size ends right after the tag, before its padding.
    write_total_size(blob, 8 + 12);
    BootInfo info = parse_successfully(blob);
    EXPECT_EQ(text(info.command_line), "abc");
    expect_single_skipped_tag(info, 0, 0, 20, "missing end tag");
}

TEST(Multiboot2, PartialTagHeaderAtTheEnd)
{
    Blob blob = InformationBuilder().finish();
    write_total_size(blob, 12);
    BootInfo info = parse_successfully(blob);
    expect_single_skipped_tag(info, 0, 0, 8, "partial tag header at the end of the information");
}

TEST(Multiboot2, UnknownTagIsRecordedAndParsingContinues)
{
    InformationBuilder builder;
    auto offset = builder.add_tag(99, Blob(5, 0x42));
    builder.add_string_tag(command_line_tag, "after unknown");
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_EQ(text(info.command_line), "after unknown");
    expect_single_skipped_tag(info, 99, 13, offset, "unknown tag type");
}

TEST(Multiboot2, TagTypeIsThirtyTwoBits)
{
    // Boot information tags have a u32 type (unlike the u16 type of the OS image's
    // header tags), so this is not a command line.
    InformationBuilder builder;
    auto offset = builder.add_string_tag(0x10001, "not a command line");
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_EQ(text(info.command_line), "");
    expect_single_skipped_tag(info, 0x10001, 8 + 19, offset, "unknown tag type");
}

TEST(Multiboot2, RecordsAtMostSixteenSkippedTagsButCountsAll)
{
    InformationBuilder builder;
    std::vector<std::uint32_t> offsets;
    for (std::uint32_t index = 0; index < 20; ++index)
        offsets.push_back(builder.add_tag(100 + index, {}));
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_EQ(info.skipped_tag_count, 20u);
    ASSERT_EQ(info.skipped_tags.size(), 16u);
    for (std::size_t index = 0; index < 16; ++index) {
        EXPECT_EQ(info.skipped_tags[index].type, 100 + index);
        EXPECT_EQ(info.skipped_tags[index].offset, offsets[index]);
    }
}

TEST(Multiboot2, DuplicateSingleInstanceTagIsRecorded)
{
    InformationBuilder builder;
    builder.add_string_tag(command_line_tag, "first");
    auto offset = builder.add_string_tag(command_line_tag, "second");
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_EQ(text(info.command_line), "first");
    expect_single_skipped_tag(info, command_line_tag, 8 + 7, offset, "duplicate tag");
}

TEST(Multiboot2, DropsEmptyAndOverflowingMemoryRegions)
{
    InformationBuilder builder;
    builder.add_memory_map({
        { 0x0, 0x9F000, 1 }, { 0xFFFFFFFFFFFFF000, 0x2000, 1 }, // wraps past 2^64
        { 0x100000, 0, 1 }, // empty
        { 0xFFFFFFFFFFFFF000, 0x1000, 2 }, // ends exactly at 2^64: end() would wrap to 0
        { 0xFFFFFFFFFFFFE000, 0x1000, 2 }, // the highest region that can be represented
    });
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_EQ(info.dropped_memory_regions, 3u);
    ASSERT_EQ(info.memory_map.size(), 2u);
    EXPECT_EQ(info.memory_map[0].base, 0u);
    EXPECT_EQ(info.memory_map[0].length, 0x9F000u);
    EXPECT_EQ(info.memory_map[1].base, 0xFFFFFFFFFFFFE000u);
    EXPECT_EQ(info.memory_map[1].end(), 0xFFFFFFFFFFFFF000u);
    EXPECT_EQ(info.skipped_tag_count, 0u);
}

TEST(Multiboot2, KeepsFirst128MemoryRegionsAndCountsTheRest)
{
    std::vector<MemoryMapEntry> entries;
    for (std::uint64_t index = 0; index < 131; ++index)
        entries.push_back({ index * 0x10000, 0x1000, 1 });
    InformationBuilder builder;
    builder.add_memory_map(entries);
    BootInfo info = parse_successfully(builder.finish());
    ASSERT_EQ(info.memory_map.size(), 128u);
    EXPECT_EQ(info.dropped_memory_regions, 3u);
    EXPECT_EQ(info.memory_map[0].base, 0u);
    EXPECT_EQ(info.memory_map[127].base, 127u * 0x10000u);
    EXPECT_EQ(info.usable_memory_bytes(), 128u * 0x1000u);
    EXPECT_EQ(info.highest_usable_address(), 127u * 0x10000u + 0x1000u);
}

TEST(Multiboot2, ReadsMemoryMapWithLargerEntries)
{
    InformationBuilder builder;
    builder.add_memory_map({ { 0x1000, 0x2000, 1 }, { 0x100000, 0x300000, 3 } }, 40);
    BootInfo info = parse_successfully(builder.finish());
    ASSERT_EQ(info.memory_map.size(), 2u);
    EXPECT_EQ(info.memory_map[1].base, 0x100000u);
    EXPECT_EQ(info.memory_map[1].length, 0x300000u);
    EXPECT_EQ(text(memory_region_type_name(info.memory_map[1].type)), "ACPI reclaimable");
}

TEST(Multiboot2, RejectsInvalidMemoryMapEntrySize)
{
    for (std::uint32_t entry_size : { 0u, 16u, 20u, 28u }) {
        SCOPED_TRACE(entry_size);
        Blob payload;
        append_little_endian(payload, entry_size, 4);
        append_little_endian(payload, 0, 4);
        payload.resize(payload.size() + 48, 0x11);
        InformationBuilder builder;
        auto offset = builder.add_tag(memory_map_tag, payload);
        BootInfo info = parse_successfully(builder.finish());
        EXPECT_TRUE(info.memory_map.is_empty());
        expect_single_skipped_tag(info, memory_map_tag, 8 + 56, offset, "memory map entry size is invalid");
    }
}

TEST(Multiboot2, IgnoresPartialTrailingMemoryMapEntry)
{
    Blob payload;
    append_little_endian(payload, 24, 4);
    append_little_endian(payload, 0, 4);
    append_little_endian(payload, 0x100000, 8);
    append_little_endian(payload, 0x1000, 8);
    append_little_endian(payload, 1, 4);
    append_little_endian(payload, 0, 4);
    payload.resize(payload.size() + 20, 0xFF); // not a whole entry
    InformationBuilder builder;
    builder.add_tag(memory_map_tag, payload);
    BootInfo info = parse_successfully(builder.finish());
    ASSERT_EQ(info.memory_map.size(), 1u);
    EXPECT_EQ(info.memory_map[0].base, 0x100000u);
    EXPECT_EQ(info.dropped_memory_regions, 0u);
}

TEST(Multiboot2, SkipsFramebufferWithPitchTooSmall)
{
    FramebufferFields fields;
    fields.pitch = 1024 * 4 - 1;
    InformationBuilder builder;
    auto offset = builder.add_framebuffer(fields);
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_FALSE(info.framebuffer.has_value());
    expect_single_skipped_tag(info, framebuffer_tag, 38, offset, "framebuffer pitch is smaller than one row");
}

TEST(Multiboot2, SkipsInvalidFramebuffers)
{
    struct Case {
        const char* description;
        FramebufferFields fields;
        std::string_view reason;
    };
    auto with = [](auto change) {
        FramebufferFields fields;
        change(fields);
        return fields;
    };
    const Case cases[] = {
        { "zero width", with([](auto& fields) { fields.width = 0; }),
            "framebuffer has a zero width, height or pitch" },
        { "zero height", with([](auto& fields) { fields.height = 0; }),
            "framebuffer has a zero width, height or pitch" },
        { "zero pitch", with([](auto& fields) { fields.pitch = 0; }),
            "framebuffer has a zero width, height or pitch" },
        { "RGB with 8 bits per pixel", with([](auto& fields) { fields.bits_per_pixel = 8; }),
            "unsupported bits per pixel for an RGB framebuffer" },
        { "unknown type", with([](auto& fields) { fields.type = 3; }), "unknown framebuffer type" },
        { "colour field past the pixel", with([](auto& fields) { fields.colour[0] = 28; }),
            "framebuffer colour field lies outside the pixel" },
        { "indexed with 16 bits per pixel", with([](auto& fields) {
             fields.type = 0;
             fields.bits_per_pixel = 16;
         }),
            "unsupported bits per pixel for an indexed framebuffer" },
        { "EGA text with pitch below two bytes a cell", with([](auto& fields) {
             fields.type = 2;
             fields.width = 80;
             fields.height = 25;
             fields.pitch = 159;
         }),
            "framebuffer pitch is smaller than one row" },
        { "wraps the address space", with([](auto& fields) { fields.address = 0xFFFFFFFFFFF00000; }),
            "framebuffer extends past the end of the address space" },
    };
    for (const Case& test_case : cases) {
        SCOPED_TRACE(test_case.description);
        InformationBuilder builder;
        builder.add_framebuffer(test_case.fields);
        BootInfo info = parse_successfully(builder.finish());
        EXPECT_FALSE(info.framebuffer.has_value());
        ASSERT_EQ(info.skipped_tags.size(), 1u);
        EXPECT_EQ(text(info.skipped_tags[0].reason), test_case.reason);
    }
}

TEST(Multiboot2, SkipsTruncatedFramebufferTags)
{
    InformationBuilder builder;
    builder.add_tag(framebuffer_tag, Blob(23, 0x01)); // ends inside the common fields
    Blob rgb_without_colours;
    append_little_endian(rgb_without_colours, 0xFD000000, 8);
    append_little_endian(rgb_without_colours, 4096, 4);
    append_little_endian(rgb_without_colours, 1024, 4);
    append_little_endian(rgb_without_colours, 768, 4);
    append_little_endian(rgb_without_colours, 32, 1);
    append_little_endian(rgb_without_colours, 1, 1);
    append_little_endian(rgb_without_colours, 0, 2);
    builder.add_tag(framebuffer_tag, rgb_without_colours);
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_FALSE(info.framebuffer.has_value());
    ASSERT_EQ(info.skipped_tags.size(), 2u);
    EXPECT_EQ(text(info.skipped_tags[0].reason), "framebuffer tag too short");
    EXPECT_EQ(text(info.skipped_tags[1].reason), "framebuffer tag too short for its colour layout");
}

TEST(Multiboot2, AcceptsEgaTextAndIndexedFramebuffers)
{
    FramebufferFields text_mode;
    text_mode.address = 0xB8000;
    text_mode.type = 2;
    text_mode.width = 80;
    text_mode.height = 25;
    text_mode.pitch = 160;
    text_mode.bits_per_pixel = 16;
    InformationBuilder text_builder;
    text_builder.add_framebuffer(text_mode);
    BootInfo text_info = parse_successfully(text_builder.finish());
    ASSERT_TRUE(text_info.framebuffer.has_value());
    EXPECT_EQ(text(framebuffer_type_name(text_info.framebuffer->type)), "EGA text");
    EXPECT_EQ(text_info.framebuffer->physical_address, 0xB8000u);
    EXPECT_EQ(text_info.framebuffer->red_size, 0);

    FramebufferFields indexed;
    indexed.type = 0;
    indexed.bits_per_pixel = 8;
    indexed.width = 640;
    indexed.height = 480;
    indexed.pitch = 640;
    InformationBuilder indexed_builder;
    indexed_builder.add_framebuffer(indexed);
    BootInfo indexed_info = parse_successfully(indexed_builder.finish());
    ASSERT_TRUE(indexed_info.framebuffer.has_value());
    EXPECT_EQ(text(framebuffer_type_name(indexed_info.framebuffer->type)), "indexed");
    EXPECT_EQ(indexed_info.framebuffer->size_in_bytes(), 640u * 480u);
}

TEST(Multiboot2, AcceptsFifteenBitFramebufferWithTwoBytePixels)
{
    FramebufferFields fields;
    fields.bits_per_pixel = 15;
    fields.width = 800;
    fields.pitch = 1600;
    fields.height = 600;
    fields.colour[0] = 10;
    fields.colour[1] = 5;
    fields.colour[2] = 5;
    fields.colour[3] = 5;
    fields.colour[4] = 0;
    fields.colour[5] = 5;
    InformationBuilder builder;
    builder.add_framebuffer(fields);
    BootInfo info = parse_successfully(builder.finish());
    ASSERT_TRUE(info.framebuffer.has_value());
    EXPECT_EQ(info.framebuffer->bits_per_pixel, 15);
    EXPECT_EQ(info.framebuffer->red_position, 10);
}

TEST(Multiboot2, UnterminatedStringsEndAtTheTagEnd)
{
    InformationBuilder builder;
    builder.add_string_tag(command_line_tag, "no terminator", false);
    builder.add_string_tag(bootloader_name_tag, "loader", false);
    builder.add_module(0x1000, 0x2000, "module.bin", false);
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_EQ(text(info.command_line), "no terminator");
    EXPECT_EQ(text(info.bootloader_name), "loader");
    ASSERT_EQ(info.modules.size(), 1u);
    EXPECT_EQ(text(info.modules[0].name), "module.bin");
    EXPECT_EQ(info.skipped_tag_count, 0u);
}

TEST(Multiboot2, StringsStopAtTheFirstNul)
{
    InformationBuilder builder;
    builder.add_tag(command_line_tag, { 'a', 'b', 0, 'c', 'd', 0 });
    builder.add_string_tag(bootloader_name_tag, "");
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_EQ(text(info.command_line), "ab");
    EXPECT_EQ(text(info.bootloader_name), "");
}

TEST(Multiboot2, LongStringsAreTruncated)
{
    std::string long_command_line(300, 'x');
    std::string long_name(100, 'n');
    InformationBuilder builder;
    builder.add_string_tag(command_line_tag, long_command_line);
    builder.add_module(0, 0, long_name);
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_EQ(text(info.command_line), std::string(255, 'x'));
    EXPECT_TRUE(info.command_line.was_truncated());
    ASSERT_EQ(info.modules.size(), 1u);
    EXPECT_EQ(text(info.modules[0].name), std::string(63, 'n'));
    EXPECT_TRUE(info.modules[0].name.was_truncated());
}

TEST(Multiboot2, SkipsBadModules)
{
    InformationBuilder builder;
    auto backwards = builder.add_module(0x3000, 0x2000, "backwards");
    auto short_offset = builder.add_tag(module_tag, { 0, 0x10, 0, 0 });
    builder.add_module(0x5000, 0x6000, "good");
    BootInfo info = parse_successfully(builder.finish());
    ASSERT_EQ(info.modules.size(), 1u);
    EXPECT_EQ(text(info.modules[0].name), "good");
    ASSERT_EQ(info.skipped_tags.size(), 2u);
    EXPECT_EQ(info.skipped_tags[0].offset, backwards);
    EXPECT_EQ(text(info.skipped_tags[0].reason), "module ends before it starts");
    EXPECT_EQ(info.skipped_tags[1].offset, short_offset);
    EXPECT_EQ(text(info.skipped_tags[1].reason), "module tag too short");
}

TEST(Multiboot2, KeepsSixteenModulesAndRecordsTheRest)
{
    InformationBuilder builder;
    std::vector<std::uint32_t> offsets;
    for (std::uint32_t index = 0; index < 18; ++index)
        offsets.push_back(
            builder.add_module(index * 0x1000, index * 0x1000 + 0x800, "m" + std::to_string(index)));
    BootInfo info = parse_successfully(builder.finish());
    ASSERT_EQ(info.modules.size(), 16u);
    EXPECT_EQ(text(info.modules[15].name), "m15");
    ASSERT_EQ(info.skipped_tags.size(), 2u);
    EXPECT_EQ(info.skipped_tags[0].offset, offsets[16]);
    EXPECT_EQ(text(info.skipped_tags[0].reason), "too many modules");
    EXPECT_EQ(info.skipped_tags[1].offset, offsets[17]);
}

TEST(Multiboot2, ShortEfiSystemTableTagDoesNotMeanUefi)
{
    InformationBuilder builder;
    auto offset = builder.add_tag(efi64_system_table_tag, { 1, 2, 3, 4 });
    BootInfo info = parse_successfully(builder.finish());
    EXPECT_EQ(text(firmware_name(info.firmware)), "BIOS");
    expect_single_skipped_tag(
        info, efi64_system_table_tag, 12, offset, "EFI 64-bit system table tag too short");
}

TEST(Multiboot2, ParsesUnalignedInformation)
{
    InformationBuilder builder;
    builder.add_string_tag(command_line_tag, "unaligned");
    builder.add_memory_map({ { 0x100000, 0x1000000, 1 } });
    builder.add_framebuffer({});
    Blob blob = builder.finish();
    // Shift the whole structure to an odd address.
    Blob shifted(3, 0xCC);
    shifted.insert(shifted.end(), blob.begin(), blob.end());

    auto result = parse_multiboot2_information(Core::ReadonlyBytes(shifted.data() + 3, blob.size()));
    ASSERT_FALSE(result.is_error());
    const BootInfo& info = result.value();
    EXPECT_EQ(text(info.command_line), "unaligned");
    ASSERT_EQ(info.memory_map.size(), 1u);
    EXPECT_EQ(info.memory_map[0].length, 0x1000000u);
    ASSERT_TRUE(info.framebuffer.has_value());
    EXPECT_EQ(info.framebuffer->pitch, 4096u);
}

TEST(Multiboot2, InformationTotalSizeReadsTheHeader)
{
    Blob blob = InformationBuilder().finish();
    auto total_size = Kernel::Boot::multiboot2_information_total_size(Core::ReadonlyBytes(blob.data(), 8));
    ASSERT_FALSE(total_size.is_error());
    EXPECT_EQ(total_size.value(), 16u);
    auto too_short = Kernel::Boot::multiboot2_information_total_size(Core::ReadonlyBytes(blob.data(), 7));
    ASSERT_TRUE(too_short.is_error());
    EXPECT_STREQ(too_short.error().name(), "Malformed");
}

} // namespace
