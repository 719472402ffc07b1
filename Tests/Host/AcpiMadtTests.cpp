// Tests for the MADT parser and ISA IRQ routing. Tables are built byte by byte here, with the
// entry layouts of ACPI 6.5 section 5.2.12 written out rather than taken from the parser.

#include <Kernel/ACPI/Madt.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <string_view>
#include <vector>

namespace {

using Kernel::ACPI::InterruptPolarity;
using Kernel::ACPI::InterruptTriggerMode;
using Kernel::ACPI::isa_irq_to_gsi;
using Kernel::ACPI::MadtInfo;
using Kernel::ACPI::MpsPolarity;
using Kernel::ACPI::MpsTriggerMode;
using Kernel::ACPI::parse_madt;
using Bytes = std::vector<std::uint8_t>;

void append_little_endian(Bytes& bytes, std::uint64_t value, std::size_t byte_count)
{
    for (std::size_t index = 0; index < byte_count; ++index)
        bytes.push_back(static_cast<std::uint8_t>(value >> (8 * index)));
}

// Builds a MADT: header, local APIC address, flags, then entries. finish() fills in the length
// (checksum is left alone: parse_madt() relies on load_table() for it).
class MadtBuilder {
public:
    MadtBuilder(std::uint32_t local_apic_address = 0xFEE00000, std::uint32_t flags = 1)
    {
        std::string_view header = "APIC";
        m_table.insert(m_table.end(), header.begin(), header.end());
        append_little_endian(m_table, 0, 4); // length
        m_table.push_back(5); // revision
        m_table.push_back(0); // checksum
        m_table.resize(36, ' ');
        append_little_endian(m_table, local_apic_address, 4);
        append_little_endian(m_table, flags, 4);
    }

    MadtBuilder& local_apic(std::uint8_t uid, std::uint8_t apic_id, std::uint32_t flags)
    {
        return entry(0, { uid, apic_id }, [&](Bytes& bytes) { append_little_endian(bytes, flags, 4); });
    }
    MadtBuilder& io_apic(std::uint8_t id, std::uint32_t address, std::uint32_t gsi_base)
    {
        return entry(1, { id, 0 }, [&](Bytes& bytes) {
            append_little_endian(bytes, address, 4);
            append_little_endian(bytes, gsi_base, 4);
        });
    }
    MadtBuilder& source_override(
        std::uint8_t bus, std::uint8_t source, std::uint32_t gsi, std::uint16_t flags)
    {
        return entry(2, { bus, source }, [&](Bytes& bytes) {
            append_little_endian(bytes, gsi, 4);
            append_little_endian(bytes, flags, 2);
        });
    }
    MadtBuilder& nmi_source(std::uint16_t flags, std::uint32_t gsi)
    {
        return entry(3, {}, [&](Bytes& bytes) {
            append_little_endian(bytes, flags, 2);
            append_little_endian(bytes, gsi, 4);
        });
    }
    MadtBuilder& local_apic_nmi(std::uint8_t uid, std::uint16_t flags, std::uint8_t lint)
    {
        return entry(4, { uid }, [&](Bytes& bytes) {
            append_little_endian(bytes, flags, 2);
            bytes.push_back(lint);
        });
    }
    MadtBuilder& address_override(std::uint64_t address)
    {
        return entry(5, { 0, 0 }, [&](Bytes& bytes) { append_little_endian(bytes, address, 8); });
    }
    MadtBuilder& local_x2apic(std::uint32_t x2apic_id, std::uint32_t flags, std::uint32_t uid)
    {
        return entry(9, { 0, 0 }, [&](Bytes& bytes) {
            append_little_endian(bytes, x2apic_id, 4);
            append_little_endian(bytes, flags, 4);
            append_little_endian(bytes, uid, 4);
        });
    }
    MadtBuilder& local_x2apic_nmi(std::uint16_t flags, std::uint32_t uid, std::uint8_t lint)
    {
        return entry(0x0A, {}, [&](Bytes& bytes) {
            append_little_endian(bytes, flags, 2);
            append_little_endian(bytes, uid, 4);
            bytes.push_back(lint);
            append_little_endian(bytes, 0, 3);
        });
    }
    // Any bytes, with a declared length that may be wrong.
    MadtBuilder& raw_entry(std::uint8_t type, std::uint8_t declared_length, const Bytes& payload)
    {
        m_table.push_back(type);
        m_table.push_back(declared_length);
        m_table.insert(m_table.end(), payload.begin(), payload.end());
        return *this;
    }

