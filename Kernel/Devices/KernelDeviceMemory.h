#pragma once

// The device registers the kernel itself drives (the local APIC, the I/O APICs, the HPET).
// They lie above RAM, inside the MMIO range process 1 holds, but no user-space driver may
// map them: whoever could write the local APIC or the HPET could stop every CPU's timer.
// Platform start-up records them here; memory_object_create_physical refuses any overlap.

#include <Core/Types.h>

namespace Kernel::Devices {

// Records [physical_base, physical_base + size), widened to whole pages. Called at boot,
// before user space runs; a fixed table (16 ranges), enough for one local APIC, the HPET
// and the I/O APICs of any machine this kernel supports. Returns false when it is full,
// which the caller reports (the range then stays mappable).
[[nodiscard]] bool reserve_kernel_device_memory(Core::u64 physical_base, Core::u64 size);

// Whether [physical_base, physical_base + size) touches a recorded range. Never overflows.
[[nodiscard]] bool overlaps_kernel_device_memory(Core::u64 physical_base, Core::u64 size);

} // namespace Kernel::Devices
