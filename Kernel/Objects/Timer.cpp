#include <ABI/Signals.h>
#include <Core/NoThrow.h>
#include <Core/Optional.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>
#include <Kernel/Objects/Timer.h>
#include <Kernel/Time/Clock.h>
#include <Kernel/Time/Timers.h>

namespace Kernel::Objects {

namespace {

constexpr Core::u32 fired = ABI::signal_bits(ABI::Signal::Fired);

void cancel_on_this_cpu(void* timer)
{
    // The argument is the object's Time::Timer, alive until the object's destructor has
    // returned, which waits for this call.
    (void)Time::cancel_timer(*static_cast<Time::Timer*>(timer));
}

// The next deadline of a periodic timer that expired at `deadline_ns`: one period on, or,
// when the CPU came late and periods went by unseen, the first period boundary after now
// (missed expiries fold into one Fired, never a burst). Nothing when it would pass the
// 64-bit clock, which no timer can reach anyway.
Core::Optional<Core::u64> next_deadline(Core::u64 deadline_ns, Core::u64 period_ns, Core::u64 now_ns)
{
    Core::u64 periods = 1;
    if (now_ns >= deadline_ns)
        periods = (now_ns - deadline_ns) / period_ns + 1;
    Core::u64 advance = 0;
    Core::u64 next = 0;
    if (__builtin_mul_overflow(periods, period_ns, &advance)
        || __builtin_add_overflow(deadline_ns, advance, &next))
        return {};
    return next;
}

} // namespace

Timer::Timer(bool auto_reset)
    : m_signals(fired, auto_reset ? fired : 0)
    , m_timer(fire, this)
{
}

Core::Result<Core::RefPtr<Timer>> Timer::create(bool auto_reset)
{
    auto* timer = new (Core::nothrow) Timer(auto_reset);
    if (!timer)
        return Core::ErrorCode::OutOfMemory;
    return Core::RefPtr<Timer>::adopt(timer);
}

Timer::~Timer()
{
    if (m_armed_cpu == no_cpu)
        return;
    Arch::InterruptsDisabled interrupts_disabled;
    for (;;) {
        Arch::run_on_processor(m_armed_cpu, cancel_on_this_cpu, &m_timer);
        if (!__atomic_load_n(&m_firing, __ATOMIC_ACQUIRE))
            return;
        // The cancel ran inside a callback still in progress: the callback's own waits (a
        // spinlock, a cross-CPU wake-up) serve calls like this one. Wait for it to end,
        // serving calls meanwhile (it may be waiting for this CPU), then cancel again in
        // case it re-armed a periodic timer: the loop ends only after a cancel that no
        // running callback can follow.
        while (__atomic_load_n(&m_firing, __ATOMIC_ACQUIRE)) {
            Arch::process_pending_processor_calls();
            Arch::pause();
        }
    }
}

void Timer::disarm()
{
    if (m_armed_cpu == no_cpu)
        return;
    // Synchronous: when it returns, the timer is in no queue and its callback is not
    // running (the call runs on that CPU with interrupts off, between callbacks; a set
    // or cancel never runs inside a callback, which would need the callback to wait for
    // this thread).
    Arch::run_on_processor(m_armed_cpu, cancel_on_this_cpu, &m_timer);
    m_armed_cpu = no_cpu;
}

void Timer::set(Core::u64 deadline_ns, Core::u64 period_ns)
{
    Tasks::MutexLocker locker(m_mutex);
    // Interrupts off from the disarm to the arm: the thread stays on this CPU, whose
    // queue m_armed_cpu then names.
    Arch::InterruptsDisabled interrupts_disabled;
    disarm();
    m_signals.clear(fired);
    __atomic_store_n(&m_period_ns, period_ns, __ATOMIC_RELAXED);
    m_armed_cpu = Arch::current_processor_index();
    Time::arm_timer(m_timer, deadline_ns);
}

void Timer::cancel()
{
    Tasks::MutexLocker locker(m_mutex);
    Arch::InterruptsDisabled interrupts_disabled;
    disarm();
    m_signals.clear(fired);
}

void Timer::fire(Time::Timer& expired, void* context)
{
    // The context is the Timer object that owns `expired`: the destructor cancels the
    // timer and waits for this callback before the object goes.
    auto* timer = static_cast<Timer*>(context);
    __atomic_store_n(&timer->m_firing, true, __ATOMIC_RELAXED);
    __atomic_add_fetch(&timer->m_fire_count, 1, __ATOMIC_RELAXED);
    Core::u64 period_ns = __atomic_load_n(&timer->m_period_ns, __ATOMIC_RELAXED);
    if (period_ns != 0) {
        // This runs on the CPU the timer was armed on, so re-arming keeps m_armed_cpu true.
        auto next = next_deadline(expired.deadline_ns, period_ns, Time::monotonic_nanoseconds());
        if (next.has_value())
            Time::arm_timer(expired, next.value());
    }
    timer->m_signals.raise(fired);
    // Last: once m_firing is false the destructor may free the object.
    __atomic_store_n(&timer->m_firing, false, __ATOMIC_RELEASE);
}

} // namespace Kernel::Objects
