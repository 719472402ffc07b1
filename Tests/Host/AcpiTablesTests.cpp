// Tests for the ACPI table plumbing: RSDP validation, load_table() and the RSDT/XSDT directory.
// Tables are built byte by byte in the test (with the layout written out here, not taken from
// the parser) and placed in a fake physical memory at chosen addresses.

#include <Kernel/ACPI/Tables.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using Kernel::ACPI::load_root_table;
using Kernel::ACPI::load_table;
using Kernel::ACPI::parse_rsdp;
using Kernel::ACPI::PhysicalMemoryReader;
using Kernel::ACPI::RootTableKind;
using Kernel::ACPI::Rsdp;
using Kernel::ACPI::TableDirectory;
using Bytes = std::vector<std::uint8_t>;

void append_little_endian(Bytes& bytes, std::uint64_t value, std::size_t byte_count)
{
    for (std::size_t index = 0; index < byte_count; ++index)
        bytes.push_back(static_cast<std::uint8_t>(value >> (8 * index)));
}

void write_little_endian(Bytes& bytes, std::size_t offset, std::uint64_t value, std::size_t byte_count)
{
    for (std::size_t index = 0; index < byte_count; ++index)
        bytes.at(offset + index) = static_cast<std::uint8_t>(value >> (8 * index));
}

void append_text(Bytes& bytes, std::string_view text)
{
    bytes.insert(bytes.end(), text.begin(), text.end());
}

// Sets bytes[checksum_offset] so that the first `length` bytes sum to zero.
void fill_checksum(Bytes& bytes, std::size_t checksum_offset, std::size_t length)
{
    bytes.at(checksum_offset) = 0;
    std::uint8_t sum = 0;
    for (std::size_t index = 0; index < length; ++index)
        sum = static_cast<std::uint8_t>(sum + bytes.at(index));
    bytes.at(checksum_offset) = static_cast<std::uint8_t>(0x100 - sum);
}

// A system description table: the 36-byte header (ACPI 6.5, section 5.2.6) followed by `body`, with
// the length and checksum filled in.
Bytes make_table(std::string_view signature, const Bytes& body, std::uint8_t revision = 1)
{
    Bytes table;
    append_text(table, signature);
    append_little_endian(table, 0, 4); // length, below
    table.push_back(revision);
    table.push_back(0); // checksum, below
    append_text(table, "RAEEN ");
    append_text(table, "TESTTABL");
    append_little_endian(table, 0x20240601, 4);
    append_text(table, "RTST");
    append_little_endian(table, 7, 4);
    table.insert(table.end(), body.begin(), body.end());
    write_little_endian(table, 4, table.size(), 4);
    fill_checksum(table, 9, table.size());
    return table;
}

Bytes make_root_table(
    std::string_view signature, const std::vector<std::uint64_t>& addresses, std::size_t entry_size)
{
    Bytes body;
    for (std::uint64_t address : addresses)
        append_little_endian(body, address, entry_size);
    return make_table(signature, body);
}

// RSDP layout (ACPI 6.5, section 5.2.5.3): 20 bytes for version 1, 36 for version 2.
Bytes make_rsdp(
    std::uint8_t revision, std::uint32_t rsdt_address, std::uint64_t xsdt_address, std::size_t length = 36)
{
    Bytes rsdp;
    append_text(rsdp, "RSD PTR ");
    rsdp.push_back(0); // checksum
    append_text(rsdp, "BOCHS ");
    rsdp.push_back(revision);
    append_little_endian(rsdp, rsdt_address, 4);
    append_little_endian(rsdp, 36, 4);
    append_little_endian(rsdp, xsdt_address, 8);
    rsdp.push_back(0); // extended checksum
    append_little_endian(rsdp, 0, 3);
    fill_checksum(rsdp, 8, 20);
    fill_checksum(rsdp, 32, 36);
    rsdp.resize(length);
    return rsdp;
}

Core::ReadonlyBytes view(const Bytes& bytes)
{
    return { bytes.data(), bytes.size() };
}

std::string_view text(Core::StringView view)
{
    return { view.characters(), view.length() };
}

