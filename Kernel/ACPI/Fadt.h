#pragma once

// The Fixed ACPI Description Table, signature "FACP" (ACPI 6.5, section 5.2.9): the fixed
// hardware registers (PM1 event and control blocks, PM timer, reset register), the SCI, and where
// the DSDT is.
//
// The FADT grew with every ACPI revision: ACPI 1.0's is 116 bytes, 2.0 added the reset register
// and the 64-bit X_ fields, later versions added more. A table is read only as far as its length
// goes; a field beyond it is reported absent, never read. Untrusted firmware input, like
// everything in Kernel/ACPI.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/ACPI/Tables.h>

namespace Kernel::ACPI {

// Bits of FadtInfo::flags, the fixed feature flags (ACPI 6.5, section 5.2.9).
namespace FadtFlags {
constexpr Core::u32 wbinvd = 1u << 0;
constexpr Core::u32 power_button_is_control_method = 1u << 4;
constexpr Core::u32 sleep_button_is_control_method = 1u << 5;
constexpr Core::u32 timer_value_is_32_bit = 1u << 8;
constexpr Core::u32 reset_register_supported = 1u << 10;
constexpr Core::u32 hardware_reduced_acpi = 1u << 20;
constexpr Core::u32 low_power_s0_idle_capable = 1u << 21;
} // namespace FadtFlags

// Bits of FadtInfo::boot_architecture_flags, IAPC_BOOT_ARCH (ACPI 6.5, section 5.2.9.3).
namespace BootArchitectureFlags {
constexpr Core::u16 legacy_devices = 1u << 0;
constexpr Core::u16 has_8042 = 1u << 1;
constexpr Core::u16 vga_not_present = 1u << 2;
constexpr Core::u16 msi_not_supported = 1u << 3;
constexpr Core::u16 pcie_aspm_controls = 1u << 4;
constexpr Core::u16 cmos_rtc_not_present = 1u << 5;
} // namespace BootArchitectureFlags

struct ResetRegister {
    // System memory, system I/O or PCI configuration space, the three ACPI allows.
    GenericAddress address;
    // What to write to it to reset the system.
    Core::u8 value { 0 };
};

struct FadtInfo {
    // The header's revision: 1 for ACPI 1.0, 3 for 2.0, 4 for 3.0, 5 and 6 for later versions.
    Core::u8 revision { 0 };
    // The table's length in bytes; every field past it is absent.
    Core::u32 length { 0 };

    // Where the DSDT is: X_DSDT when it is in the table and non-zero, else the 32-bit DSDT field.
    // 0 when neither names one.
    Core::u64 dsdt_address { 0 };
    // Where the FACS is, chosen the same way (X_FIRMWARE_CTRL over FIRMWARE_CTRL); 0 for none.
    Core::u64 firmware_control_address { 0 };

    // The SCI's interrupt: an ISA IRQ on 8259 systems, else a GSI (apply the MADT's interrupt
    // source overrides with isa_irq_to_gsi() before use).
    Core::u16 sci_interrupt { 0 };
    // The SMI command port and the values that hand the ACPI registers to and from the OS. A zero
    // port means the system is already in ACPI mode (or hardware-reduced).
    Core::u32 smi_command_port { 0 };
    Core::u8 acpi_enable_value { 0 };
    Core::u8 acpi_disable_value { 0 };

    // The fixed register blocks: the X_ GAS field when it is in the table and its address is
    // non-zero, else the 32-bit port field converted to a system I/O address (register_bit_width
    // is then the block length from the table times 8, or 0 when that does not fit in 8 bits).
    // Absent when neither is set (for example on hardware-reduced ACPI systems, and PM1b on most).
    Core::Optional<GenericAddress> pm1a_event_block;
    Core::Optional<GenericAddress> pm1b_event_block;
    Core::Optional<GenericAddress> pm1a_control_block;
    Core::Optional<GenericAddress> pm1b_control_block;
    Core::Optional<GenericAddress> pm_timer_block;
    // The block lengths in bytes, from the 32-bit part of the table. A PM1 event block is split
    // into a status and an enable register of half this length each.
    Core::u8 pm1_event_length { 0 };
    Core::u8 pm1_control_length { 0 };
    Core::u8 pm_timer_length { 0 };

    // FadtFlags bits.
    Core::u32 flags { 0 };
    // Present only when the RESET_REG_SUP flag is set, the register fields are in the table, the
    // address is non-zero and in one of the address spaces ACPI allows for it.
    Core::Optional<ResetRegister> reset_register;
    // IAPC_BOOT_ARCH (BootArchitectureFlags bits). Absent in a revision 1 FADT, where ACPI 1.0
    // defined these bytes as reserved: reading their zero would wrongly say "no 8042".
    Core::Optional<Core::u16> boot_architecture_flags;
    // The CMOS index of the RTC's century register, or 0 when there is none.
    Core::u8 century_register { 0 };
    // FADT Minor Version, when the table reaches it (byte 131, reserved and so 0 before ACPI 5.1).
    Core::Optional<Core::u8> minor_version;

    [[nodiscard]] constexpr bool has_flag(Core::u32 flag) const { return (flags & flag) != 0; }
    [[nodiscard]] constexpr bool is_hardware_reduced() const
    {
        return has_flag(FadtFlags::hardware_reduced_acpi);
    }

    // The IA-PC boot architecture questions. When the FADT does not say (revision 1), they answer
    // as a PC/AT would: an 8042, VGA and a CMOS RTC are assumed present.
    [[nodiscard]] bool has_8042() const
    {
        return !boot_architecture_flags.has_value()
            || (*boot_architecture_flags & BootArchitectureFlags::has_8042) != 0;
    }
    [[nodiscard]] bool has_vga() const
    {
        return !boot_architecture_flags.has_value()
            || (*boot_architecture_flags & BootArchitectureFlags::vga_not_present) == 0;
    }
    [[nodiscard]] bool has_cmos_rtc() const
    {
        return !boot_architecture_flags.has_value()
            || (*boot_architecture_flags & BootArchitectureFlags::cmos_rtc_not_present) == 0;
    }
};

// Parses a FADT as load_table() returned it (checksum already verified). Errors: WrongType when
// the signature is not "FACP"; Malformed when the table is shorter than ACPI 1.0's 116 bytes
// (which every revision contains) or its header's length exceeds table.size().
[[nodiscard]] Core::Result<FadtInfo> parse_fadt(Core::ReadonlyBytes table);

} // namespace Kernel::ACPI
