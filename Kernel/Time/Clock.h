#pragma once

#include <Core/Types.h>

// The kernel's monotonic clock, counted in nanoseconds since calibration. It is backed
// by the TSC, calibrated once at boot. The timer subsystem (M1.3) adds the TSC
// invariance check and HPET/PIT fallbacks; until then a machine whose TSC cannot be
// calibrated reports time zero, which keeps log order but loses durations.
namespace Kernel::Time {

void calibrate_monotonic_clock();
[[nodiscard]] Core::u64 monotonic_nanoseconds();
[[nodiscard]] Core::u64 timestamp_counter_frequency_hz();

} // namespace Kernel::Time
