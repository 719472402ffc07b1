#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/LocalApic.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Time/Clock.h>
#include <Kernel/Time/Timers.h>

namespace Kernel::Time {

namespace {

// Per CPU, by processor index; each CPU only touches its own, with interrupts off.
TimerQueue s_queues[Arch::max_processors];
Core::u64 s_ticks_per_millisecond = 0;
// TSC-deadline mode when the CPU has it (and the TSC is invariant, so that its value
// means the same time on every CPU and in every power state); countdown mode otherwise.
bool s_use_tsc_deadline = false;

// Programs this CPU's local timer for the earliest deadline, or stops it when none is
// left. A deadline beyond the 32-bit counter's reach is approached in steps: the
// interrupt then finds nothing expired and programs the next step.
void program_local_timer(TimerQueue& queue)
{
    auto deadline = queue.earliest_deadline();
    if (s_use_tsc_deadline) {
        // The deadline is an absolute TSC value: no conversion of a remaining time, no
        // 32-bit range to step through.
        Arch::set_local_timer_tsc_deadline(deadline.has_value() ? timestamp_counter_at(deadline.value()) : 0);
        return;
    }
    if (!deadline.has_value()) {
        Arch::set_local_timer_one_shot(0);
        return;
    }
    Core::u64 now = monotonic_nanoseconds();
    Core::u64 remaining_ns = deadline.value() > now ? deadline.value() - now : 0;
    // Waits are taken at most a second at a time: ns * ticks_per_ms then stays far below
    // 2^64 for any timer rate up to 2^34 ticks per millisecond.
    constexpr Core::u64 longest_step_ns = 1'000'000'000;
    if (remaining_ns > longest_step_ns)
        remaining_ns = longest_step_ns;
    Core::u64 ticks = remaining_ns * s_ticks_per_millisecond / 1'000'000u;
    Core::u32 count = ticks == 0 ? 1 : (ticks > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<Core::u32>(ticks));
    Arch::set_local_timer_one_shot(count);
}

void handle_local_timer(Arch::RegisterState&, void*)
{
    TimerQueue& queue = s_queues[Arch::current_processor_index()];
    queue.fire_expired(monotonic_nanoseconds());
    program_local_timer(queue);
}

} // namespace

void initialize_timers()
{
    // Count down from the top for 10 ms of monotonic time (interrupts are off, and the
    // count cannot reach zero that soon at any real bus clock).
    constexpr Core::u64 calibration_ns = 10'000'000;
    Arch::set_local_timer_one_shot(0xFFFFFFFFu);
    Core::u64 start = monotonic_nanoseconds();
    Core::u32 start_count = Arch::local_timer_current_count();
    while (monotonic_nanoseconds() - start < calibration_ns)
        Arch::pause();
    Core::u32 end_count = Arch::local_timer_current_count();
    Core::u64 elapsed = monotonic_nanoseconds() - start;
    Arch::set_local_timer_one_shot(0);
    s_ticks_per_millisecond = static_cast<Core::u64>(start_count - end_count) * 1'000'000 / elapsed;
    if (s_ticks_per_millisecond == 0)
        s_ticks_per_millisecond = 1;
    Arch::set_interrupt_handler(Arch::local_timer_vector, handle_local_timer, nullptr);
    s_use_tsc_deadline = Arch::local_timer_supports_tsc_deadline() && timestamp_counter_is_invariant();
    if (s_use_tsc_deadline)
        Log::info("time: local APIC timer in TSC-deadline mode (one-shot, no periodic tick)");
    else
        Log::info("time: local APIC timer runs at {} kHz (one-shot countdown, no periodic tick)",
            s_ticks_per_millisecond);
}

void arm_timer(Timer& timer, Core::u64 deadline_ns)
{
    Arch::InterruptsDisabled interrupts_disabled;
    TimerQueue& queue = s_queues[Arch::current_processor_index()];
    queue.arm(timer, deadline_ns);
    program_local_timer(queue);
}

bool cancel_timer(Timer& timer)
{
    Arch::InterruptsDisabled interrupts_disabled;
    TimerQueue& queue = s_queues[Arch::current_processor_index()];
    bool was_armed = queue.cancel(timer);
    program_local_timer(queue);
    return was_armed;
}

Core::u64 local_timer_ticks_per_millisecond()
{
    return s_ticks_per_millisecond;
}

} // namespace Kernel::Time