// Physical memory made of buffers at chosen addresses. A request is readable when it lies wholly
// inside one buffer; every request is recorded.
class FakePhysicalMemory final : public PhysicalMemoryReader {
public:
    void place(std::uint64_t address, Bytes bytes) { m_regions[address] = std::move(bytes); }

    Core::Optional<Core::ReadonlyBytes> map(std::uint64_t address, std::uint64_t length) override
    {
        requests.emplace_back(address, length);
        for (const auto& [region_address, region] : m_regions) {
            if (address < region_address || length > region.size())
                continue;
            if (address - region_address > region.size() - length)
                continue;
            return Core::ReadonlyBytes(region.data() + (address - region_address), length);
        }
        return {};
    }

    std::vector<std::pair<std::uint64_t, std::uint64_t>> requests;

private:
    std::map<std::uint64_t, Bytes> m_regions;
};

template<typename T> void expect_error(const Core::Result<T>& result, Core::ErrorCode expected)
{
    ASSERT_TRUE(result.is_error());
    EXPECT_STREQ(result.error().name(), ABI::error_code_name(expected));
}

// ---- RSDP ---------------------------------------------------------------------------------------

TEST(AcpiRsdp, version_1_is_parsed)
{
    auto result = parse_rsdp(view(make_rsdp(0, 0x7FE1234, 0, 20)));
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().revision, 0);
    EXPECT_EQ(result.value().rsdt_address, 0x7FE1234u);
    EXPECT_EQ(result.value().xsdt_address, 0u);
    EXPECT_EQ(text(result.value().oem_id.view()), "BOCHS");
}

TEST(AcpiRsdp, version_2_is_parsed_with_its_xsdt)
{
    auto result = parse_rsdp(view(make_rsdp(2, 0x7FE1234, 0x1'2345'6780)));
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().revision, 2);
    EXPECT_EQ(result.value().rsdt_address, 0x7FE1234u);
    EXPECT_EQ(result.value().xsdt_address, 0x1'2345'6780u);
}

TEST(AcpiRsdp, wrong_signature_is_rejected)
{
    Bytes rsdp = make_rsdp(2, 0x1000, 0x2000);
    rsdp[3] = 'X';
    fill_checksum(rsdp, 8, 20);
    fill_checksum(rsdp, 32, 36);
    expect_error(parse_rsdp(view(rsdp)), Core::ErrorCode::Malformed);
}

TEST(AcpiRsdp, bad_version_1_checksum_is_rejected)
{
    Bytes rsdp = make_rsdp(0, 0x1000, 0, 20);
    rsdp[16] ^= 0x01;
    expect_error(parse_rsdp(view(rsdp)), Core::ErrorCode::Malformed);
}

TEST(AcpiRsdp, bad_extended_checksum_is_rejected_even_with_a_good_version_1_checksum)
{
    Bytes rsdp = make_rsdp(2, 0x1000, 0x2000);
    rsdp[24] ^= 0x10; // the XSDT address, outside the first 20 bytes
    fill_checksum(rsdp, 8, 20);
    expect_error(parse_rsdp(view(rsdp)), Core::ErrorCode::Malformed);
}

TEST(AcpiRsdp, version_1_ignores_bytes_after_the_first_20)
{
    Bytes rsdp = make_rsdp(0, 0x1000, 0x2000);
    rsdp[30] = 0x55; // breaks the extended checksum, which version 1 does not have
    auto result = parse_rsdp(view(rsdp));
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().xsdt_address, 0u);
}

TEST(AcpiRsdp, too_short_is_rejected)
{
    Bytes rsdp = make_rsdp(0, 0x1000, 0, 20);
    rsdp.pop_back();
    expect_error(parse_rsdp(view(rsdp)), Core::ErrorCode::Malformed);
    expect_error(parse_rsdp({}), Core::ErrorCode::Malformed);
}

