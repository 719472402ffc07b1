#include <Kernel/ACPI/ByteReading.h>
#include <Kernel/ACPI/Madt.h>

namespace Kernel::ACPI {

using Core::ErrorCode;
using Core::ReadonlyBytes;
using Core::Result;
using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;
using Detail::read_little_endian;

namespace {

// Fixed part of the table (ACPI 6.5, section 5.2.12).
constexpr usize local_apic_address_offset = 36;
constexpr usize flags_offset = 40;
constexpr usize entries_offset = 44;
constexpr u32 pc_at_compatible_flag = 1u << 0;

constexpr usize entry_header_length = 2; // u8 type, u8 length

// Entry layouts: minimum lengths and field offsets from the start of the entry. A longer entry
// is accepted (a later revision may append fields); a shorter one cannot hold its fields.
constexpr usize local_apic_length = 8; // section 5.2.12.2
constexpr usize local_apic_uid_offset = 2;
constexpr usize local_apic_id_offset = 3;
constexpr usize local_apic_flags_offset = 4;

constexpr usize io_apic_length = 12; // section 5.2.12.3
constexpr usize io_apic_id_offset = 2;
constexpr usize io_apic_address_offset = 4;
constexpr usize io_apic_gsi_base_offset = 8;

constexpr usize override_length = 10; // section 5.2.12.5
constexpr usize override_bus_offset = 2;
constexpr usize override_source_offset = 3;
constexpr usize override_gsi_offset = 4;
constexpr usize override_flags_offset = 8;

constexpr usize nmi_source_length = 8; // section 5.2.12.6
constexpr usize nmi_source_flags_offset = 2;
constexpr usize nmi_source_gsi_offset = 4;

constexpr usize local_apic_nmi_length = 6; // section 5.2.12.7
constexpr usize local_apic_nmi_uid_offset = 2;
constexpr usize local_apic_nmi_flags_offset = 3;
constexpr usize local_apic_nmi_lint_offset = 5;
constexpr u8 local_apic_nmi_all_processors = 0xFF;

constexpr usize address_override_length = 12; // section 5.2.12.8
constexpr usize address_override_address_offset = 4;

constexpr usize local_x2apic_length = 16; // section 5.2.12.12
constexpr usize local_x2apic_id_offset = 4;
constexpr usize local_x2apic_flags_offset = 8;
constexpr usize local_x2apic_uid_offset = 12;

constexpr usize local_x2apic_nmi_length = 12; // section 5.2.12.13
constexpr usize local_x2apic_nmi_flags_offset = 2;
constexpr usize local_x2apic_nmi_uid_offset = 4;
constexpr usize local_x2apic_nmi_lint_offset = 8;
constexpr u32 local_x2apic_nmi_all_processors = 0xFFFFFFFF;

// Local APIC flags (section 5.2.12.2), shared by the x2APIC entry.
constexpr u32 processor_enabled_flag = 1u << 0;
constexpr u32 processor_online_capable_flag = 1u << 1;

MpsInterruptFlags decode_interrupt_flags(u16 raw)
{
    // Two 2-bit fields, so every value names an enumerator.
    return MpsInterruptFlags {
        static_cast<MpsPolarity>(raw & 0x3),
        static_cast<MpsTriggerMode>((raw >> 2) & 0x3),
        raw,
    };
}

usize minimum_entry_length(MadtEntryType type)
{
    switch (type) {
    case MadtEntryType::LocalApic:
        return local_apic_length;
    case MadtEntryType::IoApic:
        return io_apic_length;
    case MadtEntryType::InterruptSourceOverride:
        return override_length;
    case MadtEntryType::NmiSource:
        return nmi_source_length;
    case MadtEntryType::LocalApicNmi:
        return local_apic_nmi_length;
    case MadtEntryType::LocalApicAddressOverride:
        return address_override_length;
    case MadtEntryType::LocalX2Apic:
        return local_x2apic_length;
    case MadtEntryType::LocalX2ApicNmi:
        return local_x2apic_nmi_length;
    }
    return entry_header_length;
}

bool is_known_entry_type(u8 type)
{
    switch (static_cast<MadtEntryType>(type)) {
    case MadtEntryType::LocalApic:
    case MadtEntryType::IoApic:
    case MadtEntryType::InterruptSourceOverride:
    case MadtEntryType::NmiSource:
    case MadtEntryType::LocalApicNmi:
    case MadtEntryType::LocalApicAddressOverride:
    case MadtEntryType::LocalX2Apic:
    case MadtEntryType::LocalX2ApicNmi:
        return true;
    }
    return false;
}

// Appends to a fixed-capacity vector, counting what does not fit.
template<typename Vector, typename Value>
void append_or_count(Vector& vector, const Value& value, u32& dropped)
{
    if (vector.try_append(value).is_error())
        ++dropped;
}

MadtProcessor decode_processor_flags(MadtProcessor processor, u32 flags)
{
    processor.raw_flags = flags;
    processor.enabled = (flags & processor_enabled_flag) != 0;
    processor.online_capable = (flags & processor_online_capable_flag) != 0;
    return processor;
}

// `entry` is exactly one entry, at least minimum_entry_length(type) long.
void parse_entry(MadtInfo& info, MadtEntryType type, ReadonlyBytes entry)
{
    switch (type) {
    case MadtEntryType::LocalApic: {
        MadtProcessor processor;
        processor.processor_uid = entry[local_apic_uid_offset];
        processor.apic_id = entry[local_apic_id_offset];
        processor
            = decode_processor_flags(processor, read_little_endian<u32>(entry, local_apic_flags_offset));
        append_or_count(info.processors, processor, info.dropped_processors);
        return;
    }
    case MadtEntryType::IoApic: {
        MadtIoApic io_apic;
        io_apic.io_apic_id = entry[io_apic_id_offset];
        io_apic.address = read_little_endian<u32>(entry, io_apic_address_offset);
        io_apic.gsi_base = read_little_endian<u32>(entry, io_apic_gsi_base_offset);
        append_or_count(info.io_apics, io_apic, info.dropped_io_apics);
        return;
    }
    case MadtEntryType::InterruptSourceOverride: {
        MadtInterruptSourceOverride source_override;
        source_override.bus = entry[override_bus_offset];
        source_override.source_irq = entry[override_source_offset];
        source_override.gsi = read_little_endian<u32>(entry, override_gsi_offset);
        source_override.flags = decode_interrupt_flags(read_little_endian<u16>(entry, override_flags_offset));
        append_or_count(
            info.interrupt_source_overrides, source_override, info.dropped_interrupt_source_overrides);
        return;
    }
    case MadtEntryType::NmiSource: {
        MadtNmiSource source;
        source.flags = decode_interrupt_flags(read_little_endian<u16>(entry, nmi_source_flags_offset));
        source.gsi = read_little_endian<u32>(entry, nmi_source_gsi_offset);
        append_or_count(info.nmi_sources, source, info.dropped_nmi_sources);
        return;
    }
    case MadtEntryType::LocalApicNmi: {
        MadtLocalApicNmi nmi;
        u8 uid = entry[local_apic_nmi_uid_offset];
        nmi.processor_uid = uid;
        nmi.applies_to_all_processors = uid == local_apic_nmi_all_processors;
        nmi.flags = decode_interrupt_flags(read_little_endian<u16>(entry, local_apic_nmi_flags_offset));
        nmi.lint = entry[local_apic_nmi_lint_offset];
        append_or_count(info.local_apic_nmis, nmi, info.dropped_local_apic_nmis);
        return;
    }
    case MadtEntryType::LocalApicAddressOverride:
        // ACPI allows one; a second could only contradict the first, so the first one wins.
        if (info.has_local_apic_address_override) {
            ++info.ignored_entry_count;
            return;
        }
        info.has_local_apic_address_override = true;
        info.local_apic_address = read_little_endian<u64>(entry, address_override_address_offset);
        return;
    case MadtEntryType::LocalX2Apic: {
        MadtProcessor processor;
        processor.is_x2apic = true;
        processor.apic_id = read_little_endian<u32>(entry, local_x2apic_id_offset);
        processor.processor_uid = read_little_endian<u32>(entry, local_x2apic_uid_offset);
        processor
            = decode_processor_flags(processor, read_little_endian<u32>(entry, local_x2apic_flags_offset));
        append_or_count(info.processors, processor, info.dropped_processors);
        return;
    }
    case MadtEntryType::LocalX2ApicNmi: {
        MadtLocalApicNmi nmi;
        nmi.is_x2apic = true;
        nmi.flags = decode_interrupt_flags(read_little_endian<u16>(entry, local_x2apic_nmi_flags_offset));
        nmi.processor_uid = read_little_endian<u32>(entry, local_x2apic_nmi_uid_offset);
        nmi.applies_to_all_processors = nmi.processor_uid == local_x2apic_nmi_all_processors;
        nmi.lint = entry[local_x2apic_nmi_lint_offset];
        append_or_count(info.local_apic_nmis, nmi, info.dropped_local_apic_nmis);
        return;
    }
    }
}

InterruptPolarity resolve_isa_polarity(MpsPolarity polarity)
{
    return polarity == MpsPolarity::ActiveLow ? InterruptPolarity::ActiveLow : InterruptPolarity::ActiveHigh;
}

InterruptTriggerMode resolve_isa_trigger_mode(MpsTriggerMode trigger_mode)
{
    return trigger_mode == MpsTriggerMode::Level ? InterruptTriggerMode::Level : InterruptTriggerMode::Edge;
}

} // namespace

Result<MadtInfo> parse_madt(ReadonlyBytes table)
{
    table = TRY(Detail::checked_table(table, "APIC"_sv, entries_offset));

    MadtInfo info;
    info.local_apic_address_32 = read_little_endian<u32>(table, local_apic_address_offset);
    info.local_apic_address = info.local_apic_address_32;
    info.pc_at_compatible = (read_little_endian<u32>(table, flags_offset) & pc_at_compatible_flag) != 0;

    usize offset = entries_offset;
    while (offset < table.size()) {
        // offset < table.size() <= the header's u32 length.
        auto entry_offset = static_cast<u32>(offset);
        if (table.size() - offset < entry_header_length) {
            info.bad_entry = MadtBadEntry { entry_offset, table[offset], 0 };
            break;
        }
        u8 type = table[offset];
        u8 length = table[offset + 1];
        bool known = is_known_entry_type(type);
        usize minimum_length
            = known ? minimum_entry_length(static_cast<MadtEntryType>(type)) : entry_header_length;
        if (length < minimum_length || length > table.size() - offset) {
            info.bad_entry = MadtBadEntry { entry_offset, type, length };
            break;
        }
        if (known)
            parse_entry(info, static_cast<MadtEntryType>(type), table.slice(offset, length));
        else
            ++info.ignored_entry_count;
        offset += length;
    }
    return info;
}

u32 isa_irq_to_gsi(
    const MadtInfo& madt, u8 isa_irq, InterruptPolarity& polarity, InterruptTriggerMode& trigger_mode)
{
    constexpr u8 isa_bus = 0;
    for (const MadtInterruptSourceOverride& source_override : madt.interrupt_source_overrides) {
        if (source_override.bus != isa_bus || source_override.source_irq != isa_irq)
            continue;
        polarity = resolve_isa_polarity(source_override.flags.polarity);
        trigger_mode = resolve_isa_trigger_mode(source_override.flags.trigger_mode);
        return source_override.gsi;
    }
    polarity = InterruptPolarity::ActiveHigh;
    trigger_mode = InterruptTriggerMode::Edge;
    return isa_irq;
}

} // namespace Kernel::ACPI
