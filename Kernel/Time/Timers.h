#pragma once

// One-shot high-resolution timers. Each CPU has a TimerQueue and programs its local APIC
// timer for the earliest deadline only: there is no periodic tick, so an idle CPU sleeps
// until its next timer (or any other interrupt). A timer never fires before its deadline
// (an early interrupt finds nothing expired and re-programs); docs/time.md gives the
// measured lateness.

#include <Core/Types.h>
#include <Kernel/Time/TimerQueue.h>

namespace Kernel::Time {

// Measures the local APIC timer against the monotonic clock and installs the timer
// interrupt. Called once by the boot CPU after the local APIC is up; the rate is the same
// on every CPU.
void initialize_timers();

// Arms `timer` on the calling CPU to fire at `deadline_ns` (monotonic). Its callback runs
// in that CPU's timer interrupt, with interrupts off. Must be called with interrupts off
// or from the CPU's own context; the timer stays on this CPU until it fires or is
// cancelled here.
void arm_timer(Timer& timer, Core::u64 deadline_ns);
bool cancel_timer(Timer& timer);

// Local APIC timer ticks per millisecond (for diagnostics and tests).
[[nodiscard]] Core::u64 local_timer_ticks_per_millisecond();

} // namespace Kernel::Time