TEST(AcpiRsdp, version_2_length_field_is_checked)
{
    Bytes short_length = make_rsdp(2, 0x1000, 0x2000);
    write_little_endian(short_length, 20, 35, 4);
    fill_checksum(short_length, 8, 20);
    fill_checksum(short_length, 32, 36);
    expect_error(parse_rsdp(view(short_length)), Core::ErrorCode::Malformed);

    // A length beyond the bytes given cannot be checksummed.
    Bytes long_length = make_rsdp(2, 0x1000, 0x2000);
    write_little_endian(long_length, 20, 40, 4);
    fill_checksum(long_length, 8, 20);
    fill_checksum(long_length, 32, 36);
    expect_error(parse_rsdp(view(long_length)), Core::ErrorCode::Malformed);
}

TEST(AcpiRsdp, version_2_given_as_20_bytes_falls_back_to_the_rsdt)
{
    auto result = parse_rsdp(view(make_rsdp(2, 0x1000, 0x2000, 20)));
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().revision, 2);
    EXPECT_EQ(result.value().rsdt_address, 0x1000u);
    EXPECT_EQ(result.value().xsdt_address, 0u);
}

TEST(AcpiRsdp, unprintable_oem_id_bytes_are_masked)
{
    Bytes rsdp = make_rsdp(0, 0x1000, 0, 20);
    rsdp[9] = 0x07;
    rsdp[10] = 0xC3;
    fill_checksum(rsdp, 8, 20);
    auto result = parse_rsdp(view(rsdp));
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(text(result.value().oem_id.view()), "??CHS");
}

// ---- Table header and load_table() --------------------------------------------------------------

TEST(AcpiTableHeader, fields_are_decoded)
{
    Bytes table = make_table("APIC", Bytes(8, 0), 4);
    auto result = Kernel::ACPI::parse_table_header(view(table));
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(text(result.value().signature.view()), "APIC");
    EXPECT_EQ(result.value().length, 44u);
    EXPECT_EQ(result.value().revision, 4);
    EXPECT_EQ(result.value().checksum, table[9]);
    EXPECT_EQ(text(result.value().oem_id.view()), "RAEEN");
    EXPECT_EQ(text(result.value().oem_table_id.view()), "TESTTABL");
    EXPECT_EQ(result.value().oem_revision, 0x20240601u);
    EXPECT_EQ(text(result.value().creator_id.view()), "RTST");
    EXPECT_EQ(result.value().creator_revision, 7u);

    table.resize(35);
    expect_error(Kernel::ACPI::parse_table_header(view(table)), Core::ErrorCode::Malformed);
}

TEST(AcpiTableHeader, body_is_what_follows_the_header)
{
    Bytes table = make_table("DSDT", { 0x08, 0x5F });
    Core::ReadonlyBytes body = Kernel::ACPI::table_contents_after_header(view(table));
    ASSERT_EQ(body.size(), 2u);
    EXPECT_EQ(body[0], 0x08);
    EXPECT_TRUE(Kernel::ACPI::table_contents_after_header(Core::ReadonlyBytes(table.data(), 10)).is_empty());
}

TEST(AcpiLoadTable, valid_table_is_returned_with_exactly_its_length)
{
    FakePhysicalMemory memory;
    Bytes table = make_table("HPET", Bytes(20, 0xAB));
    Bytes region = table;
    region.resize(table.size() + 100, 0xEE); // more readable memory after the table
    memory.place(0x1003, region); // deliberately unaligned
    auto result = load_table(memory, 0x1003, "HPET");
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().size(), table.size());
    EXPECT_EQ(result.value().data(), memory.map(0x1003, 1)->data());
}

TEST(AcpiLoadTable, empty_signature_accepts_any_table)
{
    FakePhysicalMemory memory;
    memory.place(0x2000, make_table("ABCD", {}));
    EXPECT_FALSE(load_table(memory, 0x2000, "").is_error());
}

TEST(AcpiLoadTable, address_zero_is_not_found)
{
    FakePhysicalMemory memory;
    memory.place(0, make_table("APIC", {}));
    expect_error(load_table(memory, 0, "APIC"), Core::ErrorCode::NotFound);
}