    Bytes finish() const
    {
        Bytes table = m_table;
        for (std::size_t index = 0; index < 4; ++index)
            table[4 + index] = static_cast<std::uint8_t>(table.size() >> (8 * index));
        return table;
    }

private:
    template<typename Filler> MadtBuilder& entry(std::uint8_t type, const Bytes& leading, Filler fill)
    {
        Bytes payload = leading;
        fill(payload);
        return raw_entry(type, static_cast<std::uint8_t>(payload.size() + 2), payload);
    }

    Bytes m_table;
};

Core::Result<MadtInfo> parse(const Bytes& table)
{
    return parse_madt(Core::ReadonlyBytes(table.data(), table.size()));
}

MadtInfo parse_successfully(const Bytes& table)
{
    auto result = parse(table);
    EXPECT_FALSE(result.is_error()) << result.error().name();
    if (result.is_error())
        return {};
    return result.release_value();
}

// Flags of an interrupt source override: polarity in bits 0-1, trigger mode in bits 2-3.
constexpr std::uint16_t active_low_level = 0x3 | (0x3 << 2);
constexpr std::uint16_t active_high_edge = 0x1 | (0x1 << 2);

TEST(AcpiMadt, fixed_fields_are_read)
{
    MadtInfo info = parse_successfully(MadtBuilder(0xFEE01000, 1).finish());
    EXPECT_EQ(info.local_apic_address, 0xFEE01000u);
    EXPECT_EQ(info.local_apic_address_32, 0xFEE01000u);
    EXPECT_FALSE(info.has_local_apic_address_override);
    EXPECT_TRUE(info.pc_at_compatible);
    EXPECT_TRUE(info.processors.is_empty());
    EXPECT_FALSE(info.bad_entry.has_value());

    EXPECT_FALSE(parse_successfully(MadtBuilder(0xFEE00000, 0).finish()).pc_at_compatible);
}

TEST(AcpiMadt, every_entry_type_is_decoded)
{
    Bytes table = MadtBuilder()
                      .local_apic(0, 0, 1)
                      .local_apic(1, 2, 2) // online capable, not enabled
                      .io_apic(3, 0xFEC00000, 0)
                      .source_override(0, 0, 2, 0)
                      .source_override(0, 9, 9, active_low_level)
                      .nmi_source(active_high_edge, 23)
                      .local_apic_nmi(0xFF, 0x5, 1)
                      .local_apic_nmi(1, 0xD, 0)
                      .address_override(0x1'FEE0'0000)
                      .local_x2apic(0x100, 1, 300)
                      .local_x2apic_nmi(0, 0xFFFFFFFF, 1)
                      .local_x2apic_nmi(0, 300, 0)
                      .finish();
    MadtInfo info = parse_successfully(table);

    ASSERT_EQ(info.processors.size(), 3u);
    EXPECT_EQ(info.processors[0].processor_uid, 0u);
    EXPECT_EQ(info.processors[0].apic_id, 0u);
    EXPECT_TRUE(info.processors[0].enabled);
    EXPECT_FALSE(info.processors[0].online_capable);
    EXPECT_FALSE(info.processors[0].is_x2apic);
    EXPECT_EQ(info.processors[1].processor_uid, 1u);
    EXPECT_EQ(info.processors[1].apic_id, 2u);
    EXPECT_FALSE(info.processors[1].enabled);
    EXPECT_TRUE(info.processors[1].online_capable);
    EXPECT_EQ(info.processors[1].raw_flags, 2u);
    EXPECT_EQ(info.processors[2].processor_uid, 300u);
    EXPECT_EQ(info.processors[2].apic_id, 0x100u);
    EXPECT_TRUE(info.processors[2].enabled);
    EXPECT_TRUE(info.processors[2].is_x2apic);

    ASSERT_EQ(info.io_apics.size(), 1u);
    EXPECT_EQ(info.io_apics[0].io_apic_id, 3);
    EXPECT_EQ(info.io_apics[0].address, 0xFEC00000u);
    EXPECT_EQ(info.io_apics[0].gsi_base, 0u);

    ASSERT_EQ(info.interrupt_source_overrides.size(), 2u);
    EXPECT_EQ(info.interrupt_source_overrides[0].bus, 0);
    EXPECT_EQ(info.interrupt_source_overrides[0].source_irq, 0);
    EXPECT_EQ(info.interrupt_source_overrides[0].gsi, 2u);
    EXPECT_EQ(info.interrupt_source_overrides[0].flags.polarity, MpsPolarity::ConformsToBus);
    EXPECT_EQ(info.interrupt_source_overrides[1].source_irq, 9);
    EXPECT_EQ(info.interrupt_source_overrides[1].flags.polarity, MpsPolarity::ActiveLow);
    EXPECT_EQ(info.interrupt_source_overrides[1].flags.trigger_mode, MpsTriggerMode::Level);
    EXPECT_EQ(info.interrupt_source_overrides[1].flags.raw, active_low_level);

    ASSERT_EQ(info.nmi_sources.size(), 1u);
    EXPECT_EQ(info.nmi_sources[0].gsi, 23u);
    EXPECT_EQ(info.nmi_sources[0].flags.polarity, MpsPolarity::ActiveHigh);
    EXPECT_EQ(info.nmi_sources[0].flags.trigger_mode, MpsTriggerMode::Edge);

    ASSERT_EQ(info.local_apic_nmis.size(), 4u);
    EXPECT_TRUE(info.local_apic_nmis[0].applies_to_all_processors);
    EXPECT_EQ(info.local_apic_nmis[0].lint, 1);
    EXPECT_EQ(info.local_apic_nmis[0].flags.raw, 0x5);
    EXPECT_FALSE(info.local_apic_nmis[0].is_x2apic);
    EXPECT_FALSE(info.local_apic_nmis[1].applies_to_all_processors);
    EXPECT_EQ(info.local_apic_nmis[1].processor_uid, 1u);
    EXPECT_EQ(info.local_apic_nmis[1].lint, 0);
    EXPECT_EQ(info.local_apic_nmis[1].flags.trigger_mode, MpsTriggerMode::Level);
    EXPECT_TRUE(info.local_apic_nmis[2].applies_to_all_processors);
    EXPECT_TRUE(info.local_apic_nmis[2].is_x2apic);
    EXPECT_EQ(info.local_apic_nmis[2].lint, 1);
    EXPECT_FALSE(info.local_apic_nmis[3].applies_to_all_processors);
    EXPECT_EQ(info.local_apic_nmis[3].processor_uid, 300u);

    EXPECT_TRUE(info.has_local_apic_address_override);
    EXPECT_EQ(info.local_apic_address, 0x1'FEE0'0000u);
    EXPECT_EQ(info.local_apic_address_32, 0xFEE00000u);
    EXPECT_EQ(info.ignored_entry_count, 0u);
    EXPECT_FALSE(info.bad_entry.has_value());
}

TEST(AcpiMadt, unknown_types_and_longer_entries_are_skipped_over)
{
    Bytes table = MadtBuilder()
                      .raw_entry(0x0B, 6, { 9, 9, 9, 9 }) // GIC CPU interface, not read here
                      .raw_entry(0x7F, 2, {})
                      .raw_entry(0, 10, { 4, 5, 1, 0, 0, 0, 0xEE, 0xEE }) // local APIC plus 2 bytes
                      .local_apic(6, 7, 1)
                      .finish();
    MadtInfo info = parse_successfully(table);
    EXPECT_EQ(info.ignored_entry_count, 2u);
    ASSERT_EQ(info.processors.size(), 2u);
    EXPECT_EQ(info.processors[0].apic_id, 5u);
    EXPECT_EQ(info.processors[1].apic_id, 7u);
    EXPECT_FALSE(info.bad_entry.has_value());
}

TEST(AcpiMadt, second_address_override_is_ignored)
{
    MadtInfo info
        = parse_successfully(MadtBuilder().address_override(0x1000).address_override(0x2000).finish());
    EXPECT_EQ(info.local_apic_address, 0x1000u);
    EXPECT_EQ(info.ignored_entry_count, 1u);
}

TEST(AcpiMadt, zero_length_entry_stops_parsing)
{
    Bytes table = MadtBuilder()
                      .local_apic(0, 0, 1)
                      .raw_entry(0, 0, { 0, 0, 0, 0, 0, 0 })
                      .local_apic(1, 1, 1)
                      .finish();
    MadtInfo info = parse_successfully(table);
    EXPECT_EQ(info.processors.size(), 1u);
    ASSERT_TRUE(info.bad_entry.has_value());
    EXPECT_EQ(info.bad_entry->offset, 52u);
    EXPECT_EQ(info.bad_entry->type, 0);
    EXPECT_EQ(info.bad_entry->length, 0);
}

TEST(AcpiMadt, entry_too_short_for_its_type_stops_parsing)
{
    Bytes table
        = MadtBuilder().raw_entry(1, 8, { 1, 0, 0, 0, 0xC0, 0xFE }).io_apic(2, 0xFEC01000, 24).finish();
    MadtInfo info = parse_successfully(table);
    EXPECT_TRUE(info.io_apics.is_empty());
    ASSERT_TRUE(info.bad_entry.has_value());
    EXPECT_EQ(info.bad_entry->offset, 44u);
    EXPECT_EQ(info.bad_entry->type, 1);
    EXPECT_EQ(info.bad_entry->length, 8);
}

TEST(AcpiMadt, entry_running_past_the_table_stops_parsing)
{
    Bytes table = MadtBuilder().local_apic(0, 0, 1).raw_entry(1, 12, { 1, 0, 0, 0 }).finish();
    MadtInfo info = parse_successfully(table);
    EXPECT_EQ(info.processors.size(), 1u);
    ASSERT_TRUE(info.bad_entry.has_value());
    EXPECT_EQ(info.bad_entry->offset, 52u);
    EXPECT_EQ(info.bad_entry->length, 12);
}

TEST(AcpiMadt, lone_trailing_byte_stops_parsing)
{
    Bytes table = MadtBuilder().local_apic(0, 0, 1).finish();
    table.push_back(0x09);
    table[4] = static_cast<std::uint8_t>(table.size());
    MadtInfo info = parse_successfully(table);
    EXPECT_EQ(info.processors.size(), 1u);
    ASSERT_TRUE(info.bad_entry.has_value());
    EXPECT_EQ(info.bad_entry->offset, 52u);
    EXPECT_EQ(info.bad_entry->type, 0x09);
    EXPECT_EQ(info.bad_entry->length, 0);
}

TEST(AcpiMadt, entries_beyond_capacity_are_counted)
{
    MadtBuilder builder;
    for (unsigned index = 0; index < 70; ++index)
        builder.local_apic(static_cast<std::uint8_t>(index), static_cast<std::uint8_t>(index), 1);
    for (unsigned index = 0; index < 10; ++index)
        builder.io_apic(static_cast<std::uint8_t>(index), 0xFEC00000 + index * 0x1000, index * 24);
    for (unsigned index = 0; index < 30; ++index)
        builder.source_override(0, static_cast<std::uint8_t>(index), index, 0);
    for (unsigned index = 0; index < 9; ++index)
        builder.nmi_source(0, index);
    for (unsigned index = 0; index < 66; ++index)
        builder.local_apic_nmi(static_cast<std::uint8_t>(index), 0, 1);
    MadtInfo info = parse_successfully(builder.finish());
    EXPECT_EQ(info.processors.size(), 64u);
    EXPECT_EQ(info.dropped_processors, 6u);
    EXPECT_EQ(info.io_apics.size(), 8u);
    EXPECT_EQ(info.dropped_io_apics, 2u);
    EXPECT_EQ(info.interrupt_source_overrides.size(), 24u);
    EXPECT_EQ(info.dropped_interrupt_source_overrides, 6u);
    EXPECT_EQ(info.nmi_sources.size(), 8u);
    EXPECT_EQ(info.dropped_nmi_sources, 1u);
    EXPECT_EQ(info.local_apic_nmis.size(), 64u);
    EXPECT_EQ(info.dropped_local_apic_nmis, 2u);
    EXPECT_FALSE(info.bad_entry.has_value());
}

TEST(AcpiMadt, bad_tables_are_rejected)
{
    Bytes table = MadtBuilder().finish();
    Bytes wrong_signature = table;
    wrong_signature[0] = 'X';
    EXPECT_TRUE(parse(wrong_signature).is_error());
    EXPECT_STREQ(parse(wrong_signature).error().name(), "WrongType");

    Bytes too_short = table;
    too_short.resize(43);
    too_short[4] = 43;
    EXPECT_STREQ(parse(too_short).error().name(), "Malformed");

    Bytes length_beyond_bytes = MadtBuilder().local_apic(0, 0, 1).finish();
    length_beyond_bytes.resize(length_beyond_bytes.size() - 1);
    EXPECT_STREQ(parse(length_beyond_bytes).error().name(), "Malformed");

    EXPECT_STREQ(parse({}).error().name(), "Malformed");
}

TEST(AcpiMadt, bytes_after_the_declared_length_are_ignored)
{
    Bytes table = MadtBuilder().local_apic(0, 0, 1).finish();
    table.push_back(0);
    table.push_back(0); // a zero-length entry, if it were read
    MadtInfo info = parse_successfully(table);
    EXPECT_EQ(info.processors.size(), 1u);
    EXPECT_FALSE(info.bad_entry.has_value());
}

TEST(AcpiIsaRouting, identity_without_overrides)
{
    MadtInfo info = parse_successfully(MadtBuilder().finish());
    InterruptPolarity polarity = InterruptPolarity::ActiveLow;
    InterruptTriggerMode trigger_mode = InterruptTriggerMode::Level;
    EXPECT_EQ(isa_irq_to_gsi(info, 4, polarity, trigger_mode), 4u);
    EXPECT_EQ(polarity, InterruptPolarity::ActiveHigh);
    EXPECT_EQ(trigger_mode, InterruptTriggerMode::Edge);
}

TEST(AcpiIsaRouting, overrides_are_applied)
{
    // QEMU's routing: the PIT on GSI 2, the SCI and PCI links active high level-triggered.
    Bytes table = MadtBuilder()
                      .source_override(0, 0, 2, 0)
                      .source_override(0, 5, 5, 0x1 | (0x3 << 2))
                      .source_override(0, 9, 20, active_low_level)
                      .source_override(1, 4, 40, active_low_level) // not ISA, never matched
                      .source_override(0, 9, 30, 0) // a second override for IRQ 9 loses
                      .source_override(0, 11, 11, 0x2 | (0x2 << 2)) // reserved encodings
                      .finish();
    MadtInfo info = parse_successfully(table);
    InterruptPolarity polarity;
    InterruptTriggerMode trigger_mode;

    EXPECT_EQ(isa_irq_to_gsi(info, 0, polarity, trigger_mode), 2u);
    EXPECT_EQ(polarity, InterruptPolarity::ActiveHigh);
    EXPECT_EQ(trigger_mode, InterruptTriggerMode::Edge);

    EXPECT_EQ(isa_irq_to_gsi(info, 5, polarity, trigger_mode), 5u);
    EXPECT_EQ(polarity, InterruptPolarity::ActiveHigh);
    EXPECT_EQ(trigger_mode, InterruptTriggerMode::Level);

    EXPECT_EQ(isa_irq_to_gsi(info, 9, polarity, trigger_mode), 20u);
    EXPECT_EQ(polarity, InterruptPolarity::ActiveLow);
    EXPECT_EQ(trigger_mode, InterruptTriggerMode::Level);

    EXPECT_EQ(isa_irq_to_gsi(info, 4, polarity, trigger_mode), 4u);
    EXPECT_EQ(polarity, InterruptPolarity::ActiveHigh);
    EXPECT_EQ(trigger_mode, InterruptTriggerMode::Edge);

    EXPECT_EQ(isa_irq_to_gsi(info, 11, polarity, trigger_mode), 11u);
    EXPECT_EQ(polarity, InterruptPolarity::ActiveHigh);
    EXPECT_EQ(trigger_mode, InterruptTriggerMode::Edge);

    // GSI 2 is taken by IRQ 0, but IRQ 2 itself has no override: identity, as ACPI says.
    EXPECT_EQ(isa_irq_to_gsi(info, 2, polarity, trigger_mode), 2u);
}

} // namespace
