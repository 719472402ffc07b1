#pragma once

// The Multiple APIC Description Table, signature "APIC" (ACPI 6.5, section 5.2.12): which
// processors exist, where the local APICs and I/O APICs are, and how ISA interrupts are wired to
// global system interrupts (GSIs).
//
// Untrusted firmware input, like everything in Kernel/ACPI: the parser reads only inside the
// table, never overflows and never VERIFYs on input.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/StaticVector.h>
#include <Core/Types.h>

namespace Kernel::ACPI {

// Entry types the parser reads (ACPI 6.5, section 5.2.12).
enum class MadtEntryType : Core::u8 {
    LocalApic = 0x00,
    IoApic = 0x01,
    InterruptSourceOverride = 0x02,
    NmiSource = 0x03,
    LocalApicNmi = 0x04,
    LocalApicAddressOverride = 0x05,
    LocalX2Apic = 0x09,
    LocalX2ApicNmi = 0x0A,
};

// The MPS INTI flags' polarity field (ACPI 6.5, section 5.2.12.5), as the firmware wrote it.
enum class MpsPolarity : Core::u8 {
    ConformsToBus = 0,
    ActiveHigh = 1,
    Reserved = 2,
    ActiveLow = 3,
};

// The MPS INTI flags' trigger mode field (ACPI 6.5, section 5.2.12.5), as the firmware wrote it.
enum class MpsTriggerMode : Core::u8 {
    ConformsToBus = 0,
    Edge = 1,
    Reserved = 2,
    Level = 3,
};

struct MpsInterruptFlags {
    MpsPolarity polarity { MpsPolarity::ConformsToBus };
    MpsTriggerMode trigger_mode { MpsTriggerMode::ConformsToBus };
    // The whole 16-bit field, reserved bits included.
    Core::u16 raw { 0 };
};

// A processor's local APIC (entry type 0) or local x2APIC (type 9).
struct MadtProcessor {
    // The ACPI processor UID, matching a processor object in the namespace. 8 bits for type 0.
    Core::u32 processor_uid { 0 };
    // 8 bits for type 0, 32 for type 9.
    Core::u32 apic_id { 0 };
    // Usable now.
    bool enabled { false };
    // Not enabled now but can be brought online later (hot-add); only meaningful when !enabled.
    bool online_capable { false };
    // From a type 9 entry. Both kinds are kept as the firmware listed them: ACPI wants x2APIC
    // entries only for IDs above 254, but firmware that lists a processor twice is not corrected
    // here.
    bool is_x2apic { false };
    // The whole flags field, reserved bits included.
    Core::u32 raw_flags { 0 };
};

// Entry type 1.
struct MadtIoApic {
    Core::u8 io_apic_id { 0 };
    // Physical address of the I/O APIC's registers.
    Core::u32 address { 0 };
    // The first GSI its input pin 0 delivers.
    Core::u32 gsi_base { 0 };
};

// Entry type 2: ISA interrupt `source_irq` is wired to `gsi`, not to the GSI of the same number.
struct MadtInterruptSourceOverride {
    // 0 means ISA, the only bus ACPI defines.
    Core::u8 bus { 0 };
    Core::u8 source_irq { 0 };
    Core::u32 gsi { 0 };
    MpsInterruptFlags flags;
};

// Entry type 3: a GSI wired to NMI.
struct MadtNmiSource {
    Core::u32 gsi { 0 };
    MpsInterruptFlags flags;
};

// Entry types 4 and 0xA: which local APIC LINT pin is wired to NMI.
struct MadtLocalApicNmi {
    // Compare with MadtProcessor::processor_uid; ignore it when applies_to_all_processors.
    Core::u32 processor_uid { 0 };
    // The entry named UID 0xFF (type 4) or 0xFFFFFFFF (type 0xA), meaning every processor.
    bool applies_to_all_processors { false };
    // LINT0 or LINT1 (0 or 1 on real hardware; kept as given).
    Core::u8 lint { 0 };
    MpsInterruptFlags flags;
    bool is_x2apic { false };
};

// Why parsing stopped before the end of the table.
struct MadtBadEntry {
    // Offset of the entry from the start of the table.
    Core::u32 offset { 0 };
    Core::u8 type { 0 };
    // The declared length; 0 when not even the 2-byte entry header fitted.
    Core::u8 length { 0 };
};

struct MadtInfo {
    // The local APIC base every processor sees: the 64-bit override (type 5) when present,
    // otherwise the table's 32-bit field.
    Core::u64 local_apic_address { 0 };
    // The table's own 32-bit field, kept for logging next to the override.
    Core::u32 local_apic_address_32 { 0 };
    bool has_local_apic_address_override { false };
    // PCAT_COMPAT: the system also has dual 8259 PICs, which must be masked before the I/O APICs
    // are used.
    bool pc_at_compatible { false };

    Core::StaticVector<MadtProcessor, 64> processors;
    Core::StaticVector<MadtIoApic, 8> io_apics;
    Core::StaticVector<MadtInterruptSourceOverride, 24> interrupt_source_overrides;
    Core::StaticVector<MadtNmiSource, 8> nmi_sources;
    Core::StaticVector<MadtLocalApicNmi, 64> local_apic_nmis;
    // Entries that did not fit in the vectors above, by vector.
    Core::u32 dropped_processors { 0 };
    Core::u32 dropped_io_apics { 0 };
    Core::u32 dropped_interrupt_source_overrides { 0 };
    Core::u32 dropped_nmi_sources { 0 };
    Core::u32 dropped_local_apic_nmis { 0 };

    // Well-formed entries not used: types this parser does not read, and address overrides after
    // the first.
    Core::u32 ignored_entry_count { 0 };
    // Set when an entry's length was below 2, ran past the table, or was too short for its
    // type's fields. Parsing stops there, since the following entries cannot be trusted to start
    // where that length says; everything before it is kept.
    Core::Optional<MadtBadEntry> bad_entry;
};

// Parses a MADT as load_table() returned it (checksum already verified). Errors:
// ErrorCode::WrongType when the signature is not "APIC"; ErrorCode::Malformed when the table is
// shorter than its 44-byte fixed part or its header's length exceeds table.size(). Defects in the
// entries are recorded in MadtInfo instead (see bad_entry).
[[nodiscard]] Core::Result<MadtInfo> parse_madt(Core::ReadonlyBytes table);

// How an interrupt line signals, resolved for programming an I/O APIC.
enum class InterruptPolarity : Core::u8 {
    ActiveHigh,
    ActiveLow,
};

enum class InterruptTriggerMode : Core::u8 {
    Edge,
    Level,
};

// Maps ISA IRQ `isa_irq` to its GSI: the first interrupt source override for bus 0 with that
// source IRQ, or the identity mapping. The override's polarity and trigger mode are written to
// `polarity` and `trigger_mode`; "conforms to bus" and the reserved encodings resolve to ISA's
// convention, active high and edge triggered, which is also what the identity mapping gets.
[[nodiscard]] Core::u32 isa_irq_to_gsi(
    const MadtInfo& madt, Core::u8 isa_irq, InterruptPolarity& polarity, InterruptTriggerMode& trigger_mode);

} // namespace Kernel::ACPI