TEST(AcpiLoadTable, unmapped_header_is_out_of_range)
{
    FakePhysicalMemory memory;
    expect_error(load_table(memory, 0x5000, "APIC"), Core::ErrorCode::OutOfRange);

    Bytes table = make_table("APIC", {});
    table.resize(20); // only part of the header is readable
    memory.place(0x5000, table);
    expect_error(load_table(memory, 0x5000, "APIC"), Core::ErrorCode::OutOfRange);
}

TEST(AcpiLoadTable, length_beyond_mapped_memory_is_out_of_range)
{
    FakePhysicalMemory memory;
    Bytes table = make_table("APIC", Bytes(64, 0));
    table.resize(table.size() - 1);
    memory.place(0x6000, table);
    expect_error(load_table(memory, 0x6000, "APIC"), Core::ErrorCode::OutOfRange);
}

TEST(AcpiLoadTable, bad_checksum_is_malformed)
{
    FakePhysicalMemory memory;
    Bytes table = make_table("APIC", Bytes(8, 0));
    table[40] = 1;
    memory.place(0x6000, table);
    expect_error(load_table(memory, 0x6000, "APIC"), Core::ErrorCode::Malformed);
}

TEST(AcpiLoadTable, wrong_signature_is_wrong_type)
{
    FakePhysicalMemory memory;
    memory.place(0x6000, make_table("APIC", {}));
    expect_error(load_table(memory, 0x6000, "HPET"), Core::ErrorCode::WrongType);
}

TEST(AcpiLoadTable, signature_of_the_wrong_length_is_a_caller_error)
{
    FakePhysicalMemory memory;
    memory.place(0x6000, make_table("APIC", {}));
    expect_error(load_table(memory, 0x6000, "API"), Core::ErrorCode::InvalidArgument);
}

TEST(AcpiLoadTable, length_below_the_header_is_malformed)
{
    FakePhysicalMemory memory;
    Bytes table = make_table("APIC", {});
    write_little_endian(table, 4, 35, 4);
    fill_checksum(table, 9, 36);
    memory.place(0x6000, table);
    expect_error(load_table(memory, 0x6000, "APIC"), Core::ErrorCode::Malformed);
}

TEST(AcpiLoadTable, huge_length_is_malformed_without_mapping_it)
{
    FakePhysicalMemory memory;
    Bytes table = make_table("APIC", {});
    write_little_endian(table, 4, Kernel::ACPI::maximum_table_length + 1, 4);
    memory.place(0x6000, table);
    expect_error(load_table(memory, 0x6000, "APIC"), Core::ErrorCode::Malformed);
    for (const auto& [address, length] : memory.requests)
        EXPECT_EQ(length, 36u) << "mapped more than the header at " << address;
}

TEST(AcpiLoadTable, length_that_wraps_the_address_space_is_out_of_range)
{
    FakePhysicalMemory memory;
    std::uint64_t address = std::numeric_limits<std::uint64_t>::max() - 35;
    Bytes table = make_table("APIC", Bytes(64, 0));
    table.resize(36);
    memory.place(address, table);
    expect_error(load_table(memory, address, "APIC"), Core::ErrorCode::OutOfRange);
    for (const auto& request : memory.requests)
        EXPECT_EQ(request.second, 36u);
}

// Hands out a header whose length says 40, then a 40-byte table whose length field says 44, as
// memory changing between the two mappings would.
class ChangingMemory final : public PhysicalMemoryReader {
public:
    ChangingMemory()
    {
        m_first = make_table("APIC", Bytes(4, 0));
        m_second = m_first;
        write_little_endian(m_second, 4, 44, 4);
        fill_checksum(m_second, 9, m_second.size());
    }
    Core::Optional<Core::ReadonlyBytes> map(std::uint64_t, std::uint64_t length) override
    {
        const Bytes& source = m_calls++ == 0 ? m_first : m_second;
        if (length > source.size())
            return {};
        return Core::ReadonlyBytes(source.data(), length);
    }

private:
    Bytes m_first;
    Bytes m_second;
    int m_calls { 0 };
};

