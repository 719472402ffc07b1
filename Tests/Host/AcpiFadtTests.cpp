// Tests for the fixed-layout ACPI tables: FADT (short and long forms, X_ field preference), HPET,
// MCFG and the DMAR. Field offsets are written out here from the specifications rather than taken from
// the parsers, so a wrong offset in a parser shows up as a failing test.

#include <Kernel/ACPI/Dmar.h>
#include <Kernel/ACPI/Fadt.h>
#include <Kernel/ACPI/Hpet.h>
#include <Kernel/ACPI/Mcfg.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <string_view>
#include <vector>

namespace {

using Kernel::ACPI::AddressSpace;
using Kernel::ACPI::FadtInfo;
using Kernel::ACPI::GenericAddress;
using Kernel::ACPI::HpetInfo;
using Kernel::ACPI::McfgInfo;
using Bytes = std::vector<std::uint8_t>;

void write_little_endian(Bytes& bytes, std::size_t offset, std::uint64_t value, std::size_t byte_count)
{
    for (std::size_t index = 0; index < byte_count; ++index)
        bytes.at(offset + index) = static_cast<std::uint8_t>(value >> (8 * index));
}

// A table of `length` bytes with a header (signature, length, revision) and zeros elsewhere;
// fields are then written at their offsets. The checksum is left alone: the parsers rely on
// load_table() for it.
class FixedTable {
public:
    FixedTable(std::string_view signature, std::size_t length, std::uint8_t revision)
        : m_bytes(length, 0)
    {
        for (std::size_t index = 0; index < 4; ++index)
            m_bytes.at(index) = static_cast<std::uint8_t>(signature[index]);
        write_little_endian(m_bytes, 4, length, 4);
        m_bytes.at(8) = revision;
    }

    FixedTable& set(std::size_t offset, std::uint64_t value, std::size_t byte_count)
    {
        write_little_endian(m_bytes, offset, value, byte_count);
        return *this;
    }
    FixedTable& set_address(
        std::size_t offset, std::uint8_t space, std::uint8_t bit_width, std::uint64_t address)
    {
        m_bytes.at(offset) = space;
        m_bytes.at(offset + 1) = bit_width;
        m_bytes.at(offset + 2) = 0;
        m_bytes.at(offset + 3) = 1;
        return set(offset + 4, address, 8);
    }
    // Sets the length field, for tables whose declared length differs from their size.
    FixedTable& declare_length(std::uint32_t length) { return set(4, length, 4); }

