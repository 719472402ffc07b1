#pragma once

// Wall-clock time (UTC, Unix seconds). The CMOS RTC is read once at boot; after that the
// wall clock is that reading plus the monotonic time elapsed since it, so it advances as
// smoothly as the monotonic clock and costs no port I/O. Second resolution: the RTC
// reading only says which second boot was in.

#include <Core/Types.h>

namespace Kernel::Time {

// Reads the CMOS RTC and anchors the wall clock to the monotonic clock, which must already
// be calibrated (calibrate_monotonic_clock). `century_register` is the ACPI FADT's CENTURY
// field, 0 when unknown. Logs the time it read; if the RTC cannot be read or holds an
// invalid time, logs a warning and the wall clock reports 0 (1970-01-01 00:00:00).
// Boot CPU only, before other CPUs run: the anchor is written without a lock.
void initialize_wall_clock(Core::u8 century_register);

// Whether initialize_wall_clock got a valid time from the RTC.
[[nodiscard]] bool wall_clock_is_set();

// The current Unix time in seconds; 0 while the wall clock is not set.
[[nodiscard]] Core::u64 wall_clock_unix_seconds();

} // namespace Kernel::Time
