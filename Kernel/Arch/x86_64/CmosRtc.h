#pragma once

// The MC146818-compatible real-time clock in the chipset's CMOS, reached through the
// index port 0x70 and the data port 0x71. Only reading is supported: the kernel keeps the
// RTC as the firmware set it (UTC on the machines and emulators RaeenOS targets).

#include <Core/Error.h>
#include <Core/Types.h>
#include <Core/CalendarTime.h>

namespace Kernel::Arch {

// Whether `index` can be the century register: CMOS RAM behind port 0x70 has indices
// 0x00-0x7F, and 0x00-0x0D are the clock and status registers themselves.
[[nodiscard]] constexpr bool is_cmos_ram_index(Core::u8 index)
{
    return index >= 0x0E && index <= 0x7F;
}

// Reads the RTC's time registers and status register B as they are, without decoding
// them (Core::decode_rtc_registers does that). `century_register` is the CMOS index the
// ACPI FADT's CENTURY field names, or 0 when there is none; the result's century is then
// 0. Waits (bounded) for an update cycle in progress to end, and reads until two
// consecutive readings agree, so that no field comes from either side of a tick.
//
// Errors: InvalidArgument for a century register that is neither 0 nor a CMOS RAM index;
// TimedOut when the update-in-progress flag never clears (no RTC there: the bus then
// reads 0xFF) or the readings never settle.
//
// Not serialised against other users of ports 0x70/0x71: the kernel reads the RTC only on
// the boot CPU (see Time::initialize_wall_clock). NMIs are masked (port 0x70 bit 7) while
// a register is selected and unmasked again before returning.
[[nodiscard]] Core::Result<Core::RtcRegisters> read_cmos_rtc(Core::u8 century_register);

} // namespace Kernel::Arch
