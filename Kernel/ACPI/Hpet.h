#pragma once

// The HPET description table, signature "HPET" (IA-PC HPET Specification 1.0a, section 3.2.4):
// where the High Precision Event Timer's registers are and what its first timer block offers.
//
// Untrusted firmware input, like everything in Kernel/ACPI.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>

namespace Kernel::ACPI {

struct HpetInfo {
    // Physical address of the 1 KiB register block; always in system memory and never 0.
    Core::u64 base_address { 0 };
    // The GAS's bit width and offset, as given (firmware usually leaves them 0 or 64/0).
    Core::u8 register_bit_width { 0 };
    Core::u8 register_bit_offset { 0 };
    // The event timer block ID: a copy of the low 32 bits of the general capabilities register.
    Core::u32 event_timer_block_id { 0 };
    Core::u8 hardware_revision { 0 };
    // How many comparators (timers) the first block has: 1 to 32. The ID stores the number of the
    // last one, so this is that field plus one.
    Core::u8 comparator_count { 0 };
    // COUNT_SIZE_CAP: the main counter can run in 64-bit mode.
    bool counter_is_64_bit { false };
    bool legacy_replacement_capable { false };
    Core::u16 pci_vendor_id { 0 };
    // Which HPET this is, when a system has several.
    Core::u8 hpet_number { 0 };
    // The smallest tick, in main counter ticks, that periodic mode can be programmed with without
    // losing interrupts.
    Core::u16 minimum_tick { 0 };
    // Low 4 bits: page protection (0 none, 1 4 KiB, 2 64 KiB); high 4 bits: OEM attributes.
    Core::u8 page_protection_and_oem_attribute { 0 };
};

// Parses an HPET table as load_table() returned it (checksum already verified). Errors:
// WrongType when the signature is not "HPET"; Malformed when the table is shorter than 56 bytes,
// its header's length exceeds table.size(), or the base address is 0; NotSupported when the base
// address is not in system memory (the HPET specification requires memory-mapped registers).
[[nodiscard]] Core::Result<HpetInfo> parse_hpet_table(Core::ReadonlyBytes table);

} // namespace Kernel::ACPI
