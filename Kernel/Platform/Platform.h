#pragma once

// Platform bring-up after memory: ACPI tables, interrupt controllers, timers, the other
// CPUs, wall-clock time and power control. Everything the firmware describes is read
// from ACPI here and handed to the drivers as plain values.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Kernel/ACPI/Mcfg.h>
#include <Kernel/Boot/BootInfo.h>

namespace Kernel::Platform {

void initialize_platform(const Boot::BootInfo& boot_info);

// Routes legacy ISA IRQ `isa_irq` to `vector` on the boot CPU through the I/O APIC,
// applying the MADT's interrupt source overrides (so IRQ 0 may arrive on GSI 2). Returns
// the GSI used. NotFound without an I/O APIC serving it.
[[nodiscard]] Core::Result<Core::u32> route_isa_irq(Core::u8 isa_irq, Core::u8 vector);
[[nodiscard]] Core::Result<void> mask_isa_irq(Core::u8 isa_irq);

// Where legacy ISA IRQ `isa_irq` arrives and how it signals, from the MADT's interrupt
// source overrides (ISA's convention, the same-numbered GSI, edge, active high, where
// none applies or there is no MADT).
struct IsaInterruptLine {
    Core::u32 gsi;
    bool level_triggered;
    bool active_low;
};
[[nodiscard]] IsaInterruptLine isa_interrupt_line(Core::u8 isa_irq);

// The PCI Express configuration windows (ECAM) the ACPI MCFG lists, for the user-space
// device manager (system_pci_segments); empty without an MCFG (PCI then has only the legacy
// configuration ports, 0xCF8-0xCFF).
[[nodiscard]] Core::Span<const ACPI::EcamSegment> pci_segments();

} // namespace Kernel::Platform