TEST(AcpiLoadTable, length_that_changes_between_mappings_is_malformed)
{
    ChangingMemory memory;
    expect_error(load_table(memory, 0x1000, "APIC"), Core::ErrorCode::Malformed);
}

// A reader that breaks its contract by returning fewer bytes than asked for.
class ShortReader final : public PhysicalMemoryReader {
public:
    Core::Optional<Core::ReadonlyBytes> map(std::uint64_t, std::uint64_t length) override
    {
        return Core::ReadonlyBytes(m_table.data(), std::min<std::uint64_t>(length, m_table.size()) - 1);
    }
    Bytes m_table = make_table("APIC", Bytes(8, 0));
};

TEST(AcpiLoadTable, short_mapping_is_treated_as_unreadable)
{
    ShortReader reader;
    expect_error(load_table(reader, 0x1000, "APIC"), Core::ErrorCode::OutOfRange);
}

// ---- Root table ---------------------------------------------------------------------------------

TEST(AcpiRootTable, version_1_uses_the_rsdt_with_4_byte_entries)
{
    FakePhysicalMemory memory;
    memory.place(0x7000, make_root_table("RSDT", { 0x8000, 0x9000, 0xA000 }, 4));
    auto rsdp = parse_rsdp(view(make_rsdp(0, 0x7000, 0, 20)));
    ASSERT_FALSE(rsdp.is_error());
    auto result = load_root_table(memory, rsdp.value());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    const TableDirectory& directory = result.value();
    EXPECT_EQ(directory.root_kind, RootTableKind::Rsdt);
    EXPECT_EQ(directory.root_address, 0x7000u);
    ASSERT_EQ(directory.table_addresses.size(), 3u);
    EXPECT_EQ(directory.table_addresses[0], 0x8000u);
    EXPECT_EQ(directory.table_addresses[1], 0x9000u);
    EXPECT_EQ(directory.table_addresses[2], 0xA000u);
    EXPECT_EQ(directory.dropped_entry_count, 0u);
    EXPECT_EQ(directory.trailing_byte_count, 0u);
    EXPECT_FALSE(directory.xsdt_error.has_value());
}

TEST(AcpiRootTable, version_2_prefers_the_xsdt_with_8_byte_entries)
{
    FakePhysicalMemory memory;
    memory.place(0x7000, make_root_table("RSDT", { 0x8000 }, 4));
    memory.place(0x1'0000'0000, make_root_table("XSDT", { 0x2'0000'0000, 0x9000 }, 8));
    auto rsdp = parse_rsdp(view(make_rsdp(2, 0x7000, 0x1'0000'0000)));
    ASSERT_FALSE(rsdp.is_error());
    auto result = load_root_table(memory, rsdp.value());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().root_kind, RootTableKind::Xsdt);
    EXPECT_EQ(result.value().root_address, 0x1'0000'0000u);
    ASSERT_EQ(result.value().table_addresses.size(), 2u);
    EXPECT_EQ(result.value().table_addresses[0], 0x2'0000'0000u);
    EXPECT_EQ(result.value().table_addresses[1], 0x9000u);
}

TEST(AcpiRootTable, version_2_without_an_xsdt_address_uses_the_rsdt)
{
    FakePhysicalMemory memory;
    memory.place(0x7000, make_root_table("RSDT", { 0x8000 }, 4));
    auto rsdp = parse_rsdp(view(make_rsdp(2, 0x7000, 0)));
    ASSERT_FALSE(rsdp.is_error());
    auto result = load_root_table(memory, rsdp.value());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().root_kind, RootTableKind::Rsdt);
    EXPECT_FALSE(result.value().xsdt_error.has_value());
}

TEST(AcpiRootTable, revision_below_2_ignores_an_xsdt_address)
{
    FakePhysicalMemory memory;
    memory.place(0x7000, make_root_table("RSDT", { 0x8000 }, 4));
    memory.place(0x9000, make_root_table("XSDT", { 0xA000 }, 8));
    Rsdp rsdp;
    rsdp.revision = 1;
    rsdp.rsdt_address = 0x7000;
    rsdp.xsdt_address = 0x9000;
    auto result = load_root_table(memory, rsdp);
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().root_kind, RootTableKind::Rsdt);
}

