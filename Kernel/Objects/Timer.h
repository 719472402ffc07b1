#pragma once

// A timer object: raises Fired at an absolute monotonic deadline and, if it has a period,
// again every period after it (timer_create, timer_set, timer_cancel; waited for with
// object_wait). Rights: Manage to set or cancel, Wait to wait.
//
// Underneath is a Time::Timer on one CPU's timer queue: the CPU of the thread that last
// set it. Its callback runs in that CPU's timer interrupt; a periodic timer re-arms itself
// there. Setting or cancelling from any other CPU first cancels it on its CPU with a
// synchronous cross-CPU call (as Scheduler::sleep_until does), so a timer is never armed
// in two queues. A mutex serialises set and cancel, which may block; the destructor needs
// no mutex (nobody else holds the object), cancels the timer and waits out a callback that
// is still running, so no callback ever touches a destroyed timer.

#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Core/Types.h>
#include <Kernel/Objects/KernelObject.h>
#include <Kernel/Objects/Signals.h>
#include <Kernel/Tasks/Mutex.h>
#include <Kernel/Time/TimerQueue.h>

namespace Kernel::Objects {

class Timer final : public TypedKernelObject<ABI::ObjectType::Timer> {
public:
    // A disarmed timer. With `auto_reset`, a wait that returns with Fired clears it
    // (ABI::TimerFlag::AutoReset). OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<Timer>> create(bool auto_reset);
    ~Timer() override;

    // Clears Fired and arms the timer for `deadline_ns`, then every `period_ns` after it
    // (0: once). A deadline already past fires at once. The caller checked the period
    // against ABI::minimum_timer_period_ns. Replaces any earlier setting. May block.
    void set(Core::u64 deadline_ns, Core::u64 period_ns);
    // Disarms the timer and clears Fired. May block.
    void cancel();

    // How many times the timer has fired since it was created.
    [[nodiscard]] Core::u64 fire_count() const { return __atomic_load_n(&m_fire_count, __ATOMIC_RELAXED); }

    Signals* signals() override { return &m_signals; }

private:
    static constexpr Core::u32 no_cpu = ~0u;

    explicit Timer(bool auto_reset);
    // The Time::Timer callback, in the timer interrupt of m_armed_cpu.
    static void fire(Time::Timer& expired, void* context);
    // Cancels the Time::Timer on the CPU it was armed on. Interrupts must be off, so the
    // caller stays on its CPU; m_mutex held, or the object is being destroyed.
    void disarm();

    Tasks::Mutex m_mutex;
    Signals m_signals;
    Time::Timer m_timer;
    // Written only while the timer is disarmed (under m_mutex, after disarm()), read by
    // the callback: the cross-CPU call of disarm() orders the two.
    Core::u64 m_period_ns { 0 };
    // The CPU whose queue the timer was last armed in, or no_cpu.
    Core::u32 m_armed_cpu { no_cpu };
    // Whether the callback is running now (on m_armed_cpu).
    bool m_firing { false };
    Core::u64 m_fire_count { 0 };
};

} // namespace Kernel::Objects
