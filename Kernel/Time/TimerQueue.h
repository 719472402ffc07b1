#pragma once

// One-shot timers ordered by deadline, one queue per CPU, for the high-resolution timer
// interrupt: the interrupt handler calls fire_expired(now) and programs the next interrupt
// for earliest_deadline().
//
// Representation: a doubly linked list kept sorted by deadline, its links inside the Timer
// itself, so arming never allocates (it runs in interrupt handlers and under locks).
// Costs, for n armed timers:
//   - earliest_deadline, cancel, popping an expired timer: O(1);
//   - arm: O(n) worst case. The insertion point is searched from the latest deadline
//     backwards, so the common case (a new deadline later than most armed ones:
//     timeouts, periodic ticks) costs O(1).
// A per-CPU queue holds few timers (tens), where the list beats a heap: no sift work, O(1)
// cancel through the links, no index to keep in each timer, and the order among equal
// deadlines (arm order) comes for free. A CPU carrying hundreds of timers with random
// deadlines would want a pairing heap instead.
//
// Not synchronised: each CPU touches only its own queue, with interrupts disabled.

#include <Core/IntrusiveList.h>
#include <Core/Optional.h>
#include <Core/Types.h>

namespace Kernel::Time {

class TimerQueue;

struct Timer {
    using Callback = void (*)(Timer& timer, void* context);

    constexpr Timer() = default;
    constexpr Timer(Callback callback_function, void* callback_context)
        : callback(callback_function)
        , context(callback_context)
    {
    }
    // The links point at neighbours in a queue; a copy would be a second, stale member.
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Set by TimerQueue::arm; read it freely, but never change it while the timer is armed
    // (the queue's order depends on it).
    Core::u64 deadline_ns { 0 };
    // Called once per expiry, with the timer already disarmed, so that it may arm this or
    // any other timer again. Must not be null when the timer is armed.
    Callback callback { nullptr };
    void* context { nullptr };

    [[nodiscard]] bool is_armed() const { return m_queue_node.is_linked(); }

private:
    friend class TimerQueue;
    // Links into the queue the timer is armed in.
    Core::IntrusiveListNode<Timer> m_queue_node;
};

// Timers must stay alive (and in place) while armed: cancel a timer before its storage
// is freed or reused. Trivially destructible, so queues can be plain globals.
class TimerQueue {
public:
    constexpr TimerQueue() = default;
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;

    // Arms `timer` to expire at `deadline_ns`. A timer already armed in this queue is moved
    // to its new deadline. Among equal deadlines, timers fire in the order they were
    // (last) armed. Arming a timer that is armed in another queue is a bug (VERIFY): that
    // queue belongs to another CPU, so cancel it there first.
    void arm(Timer& timer, Core::u64 deadline_ns);

    // Disarms `timer` if it is armed here; returns whether it was. A timer armed in
    // another queue is a bug (VERIFY).
    bool cancel(Timer& timer);

    [[nodiscard]] Core::Optional<Core::u64> earliest_deadline() const;

    // Fires, in deadline order, every timer whose deadline is <= now_ns; returns how many
    // callbacks ran. Each timer is disarmed just before its callback runs. Callbacks may
    // arm and cancel timers of this queue freely: the next timer is taken from the queue
    // after each callback returns, so a timer armed during the call with a deadline <=
    // now_ns fires in this same call (in deadline order), and one cancelled before it is
    // reached does not fire. A callback that always re-arms its own timer at or before
    // now_ns therefore never lets this return: periodic timers must advance their
    // deadline by a non-zero period.
    Core::usize fire_expired(Core::u64 now_ns);

    [[nodiscard]] Core::usize count() const { return m_timers.size(); }

private:
    void insert_sorted(Timer& timer);

    // From the earliest to the latest deadline.
    Core::IntrusiveList<Timer, &Timer::m_queue_node> m_timers;
};

} // namespace Kernel::Time