TEST(AcpiRootTable, broken_xsdt_falls_back_to_the_rsdt_and_says_why)
{
    FakePhysicalMemory memory;
    memory.place(0x7000, make_root_table("RSDT", { 0x8000 }, 4));
    Bytes xsdt = make_root_table("XSDT", { 0x9000 }, 8);
    xsdt[40] ^= 0xFF;
    memory.place(0x9000, xsdt);
    auto rsdp = parse_rsdp(view(make_rsdp(2, 0x7000, 0x9000)));
    ASSERT_FALSE(rsdp.is_error());
    auto result = load_root_table(memory, rsdp.value());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().root_kind, RootTableKind::Rsdt);
    ASSERT_TRUE(result.value().xsdt_error.has_value());
    EXPECT_EQ(*result.value().xsdt_error, Core::ErrorCode::Malformed);
}

TEST(AcpiRootTable, broken_xsdt_without_an_rsdt_is_an_error)
{
    FakePhysicalMemory memory;
    auto rsdp = parse_rsdp(view(make_rsdp(2, 0, 0x9000)));
    ASSERT_FALSE(rsdp.is_error());
    expect_error(load_root_table(memory, rsdp.value()), Core::ErrorCode::OutOfRange);
}

TEST(AcpiRootTable, root_with_the_wrong_signature_is_rejected)
{
    FakePhysicalMemory memory;
    memory.place(0x7000, make_root_table("XSDT", { 0x8000 }, 4));
    auto rsdp = parse_rsdp(view(make_rsdp(0, 0x7000, 0, 20)));
    ASSERT_FALSE(rsdp.is_error());
    expect_error(load_root_table(memory, rsdp.value()), Core::ErrorCode::WrongType);
}

TEST(AcpiRootTable, entries_beyond_capacity_are_counted)
{
    FakePhysicalMemory memory;
    std::vector<std::uint64_t> addresses;
    for (std::uint64_t index = 0; index < 70; ++index)
        addresses.push_back(0x10000 + index * 0x100);
    memory.place(0x7000, make_root_table("RSDT", addresses, 4));
    auto rsdp = parse_rsdp(view(make_rsdp(0, 0x7000, 0, 20)));
    ASSERT_FALSE(rsdp.is_error());
    auto result = load_root_table(memory, rsdp.value());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    EXPECT_EQ(result.value().table_addresses.size(), 64u);
    EXPECT_EQ(result.value().dropped_entry_count, 6u);
    EXPECT_EQ(result.value().table_addresses[63], 0x10000u + 63 * 0x100);
}

TEST(AcpiRootTable, partial_trailing_entry_is_ignored_and_counted)
{
    FakePhysicalMemory memory;
    Bytes body;
    append_little_endian(body, 0x8000, 8);
    append_little_endian(body, 0x9000, 5);
    memory.place(0x7000, make_table("XSDT", body));
    auto rsdp = parse_rsdp(view(make_rsdp(2, 0, 0x7000)));
    ASSERT_FALSE(rsdp.is_error());
    auto result = load_root_table(memory, rsdp.value());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    ASSERT_EQ(result.value().table_addresses.size(), 1u);
    EXPECT_EQ(result.value().trailing_byte_count, 5u);
}

// ---- TableDirectory::find() ---------------------------------------------------------------------

// A directory over: a valid MADT, an entry at 0, an unmapped entry, a FADT with a bad checksum,
// a valid HPET, a valid FADT, and two SSDTs.
struct FindFixture {
    FakePhysicalMemory memory;
    TableDirectory directory;

