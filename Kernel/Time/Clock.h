#pragma once

#include <Core/Types.h>

// The kernel's monotonic clock, counted in nanoseconds since boot. It is backed by the
// TSC. Early boot measures the TSC against the PIT (good to a fraction of a percent);
// once the HPET is up, the rate is taken from CPUID leaf 0x15 when the CPU states it, or
// measured again against the HPET, and the clock switches to it without jumping. A
// machine whose TSC cannot be measured reports time zero, which keeps log order but
// loses durations. docs/time.md.
namespace Kernel::Time {

void calibrate_monotonic_clock();
// Takes the TSC rate from CPUID 0x15, or measures it against `reference_nanoseconds` (the
// HPET) over `window_ns`, and continues the clock at the new rate from its current value.
void refine_monotonic_clock(Core::u64 (*reference_nanoseconds)(), Core::u64 window_ns);
// The TSC value at which the monotonic clock will read `nanoseconds` (for TSC-deadline
// timers). A time already past gives the TSC value of "now"; one too far ahead for the
// counter to reach gives the largest value (the timer then never fires).
[[nodiscard]] Core::u64 timestamp_counter_at(Core::u64 nanoseconds);

// Spins for `nanoseconds` of monotonic time (short hardware delays only).
void busy_wait_nanoseconds(Core::u64 nanoseconds);

// Whether the CPU promises a TSC that runs at a constant rate in every power state.
[[nodiscard]] bool timestamp_counter_is_invariant();
[[nodiscard]] Core::u64 monotonic_nanoseconds();
[[nodiscard]] Core::u64 timestamp_counter_frequency_hz();

} // namespace Kernel::Time
