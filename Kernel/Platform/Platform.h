#pragma once

// Platform bring-up after memory: ACPI tables, interrupt controllers, timers, the other
// CPUs, wall-clock time and power control. Everything the firmware describes is read
// from ACPI here and handed to the drivers as plain values.

#include <Kernel/Boot/BootInfo.h>

namespace Kernel::Platform {

void initialize_platform(const Boot::BootInfo& boot_info);

} // namespace Kernel::Platform