    FindFixture()
    {
        memory.place(0x10000, make_table("APIC", Bytes(8, 0)));
        Bytes broken_fadt = make_table("FACP", Bytes(80, 0));
        broken_fadt[50] = 1;
        memory.place(0x12000, broken_fadt);
        memory.place(0x13000, make_table("HPET", Bytes(20, 0)));
        Bytes good_fadt = make_table("FACP", Bytes(80, 0));
        good_fadt[50] = 2;
        fill_checksum(good_fadt, 9, good_fadt.size());
        memory.place(0x14000, good_fadt);
        memory.place(0x15000, make_table("SSDT", { 1 }));
        memory.place(0x16000, make_table("SSDT", { 2 }));
        memory.place(0x17000,
            make_root_table(
                "RSDT", { 0x10000, 0, 0xDEAD0000, 0x12000, 0x13000, 0x14000, 0x15000, 0x16000 }, 4));
        Rsdp rsdp;
        rsdp.rsdt_address = 0x17000;
        auto result = load_root_table(memory, rsdp);
        EXPECT_FALSE(result.is_error());
        if (!result.is_error())
            directory = result.release_value();
    }
};

TEST(AcpiTableDirectory, finds_a_table_by_signature)
{
    FindFixture fixture;
    auto madt = fixture.directory.find("APIC", fixture.memory);
    ASSERT_FALSE(madt.is_error()) << madt.error().name();
    EXPECT_EQ(madt.value().size(), 44u);
    EXPECT_EQ(madt.value().data(), fixture.memory.map(0x10000, 1)->data());
}

TEST(AcpiTableDirectory, skips_invalid_entries_and_records_them_once)
{
    FindFixture fixture;
    TableDirectory& directory = fixture.directory;

    auto fadt = directory.find("FACP", fixture.memory);
    ASSERT_FALSE(fadt.is_error()) << fadt.error().name();
    EXPECT_EQ(fadt.value()[50], 2) << "the FADT with the bad checksum must be skipped";

    ASSERT_EQ(directory.invalid_tables.size(), 3u);
    EXPECT_EQ(directory.invalid_tables[0].entry_index, 1u);
    EXPECT_EQ(directory.invalid_tables[0].physical_address, 0u);
    EXPECT_EQ(directory.invalid_tables[0].reason, Core::ErrorCode::NotFound);
    EXPECT_EQ(directory.invalid_tables[1].entry_index, 2u);
    EXPECT_EQ(directory.invalid_tables[1].physical_address, 0xDEAD0000u);
    EXPECT_EQ(directory.invalid_tables[1].reason, Core::ErrorCode::OutOfRange);
    EXPECT_EQ(directory.invalid_tables[2].entry_index, 3u);
    EXPECT_EQ(directory.invalid_tables[2].reason, Core::ErrorCode::Malformed);

    // Searching again passes the same entries without loading or recording them again.
    std::size_t requests_before = fixture.memory.requests.size();
    expect_error(directory.find("MCFG", fixture.memory), Core::ErrorCode::NotFound);
    EXPECT_EQ(directory.invalid_tables.size(), 3u);
    for (std::size_t index = requests_before; index < fixture.memory.requests.size(); ++index) {
        EXPECT_NE(fixture.memory.requests[index].first, 0xDEAD0000u);
        EXPECT_NE(fixture.memory.requests[index].first, 0x12000u);
    }
}

TEST(AcpiTableDirectory, occurrence_selects_later_tables_with_the_same_signature)
{
    FindFixture fixture;
    auto first = fixture.directory.find("SSDT", fixture.memory);
    auto second = fixture.directory.find("SSDT", fixture.memory, 1);
    ASSERT_FALSE(first.is_error());
    ASSERT_FALSE(second.is_error());
    EXPECT_EQ(first.value()[36], 1);
    EXPECT_EQ(second.value()[36], 2);
    expect_error(fixture.directory.find("SSDT", fixture.memory, 2), Core::ErrorCode::NotFound);
}

TEST(AcpiTableDirectory, missing_table_is_not_found)
{
    FindFixture fixture;
    expect_error(fixture.directory.find("MCFG", fixture.memory), Core::ErrorCode::NotFound);
}

TEST(AcpiTableDirectory, signature_of_the_wrong_length_is_a_caller_error)
{
    FindFixture fixture;
    expect_error(fixture.directory.find("APICX", fixture.memory), Core::ErrorCode::InvalidArgument);
    expect_error(fixture.directory.find("", fixture.memory), Core::ErrorCode::InvalidArgument);
}

} // namespace