    const Bytes& bytes() const { return m_bytes; }
    Core::ReadonlyBytes view() const { return { m_bytes.data(), m_bytes.size() }; }

private:
    Bytes m_bytes;
};

template<typename T> void expect_error(const Core::Result<T>& result, std::string_view expected)
{
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(std::string_view(result.error().name()), expected);
}

void expect_io_block(const Core::Optional<GenericAddress>& block, std::uint64_t port, std::uint8_t bit_width)
{
    ASSERT_TRUE(block.has_value());
    EXPECT_EQ(block->address_space, AddressSpace::SystemIo);
    EXPECT_EQ(block->address, port);
    EXPECT_EQ(block->register_bit_width, bit_width);
}

// ---- FADT (ACPI 6.5, section 5.2.9) -------------------------------------------------------------

// The ACPI 1.0 part of a FADT that QEMU's PIIX4 machine would describe.
FixedTable make_fadt(std::size_t length, std::uint8_t revision)
{
    FixedTable fadt("FACP", length, revision);
    fadt.set(36, 0x7FE0000, 4) // FIRMWARE_CTRL
        .set(40, 0x7FE0040, 4) // DSDT
        .set(46, 9, 2) // SCI_INT
        .set(48, 0xB2, 4) // SMI_CMD
        .set(52, 0xF1, 1) // ACPI_ENABLE
        .set(53, 0xF0, 1) // ACPI_DISABLE
        .set(56, 0x600, 4) // PM1a_EVT_BLK
        .set(64, 0x604, 4) // PM1a_CNT_BLK
        .set(76, 0x608, 4) // PM_TMR_BLK
        .set(88, 4, 1) // PM1_EVT_LEN
        .set(89, 2, 1) // PM1_CNT_LEN
        .set(91, 4, 1) // PM_TMR_LEN
        .set(108, 0x32, 1) // CENTURY
        .set(109, 0x2 | 0x4, 2) // IAPC_BOOT_ARCH: 8042, no VGA
        .set(112, (1u << 10) | (1u << 8), 4); // flags: RESET_REG_SUP, TMR_VAL_EXT
    return fadt;
}

FadtInfo parse_fadt_successfully(const FixedTable& table)
{
    auto result = Kernel::ACPI::parse_fadt(table.view());
    EXPECT_FALSE(result.is_error()) << result.error().name();
    if (result.is_error())
        return {};
    return result.release_value();
}

TEST(AcpiFadt, version_1_table_reads_its_fields_and_nothing_beyond)
{
    FadtInfo info = parse_fadt_successfully(make_fadt(116, 1));
    EXPECT_EQ(info.revision, 1);
    EXPECT_EQ(info.length, 116u);
    EXPECT_EQ(info.dsdt_address, 0x7FE0040u);
    EXPECT_EQ(info.firmware_control_address, 0x7FE0000u);
    EXPECT_EQ(info.sci_interrupt, 9);
    EXPECT_EQ(info.smi_command_port, 0xB2u);
    EXPECT_EQ(info.acpi_enable_value, 0xF1);
    EXPECT_EQ(info.acpi_disable_value, 0xF0);
    expect_io_block(info.pm1a_event_block, 0x600, 32);
    expect_io_block(info.pm1a_control_block, 0x604, 16);
    expect_io_block(info.pm_timer_block, 0x608, 32);
    EXPECT_FALSE(info.pm1b_event_block.has_value());
    EXPECT_FALSE(info.pm1b_control_block.has_value());
    EXPECT_EQ(info.pm1_event_length, 4);
    EXPECT_EQ(info.pm1_control_length, 2);
    EXPECT_EQ(info.pm_timer_length, 4);
    EXPECT_EQ(info.century_register, 0x32);
    EXPECT_TRUE(info.has_flag(Kernel::ACPI::FadtFlags::reset_register_supported));
    EXPECT_TRUE(info.has_flag(Kernel::ACPI::FadtFlags::timer_value_is_32_bit));
    EXPECT_FALSE(info.is_hardware_reduced());
    // The reset register and the minor version lie beyond 116 bytes.
    EXPECT_FALSE(info.reset_register.has_value());
    EXPECT_FALSE(info.minor_version.has_value());
    // Revision 1 reserved IAPC_BOOT_ARCH, so its bytes are not believed: PC/AT defaults.
    EXPECT_FALSE(info.boot_architecture_flags.has_value());
    EXPECT_TRUE(info.has_8042());
    EXPECT_TRUE(info.has_vga());
    EXPECT_TRUE(info.has_cmos_rtc());
}

TEST(AcpiFadt, later_revision_reads_boot_architecture_flags)
{
    FixedTable fadt = make_fadt(244, 3);
    fadt.set(109, 0x2 | 0x4 | 0x20, 2);
    FadtInfo info = parse_fadt_successfully(fadt);
    ASSERT_TRUE(info.boot_architecture_flags.has_value());
    EXPECT_EQ(*info.boot_architecture_flags, 0x26);
    EXPECT_TRUE(info.has_8042());
    EXPECT_FALSE(info.has_vga());
    EXPECT_FALSE(info.has_cmos_rtc());

    fadt.set(109, 0, 2);
    EXPECT_FALSE(parse_fadt_successfully(fadt).has_8042());
}

TEST(AcpiFadt, reset_register_is_read_when_supported_and_present)
{
    FixedTable fadt = make_fadt(244, 3);
    fadt.set_address(116, 1, 8, 0xCF9).set(128, 0x06, 1);
    FadtInfo info = parse_fadt_successfully(fadt);
    ASSERT_TRUE(info.reset_register.has_value());
    EXPECT_EQ(info.reset_register->address.address_space, AddressSpace::SystemIo);
    EXPECT_EQ(info.reset_register->address.address, 0xCF9u);
    EXPECT_EQ(info.reset_register->address.register_bit_width, 8);
    EXPECT_EQ(info.reset_register->address.access_size, 1);
    EXPECT_EQ(info.reset_register->value, 0x06);
}

TEST(AcpiFadt, reset_register_is_absent_without_the_flag_or_with_a_bad_space)
{
    FixedTable without_flag = make_fadt(244, 3);
    without_flag.set_address(116, 1, 8, 0xCF9).set(128, 0x06, 1).set(112, 0, 4);
    EXPECT_FALSE(parse_fadt_successfully(without_flag).reset_register.has_value());

    FixedTable embedded_controller_space = make_fadt(244, 3);
    embedded_controller_space.set_address(116, 3, 8, 0x66).set(128, 0x06, 1);
    EXPECT_FALSE(parse_fadt_successfully(embedded_controller_space).reset_register.has_value());

    FixedTable zero_address = make_fadt(244, 3);
    zero_address.set(128, 0x06, 1);
    EXPECT_FALSE(parse_fadt_successfully(zero_address).reset_register.has_value());

    // 128 bytes: the register fits but the reset value does not.
    FixedTable cut_short = make_fadt(128, 3);
    cut_short.set_address(116, 1, 8, 0xCF9);
    EXPECT_FALSE(parse_fadt_successfully(cut_short).reset_register.has_value());
}

TEST(AcpiFadt, extended_fields_are_preferred_when_non_zero)
{
    FixedTable fadt = make_fadt(276, 6);
    fadt.set(131, 4, 1) // minor version
        .set(132, 0x1'0000'0000, 8) // X_FIRMWARE_CTRL
        .set(140, 0x2'0000'0000, 8) // X_DSDT
        .set_address(148, 0, 32, 0xFED0'0600) // X_PM1a_EVT_BLK, memory-mapped
        .set_address(172, 1, 16, 0x1604) // X_PM1a_CNT_BLK, a different port
        .set_address(208, 1, 32, 0x1608); // X_PM_TMR_BLK
    FadtInfo info = parse_fadt_successfully(fadt);
    EXPECT_EQ(info.dsdt_address, 0x2'0000'0000u);
    EXPECT_EQ(info.firmware_control_address, 0x1'0000'0000u);
    ASSERT_TRUE(info.pm1a_event_block.has_value());
    EXPECT_EQ(info.pm1a_event_block->address_space, AddressSpace::SystemMemory);
    EXPECT_EQ(info.pm1a_event_block->address, 0xFED0'0600u);
    expect_io_block(info.pm1a_control_block, 0x1604, 16);
    EXPECT_EQ(info.pm1a_control_block->access_size, 1);
    expect_io_block(info.pm_timer_block, 0x1608, 32);
    ASSERT_TRUE(info.minor_version.has_value());
    EXPECT_EQ(*info.minor_version, 4);
}

TEST(AcpiFadt, zero_extended_fields_fall_back_to_the_32_bit_ones)
{
    FixedTable fadt = make_fadt(276, 6);
    // X_PM1a_CNT_BLK present in the table but zero; X_PM1b_CNT_BLK zero and no PM1b port.
    fadt.set_address(172, 1, 16, 0);
    FadtInfo info = parse_fadt_successfully(fadt);
    EXPECT_EQ(info.dsdt_address, 0x7FE0040u);
    EXPECT_EQ(info.firmware_control_address, 0x7FE0000u);
    expect_io_block(info.pm1a_control_block, 0x604, 16);
    EXPECT_FALSE(info.pm1b_control_block.has_value());
}

TEST(AcpiFadt, extended_fields_beyond_the_length_are_not_read)
{
    // The bytes hold X_DSDT and X_PM1a_CNT_BLK, but the declared length stops at 140: both are
    // beyond the table.
    FixedTable fadt = make_fadt(276, 3);
    fadt.set(132, 0x1'0000'0000, 8).set(140, 0x2'0000'0000, 8).set_address(172, 1, 16, 0x1604);
    fadt.declare_length(140);
    FadtInfo info = parse_fadt_successfully(fadt);
    EXPECT_EQ(info.length, 140u);
    EXPECT_EQ(info.firmware_control_address, 0x1'0000'0000u);
    EXPECT_EQ(info.dsdt_address, 0x7FE0040u);
    expect_io_block(info.pm1a_control_block, 0x604, 16);
}

TEST(AcpiFadt, pm1b_blocks_and_long_lengths)
{
    FixedTable fadt = make_fadt(116, 1);
    fadt.set(60, 0x700, 4).set(68, 0x704, 4).set(88, 32, 1);
    FadtInfo info = parse_fadt_successfully(fadt);
    // A 32-byte block is 256 bits, which the GAS's 8-bit width cannot say.
    expect_io_block(info.pm1b_event_block, 0x700, 0);
    EXPECT_EQ(info.pm1_event_length, 32);
    expect_io_block(info.pm1b_control_block, 0x704, 16);
}

TEST(AcpiFadt, hardware_reduced_flag)
{
    FixedTable fadt = make_fadt(276, 6);
    fadt.set(112, 1u << 20, 4).set(56, 0, 4).set(64, 0, 4).set(76, 0, 4);
    FadtInfo info = parse_fadt_successfully(fadt);
    EXPECT_TRUE(info.is_hardware_reduced());
    EXPECT_FALSE(info.pm1a_event_block.has_value());
    EXPECT_FALSE(info.pm1a_control_block.has_value());
    EXPECT_FALSE(info.pm_timer_block.has_value());
}

TEST(AcpiFadt, bad_tables_are_rejected)
{
    expect_error(Kernel::ACPI::parse_fadt(FixedTable("FACP", 115, 1).view()), "Malformed");
    expect_error(Kernel::ACPI::parse_fadt(FixedTable("FADT", 116, 1).view()), "WrongType");
    FixedTable longer_than_given = make_fadt(116, 1);
    longer_than_given.declare_length(117);
    expect_error(Kernel::ACPI::parse_fadt(longer_than_given.view()), "Malformed");
    expect_error(Kernel::ACPI::parse_fadt({}), "Malformed");
}

// ---- HPET (IA-PC HPET Specification 1.0a, section 3.2.4) ----------------------------------------

FixedTable make_hpet()
{
    FixedTable hpet("HPET", 56, 1);
    hpet.set(36, 0x8086A201, 4) // QEMU's block ID: 3 comparators, 64-bit, legacy capable
        .set_address(40, 0, 0, 0xFED00000)
        .set(52, 0, 1)
        .set(53, 0x80, 2)
        .set(55, 0, 1);
    return hpet;
}

TEST(AcpiHpet, fields_are_decoded)
{
    FixedTable hpet = make_hpet();
    hpet.set(52, 2, 1).set(55, 0x21, 1);
    auto result = Kernel::ACPI::parse_hpet_table(hpet.view());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    const HpetInfo& info = result.value();
    EXPECT_EQ(info.base_address, 0xFED00000u);
    EXPECT_EQ(info.event_timer_block_id, 0x8086A201u);
    EXPECT_EQ(info.hardware_revision, 1);
    EXPECT_EQ(info.comparator_count, 3);
    EXPECT_TRUE(info.counter_is_64_bit);
    EXPECT_TRUE(info.legacy_replacement_capable);
    EXPECT_EQ(info.pci_vendor_id, 0x8086);
    EXPECT_EQ(info.hpet_number, 2);
    EXPECT_EQ(info.minimum_tick, 0x80);
    EXPECT_EQ(info.page_protection_and_oem_attribute, 0x21);
}

TEST(AcpiHpet, comparator_count_spans_1_to_32)
{
    FixedTable hpet = make_hpet();
    hpet.set(36, 0x0000'1F01, 4);
    auto result = Kernel::ACPI::parse_hpet_table(hpet.view());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value().comparator_count, 32);
    EXPECT_FALSE(result.value().counter_is_64_bit);
    EXPECT_FALSE(result.value().legacy_replacement_capable);

    hpet.set(36, 0x0000'0001, 4);
    auto one = Kernel::ACPI::parse_hpet_table(hpet.view());
    ASSERT_FALSE(one.is_error());
    EXPECT_EQ(one.value().comparator_count, 1);
}

TEST(AcpiHpet, base_address_must_be_in_system_memory)
{
    FixedTable io_space = make_hpet();
    io_space.set_address(40, 1, 0, 0xFED00000);
    expect_error(Kernel::ACPI::parse_hpet_table(io_space.view()), "NotSupported");

    FixedTable zero = make_hpet();
    zero.set_address(40, 0, 0, 0);
    expect_error(Kernel::ACPI::parse_hpet_table(zero.view()), "Malformed");
}

TEST(AcpiHpet, bad_tables_are_rejected)
{
    FixedTable truncated("HPET", 55, 1);
    expect_error(Kernel::ACPI::parse_hpet_table(truncated.view()), "Malformed");
    FixedTable wrong("HPEX", 56, 1);
    expect_error(Kernel::ACPI::parse_hpet_table(wrong.view()), "WrongType");
    FixedTable beyond = make_hpet();
    beyond.declare_length(57);
    expect_error(Kernel::ACPI::parse_hpet_table(beyond.view()), "Malformed");
}

// ---- MCFG (PCI Firmware Specification 3.2, section 4.1.2) ---------------------------------------

FixedTable make_mcfg(std::size_t entry_count, std::size_t extra_bytes = 0)
{
    return FixedTable("MCFG", 44 + 16 * entry_count + extra_bytes, 1);
}

void set_segment(FixedTable& mcfg, std::size_t index, std::uint64_t base, std::uint16_t group,
    std::uint8_t start, std::uint8_t end)
{
    std::size_t offset = 44 + 16 * index;
    mcfg.set(offset, base, 8).set(offset + 8, group, 2).set(offset + 10, start, 1).set(offset + 11, end, 1);
}

TEST(AcpiMcfg, segments_are_decoded)
{
    FixedTable mcfg = make_mcfg(2);
    set_segment(mcfg, 0, 0xB000'0000, 0, 0, 0xFF);
    set_segment(mcfg, 1, 0x40'0000'0000, 1, 0x10, 0x1F);
    auto result = Kernel::ACPI::parse_mcfg(mcfg.view());
    ASSERT_FALSE(result.is_error()) << result.error().name();
    const McfgInfo& info = result.value();
    ASSERT_EQ(info.segments.size(), 2u);
    EXPECT_EQ(info.segments[0].base_address, 0xB000'0000u);
    EXPECT_EQ(info.segments[0].segment_group, 0);
    EXPECT_EQ(info.segments[0].start_bus, 0);
    EXPECT_EQ(info.segments[0].end_bus, 0xFF);
    EXPECT_EQ(info.segments[1].base_address, 0x40'0000'0000u);
    EXPECT_EQ(info.segments[1].segment_group, 1);
    EXPECT_EQ(info.segments[1].start_bus, 0x10);
    EXPECT_EQ(info.segments[1].end_bus, 0x1F);
    EXPECT_EQ(info.rejected_segments, 0u);
    EXPECT_EQ(info.trailing_byte_count, 0u);
}

TEST(AcpiMcfg, empty_table_is_valid)
{
    auto result = Kernel::ACPI::parse_mcfg(make_mcfg(0).view());
    ASSERT_FALSE(result.is_error());
    EXPECT_TRUE(result.value().segments.is_empty());
}

TEST(AcpiMcfg, nonsense_segments_are_rejected_and_counted)
{
    FixedTable mcfg = make_mcfg(4, 7);
    set_segment(mcfg, 0, 0xB000'0000, 0, 5, 4); // start after end
    set_segment(mcfg, 1, 0, 0, 0, 0xFF); // no base
    set_segment(mcfg, 2, 0xFFFF'FFFF'FFF0'0000, 0, 0, 1); // bus 1's window wraps
    set_segment(mcfg, 3, 0xFFFF'FFFF'FFF0'0000, 0, 0, 0); // exactly fits below 2^64
    auto result = Kernel::ACPI::parse_mcfg(mcfg.view());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value().rejected_segments, 3u);
    ASSERT_EQ(result.value().segments.size(), 1u);
    EXPECT_EQ(result.value().segments[0].end_bus, 0);
    EXPECT_EQ(result.value().trailing_byte_count, 7u);
}

TEST(AcpiMcfg, segments_beyond_capacity_are_counted)
{
    FixedTable mcfg = make_mcfg(20);
    for (std::size_t index = 0; index < 20; ++index)
        set_segment(
            mcfg, index, 0xB000'0000 + index * 0x1000'0000, static_cast<std::uint16_t>(index), 0, 0xFF);
    auto result = Kernel::ACPI::parse_mcfg(mcfg.view());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value().segments.size(), 16u);
    EXPECT_EQ(result.value().dropped_segments, 4u);
    EXPECT_EQ(result.value().segments[15].segment_group, 15);
}

TEST(AcpiMcfg, bad_tables_are_rejected)
{
    expect_error(Kernel::ACPI::parse_mcfg(FixedTable("MCFG", 43, 1).view()), "Malformed");
    expect_error(Kernel::ACPI::parse_mcfg(FixedTable("MCFX", 44, 1).view()), "WrongType");
    FixedTable beyond = make_mcfg(1);
    beyond.declare_length(61);
    expect_error(Kernel::ACPI::parse_mcfg(beyond.view()), "Malformed");
}

// ---- DMAR (Intel VT-d Specification, chapter 8) -------------------------------------------------

// One remapping structure: its 16-bit type and length, then zeros to be filled in.
Bytes make_structure(std::uint16_t type, std::size_t length)
{
    Bytes structure(length, 0);
    write_little_endian(structure, 0, type, 2);
    write_little_endian(structure, 2, length, 2);
    return structure;
}

// A DRHD (8.3): flags at 4, segment at 6, register base at 8, then `scope_count` 8-byte PCI
// endpoint scopes (type 1, length 8).
Bytes make_unit(
    std::uint8_t flags, std::uint16_t segment, std::uint64_t register_base, std::size_t scope_count = 0)
{
    Bytes unit = make_structure(0, 16 + 8 * scope_count);
    unit.at(4) = flags;
    write_little_endian(unit, 6, segment, 2);
    write_little_endian(unit, 8, register_base, 8);
    for (std::size_t scope = 0; scope < scope_count; ++scope) {
        unit.at(16 + 8 * scope) = 1; // an endpoint
        unit.at(16 + 8 * scope + 1) = 8;
        unit.at(16 + 8 * scope + 5) = 0; // start bus
        unit.at(16 + 8 * scope + 6) = static_cast<std::uint8_t>(2 + scope); // device
        unit.at(16 + 8 * scope + 7) = static_cast<std::uint8_t>(scope); // function
    }
    return unit;
}

// An RMRR (8.4): segment at 6, base at 8, limit (inclusive) at 16, one endpoint scope.
Bytes make_region(std::uint16_t segment, std::uint64_t base, std::uint64_t limit)
{
    Bytes region = make_structure(1, 32);
    write_little_endian(region, 6, segment, 2);
    write_little_endian(region, 8, base, 8);
    write_little_endian(region, 16, limit, 8);
    region.at(24) = 1;
    region.at(25) = 8;
    return region;
}

// The 48-byte fixed part (host address width at 36, flags at 37), then the structures.
FixedTable make_dmar(std::uint8_t width_minus_one, std::uint8_t flags, const std::vector<Bytes>& structures)
{
    std::size_t length = 48;
    for (const Bytes& structure : structures)
        length += structure.size();
    FixedTable dmar("DMAR", length, 1);
    dmar.set(36, width_minus_one, 1).set(37, flags, 1);
    std::size_t offset = 48;
    for (const Bytes& structure : structures) {
        for (std::uint8_t byte : structure)
            dmar.set(offset++, byte, 1);
    }
    return dmar;
}

TEST(AcpiDmar, units_and_regions_are_decoded)
{
    FixedTable dmar = make_dmar(38, 0b11,
        { make_unit(0, 0, 0xFED9'1000, 2), make_region(0, 0x7B80'0000, 0x7B8F'FFFF),
            make_structure(2, 8), // an ATSR: counted, not used
            make_unit(1, 0, 0xFED9'0000) });
    auto result = Kernel::ACPI::parse_dmar(dmar.view());
    ASSERT_FALSE(result.is_error());
    const Kernel::ACPI::DmarInfo& info = result.value();
    EXPECT_EQ(info.host_address_width, 39);
    EXPECT_TRUE(info.interrupt_remapping);
    EXPECT_TRUE(info.x2apic_opt_out);
    ASSERT_EQ(info.units.size(), 2u);
    EXPECT_EQ(info.units[0].register_base, 0xFED9'1000u);
    EXPECT_EQ(info.units[0].register_size, 4096u);
    EXPECT_FALSE(info.units[0].includes_all_devices);
    EXPECT_EQ(info.units[0].device_scope_count, 2u);
    ASSERT_EQ(info.units[0].scopes.size(), 2u);
    EXPECT_EQ(info.units[0].scopes[1].type, Kernel::ACPI::DeviceScope::endpoint);
    EXPECT_EQ(info.units[0].scopes[1].path_length, 1);
    EXPECT_EQ(info.units[0].scopes[1].path[0].device, 3);
    EXPECT_EQ(info.units[0].scopes[1].path[0].function, 1);
    ASSERT_EQ(info.reserved_regions[0].scopes.size(), 1u);
    EXPECT_EQ(info.dropped_scopes, 0u);
    EXPECT_EQ(info.units[1].register_base, 0xFED9'0000u);
    EXPECT_TRUE(info.units[1].includes_all_devices);
    EXPECT_EQ(info.units[1].device_scope_count, 0u);
    ASSERT_EQ(info.reserved_regions.size(), 1u);
    EXPECT_EQ(info.reserved_regions[0].base, 0x7B80'0000u);
    EXPECT_EQ(info.reserved_regions[0].limit, 0x7B8F'FFFFu);
    EXPECT_EQ(info.other_structures, 1u);
    EXPECT_EQ(info.rejected_structures, 0u);
    EXPECT_EQ(info.dropped_structures, 0u);
}

TEST(AcpiDmar, flags_clear_and_segments_are_read)
{
    auto result = Kernel::ACPI::parse_dmar(make_dmar(47, 0, { make_unit(1, 3, 0xF000'0000) }).view());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value().host_address_width, 48);
    EXPECT_FALSE(result.value().interrupt_remapping);
    EXPECT_FALSE(result.value().x2apic_opt_out);
    ASSERT_EQ(result.value().units.size(), 1u);
    EXPECT_EQ(result.value().units[0].segment_group, 3);
}

TEST(AcpiDmar, the_size_field_gives_the_register_set_in_pages)
{
    Bytes unit = make_unit(1, 0, 0xFED9'0000);
    unit.at(5) = 0x12; // bits 3..0: 2^2 pages; the upper bits are reserved
    auto result = Kernel::ACPI::parse_dmar(make_dmar(38, 0, { unit }).view());
    ASSERT_FALSE(result.is_error());
    ASSERT_EQ(result.value().units.size(), 1u);
    EXPECT_EQ(result.value().units[0].register_size, 4u * 4096u);
}

TEST(AcpiDmar, the_widest_address_width_does_not_wrap)
{
    auto result = Kernel::ACPI::parse_dmar(make_dmar(255, 0, {}).view());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value().host_address_width, 256);
}

TEST(AcpiDmar, table_without_structures_has_no_units)
{
    auto result = Kernel::ACPI::parse_dmar(make_dmar(38, 0, {}).view());
    ASSERT_FALSE(result.is_error());
    EXPECT_TRUE(result.value().units.is_empty());
    EXPECT_TRUE(result.value().reserved_regions.is_empty());
}

TEST(AcpiDmar, nonsense_structures_are_rejected_and_counted)
{
    Bytes scope_too_short = make_unit(0, 0, 0xFED9'2000, 2);
    scope_too_short.at(16 + 1) = 5; // the first scope's length is under 6: counting stops there
    FixedTable dmar = make_dmar(38, 0,
        { make_unit(1, 0, 0), // no register base
            make_unit(1, 0, 0xFED9'0010), // base not page aligned
            make_structure(0, 12), // a DRHD too short for its fields
            make_region(0, 0x8000'0000, 0x7FFF'FFFF), // limit below base
            make_region(0, 0x8000'0000, 0x8000'0FFE), // limit + 1 not page aligned
            make_region(0, 0x8000'0800, 0x8000'0FFF), // base not page aligned
            make_structure(1, 20), // an RMRR too short for its fields
            scope_too_short });
    auto result = Kernel::ACPI::parse_dmar(dmar.view());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value().rejected_structures, 7u);
    ASSERT_EQ(result.value().units.size(), 1u);
    EXPECT_EQ(result.value().units[0].register_base, 0xFED9'2000u);
    EXPECT_EQ(result.value().units[0].device_scope_count, 0u);
    EXPECT_TRUE(result.value().reserved_regions.is_empty());
}

TEST(AcpiDmar, long_paths_and_scopes_beyond_capacity_are_dropped)
{
    Bytes unit = make_unit(1, 0, 0xFED9'0000, 33);
    // The first scope: a path of 5 hops (16 bytes), more than the kernel follows.
    Bytes long_path = make_structure(0, 16 + 16);
    long_path.at(16) = 1;
    long_path.at(17) = 16;
    write_little_endian(long_path, 8, 0xFED9'1000, 8);
    auto result = Kernel::ACPI::parse_dmar(make_dmar(38, 0, { unit, long_path }).view());
    ASSERT_FALSE(result.is_error());
    ASSERT_EQ(result.value().units.size(), 2u);
    EXPECT_EQ(result.value().units[0].device_scope_count, 33u);
    EXPECT_EQ(result.value().units[0].scopes.size(), 32u);
    EXPECT_EQ(result.value().units[1].device_scope_count, 1u);
    EXPECT_TRUE(result.value().units[1].scopes.is_empty());
    EXPECT_EQ(result.value().dropped_scopes, 2u);
}

TEST(AcpiDmar, structures_beyond_capacity_are_counted)
{
    std::vector<Bytes> structures;
    for (std::uint64_t index = 0; index < 10; ++index)
        structures.push_back(make_unit(0, 0, 0xFED0'0000 + index * 0x1000));
    for (std::uint64_t index = 0; index < 18; ++index)
        structures.push_back(
            make_region(0, 0x1000'0000 + index * 0x10'0000, 0x1000'0000 + index * 0x10'0000 + 0xFFFF));
    auto result = Kernel::ACPI::parse_dmar(make_dmar(38, 0, structures).view());
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value().units.size(), 8u);
    EXPECT_EQ(result.value().units[7].register_base, 0xFED0'7000u);
    EXPECT_EQ(result.value().reserved_regions.size(), 16u);
    EXPECT_EQ(result.value().dropped_structures, 4u);
}

TEST(AcpiDmar, bad_tables_are_rejected)
{
    expect_error(Kernel::ACPI::parse_dmar(FixedTable("DMAR", 47, 1).view()), "Malformed");
    expect_error(Kernel::ACPI::parse_dmar(FixedTable("DMAX", 48, 1).view()), "WrongType");
    FixedTable beyond = make_dmar(38, 0, { make_unit(1, 0, 0xFED9'0000) });
    beyond.declare_length(48 + 17);
    expect_error(Kernel::ACPI::parse_dmar(beyond.view()), "Malformed");
    // A structure shorter than its own header: the walk cannot step over it.
    Bytes too_short = make_structure(2, 8);
    write_little_endian(too_short, 2, 3, 2);
    expect_error(Kernel::ACPI::parse_dmar(make_dmar(38, 0, { too_short }).view()), "Malformed");
    // A structure whose length runs past the table.
    Bytes overlong = make_unit(1, 0, 0xFED9'0000);
    write_little_endian(overlong, 2, 24, 2);
    expect_error(Kernel::ACPI::parse_dmar(make_dmar(38, 0, { overlong }).view()), "Malformed");
    // Two stray bytes after the last structure.
    expect_error(
        Kernel::ACPI::parse_dmar(make_dmar(38, 0, { make_unit(1, 0, 0xFED9'0000), Bytes(2, 0) }).view()),
        "Malformed");
}

} // namespace
