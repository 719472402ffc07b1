#pragma once

// The signals of a kernel object (ABI/Signals.h): a bitmask and the threads waiting for
// bits of it. Objects that can be waited for embed one and return it from
// KernelObject::signals(); object_wait then works on every such object the same way.
//
// raise() may be called from any context, interrupt handlers included: it takes only the
// wait queue's spinlock and wakes threads, and neither allocates nor blocks. wait() is for
// threads that may sleep (system calls), and ends early when the caller's process is being
// terminated (Interrupted) or at its deadline (TimedOut).

#include <Core/Error.h>
#include <Core/Types.h>
#include <Kernel/Objects/SignalMask.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Objects {

class Signals {
public:
    // The bits the object can raise, and which of them a wait consumes (SignalMask.h).
    constexpr explicit Signals(Core::u32 supported, Core::u32 auto_clear = 0)
        : m_mask(supported, auto_clear)
    {
    }
    Signals(const Signals&) = delete;
    Signals& operator=(const Signals&) = delete;

    // Raises `bits` and wakes every waiter, which then checks for itself whether it is
    // satisfied. Any context.
    void raise(Core::u32 bits);
    void clear(Core::u32 bits);
    // The bits raised now (they may change right after).
    [[nodiscard]] Core::u32 current();
    [[nodiscard]] Core::u32 supported() const { return m_mask.supported(); }

    // Blocks until any bit of `wanted` is raised and returns the bits raised then
    // (clearing the auto-clear ones it asked for). TimedOut once the monotonic clock
    // reaches `deadline_ns` (Tasks::no_deadline: never); Interrupted when the caller's
    // process is being terminated. Signals already raised win over a past deadline.
    [[nodiscard]] Core::Result<Core::u32> wait(Core::u32 wanted, Core::u64 deadline_ns);

private:
    SignalMask m_mask;
    // Its lock also guards m_mask.
    Tasks::WaitQueue m_waiters;
};

} // namespace Kernel::Objects
