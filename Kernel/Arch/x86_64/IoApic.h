#pragma once

// I/O APICs: they turn device interrupt lines (global system interrupts, GSIs) into
// vectors delivered to a CPU's local APIC. The platform code registers each I/O APIC the
// MADT lists and routes lines with route_interrupt_line(); ISA IRQ numbers are first
// translated through the MADT's interrupt source overrides (Platform.cpp).

#include <Core/Error.h>
#include <Core/Types.h>

namespace Kernel::Arch {

struct InterruptLineRouting {
    Core::u8 vector;
    Core::u32 destination_apic_id;
    bool active_low;
    bool level_triggered;
};

// Maps the I/O APIC's registers, reads how many lines it has and masks them all.
[[nodiscard]] Core::Result<void> add_io_apic(
    Core::u8 apic_id, Core::u64 physical_address, Core::u32 gsi_base);
[[nodiscard]] Core::u32 io_apic_count();

// Programs the redirection entry of `gsi` and unmasks it. NotFound when no I/O APIC
// serves that GSI.
[[nodiscard]] Core::Result<void> route_interrupt_line(Core::u32 gsi, const InterruptLineRouting& routing);
[[nodiscard]] Core::Result<void> mask_interrupt_line(Core::u32 gsi);
// Clears the mask bit of a line routed before, keeping its routing. NotFound as above.
[[nodiscard]] Core::Result<void> unmask_interrupt_line(Core::u32 gsi);
// One past the highest GSI an I/O APIC serves (0 without I/O APICs). GSIs below it that no
// I/O APIC serves (gaps between them) are possible; routing one is NotFound.
[[nodiscard]] Core::u32 io_apic_gsi_end();

} // namespace Kernel::Arch
