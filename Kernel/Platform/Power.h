#pragma once

// Turning the machine off and restarting it. The ACPI facts they need (PM1 control ports
// and the S5 sleep type, the reset register) are read from the FADT and DSDT at boot by
// Platform.cpp; docs/power.md explains the choices.

#include <Core/Optional.h>
#include <Core/Types.h>
#include <Kernel/ACPI/Fadt.h>
#include <Kernel/ACPI/SleepState.h>

namespace Kernel::Platform {

struct PowerControl {
    Core::Optional<ACPI::FadtInfo> fadt;
    Core::Optional<ACPI::SleepType> s5_sleep_type;
};

void set_power_control(const PowerControl& control);

// Enters ACPI S5 (soft off). Falls back to stopping the CPU when the firmware gave no way.
[[noreturn]] void power_off();
// Resets through the FADT reset register, then the 8042 keyboard controller, then a
// triple fault, whichever works first.
[[noreturn]] void reboot();

} // namespace Kernel::Platform
