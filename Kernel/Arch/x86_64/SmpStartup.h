#pragma once

#include <Core/Span.h>
#include <Core/Types.h>

namespace Kernel::Arch {

// Starts every application processor whose APIC id is listed (the boot CPU's own id is
// skipped), one at a time: stacks with guard pages, a Processor entry, INIT-SIPI-SIPI
// through the real-mode trampoline, then waits (bounded) for the CPU to come online.
// Returns how many started. A CPU that does not answer is logged and left alone.
// Each started CPU, once online, calls `continuation` (which does not return): the
// platform code uses it to start scheduling there.
Core::u32 start_application_processors(Core::Span<const Core::u32> apic_ids, void (*continuation)());

} // namespace Kernel::Arch
