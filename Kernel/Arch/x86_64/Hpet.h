#pragma once

// The HPET's main counter, used as the reference clock: to measure the TSC's rate and to
// check timers against. Its comparators are not used (the local APIC timer drives timers).

#include <Core/Error.h>
#include <Core/Types.h>

namespace Kernel::Arch {

// Maps the HPET's registers, checks the period and starts the main counter.
[[nodiscard]] Core::Result<void> initialize_hpet(Core::u64 physical_address);
[[nodiscard]] bool hpet_ready();
// Nanoseconds of the HPET's main counter since it was started.
[[nodiscard]] Core::u64 hpet_nanoseconds();
[[nodiscard]] Core::u64 hpet_frequency_hz();

} // namespace Kernel::Arch
