#pragma once

// The signals of a kernel object (ABI/Signals.h): a bitmask and the threads waiting for
// bits of it. Objects that can be waited for embed one and return it from
// KernelObject::signals(); object_wait then works on every such object the same way.
//
// raise() may be called from any context, interrupt handlers included: it takes only the
// wait queue's spinlock and wakes threads, and neither allocates nor blocks. wait() is for
// threads that may sleep (system calls), and ends early when the caller's process is being
// terminated (Interrupted) or at its deadline (TimedOut).
//
// Besides the threads in wait(), observers (SignalObserver) can be attached: records that
// raise() calls back under the lock, so that one thread can wait for several objects at
// once (object_wait_many) and a port can queue a packet when an object's signals rise
// (port_bind), neither of them polling.

#include <Core/Error.h>
#include <Core/IntrusiveList.h>
#include <Core/Types.h>
#include <Kernel/Objects/SignalMask.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Objects {

// A record attached to an object's Signals that hears of every raise of a bit it watches.
// The callback runs under the signals' wait-queue lock (rank WaitQueue), in whatever
// context raised the bits, interrupt handlers included: it must not allocate or block,
// and may only take locks ranked above WaitQueue (LockRank::SignalObserver).
//
// Lifetime: whoever attached the observer detaches it (Signals::detach) before the record
// goes, unless the callback itself asked to be detached; detach() takes the signals' lock,
// so once it returns no raise is still inside the callback.
class SignalObserver {
public:
    struct Reaction {
        // Auto-clear bits the observer takes for itself (trimmed to the auto-clear bits
        // watched): they are cleared before any later observer or waiter sees them.
        Core::u32 consumed { 0 };
        // The observer is done: it is unlinked right after the callback returns.
        bool detach { false };
    };

    // `current`: every bit raised now; `newly_raised`: the bits of it that were clear
    // before this raise (at attach time, every raised bit); `auto_clear`: the object's
    // auto-clear bits. Called only when the raise (or the attach) touches a watched bit.
    virtual Reaction signals_raised(Core::u32 current, Core::u32 newly_raised, Core::u32 auto_clear) = 0;

    [[nodiscard]] Core::u32 watched() const { return m_watched; }

    Core::IntrusiveListNode<SignalObserver> m_signals_node;

protected:
    explicit SignalObserver(Core::u32 watched)
        : m_watched(watched)
    {
    }
    // Not virtual: observers are never destroyed through this base.
    ~SignalObserver() = default;
    // For observers made in arrays: the bits are set once, before the observer is
    // attached, never while it is.
    void set_watched(Core::u32 watched) { m_watched = watched; }

private:
    Core::u32 m_watched;
};

class Signals {
public:
    // The bits the object can raise, and which of them a wait consumes (SignalMask.h).
    constexpr explicit Signals(Core::u32 supported, Core::u32 auto_clear = 0)
        : m_mask(supported, auto_clear)
    {
    }
    Signals(const Signals&) = delete;
    Signals& operator=(const Signals&) = delete;

    // Raises `bits`, tells the observers that watch any of them (in the order they were
    // attached), then wakes every waiter, which checks for itself whether it is
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
    // The non-blocking check of wait(): the bits raised now if any of `wanted` is (with
    // the auto-clear ones it asked for consumed), otherwise 0.
    [[nodiscard]] Core::u32 try_observe(Core::u32 wanted);

    // Links `observer` and, if any bit it watches is raised already, calls it at once as
    // if those bits had just risen, so that no raise between the caller's last look and
    // the attach goes unseen. The observer must not be attached anywhere.
    void attach(SignalObserver& observer);
    // Unlinks `observer` if it is still attached here (its callback may have detached it
    // already). Afterwards no raise touches it.
    void detach(SignalObserver& observer);

private:
    // Calls the observers watching any of `touched`; the lock is held.
    void notify_observers(Core::u32 touched, Core::u32 newly_raised);

    SignalMask m_mask;
    // Its lock also guards m_mask and m_observers.
    Tasks::WaitQueue m_waiters;
    Core::IntrusiveList<SignalObserver, &SignalObserver::m_signals_node> m_observers;
};

} // namespace Kernel::Objects
