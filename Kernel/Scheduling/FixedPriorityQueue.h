#pragma once

// The run queue of the fixed-priority round-robin class, one instance per CPU: the runnable
// threads that asked for a fixed priority (POSIX SCHED_RR), one FIFO list per priority level.
// The thread to run is the first of the highest non-empty level; within a level threads take
// turns, each running for up to fixed_priority_time_slice_ns before rotate() sends it to the
// tail. A thread at a higher level always preempts one at a lower level, however long the
// lower one has waited: that is the contract of the class, and what makes it unbounded (RT
// throttling, RealTimeThrottle.h, is what keeps it from starving fair threads).
//
// Levels. Threads may ask for minimum_fixed_priority..maximum_fixed_priority (1..99, the range
// POSIX and Linux give SCHED_RR). One more level, inherited_deadline_priority (100), sits above
// them all and is never granted on request: a fixed-priority thread holding a lock that a
// deadline-class thread waits for inherits it, so it runs before every other fixed-priority
// thread and the deadline waiter is blocked only for the critical section, not for whatever
// fixed-priority work happens to be runnable. Level 0 is invalid, which lets 0 mean "none"
// (an empty queue's highest_priority(), an unqueued entity's queued_priority()).
//
// Finding the highest level is O(1): a bitmap of the non-empty levels, two 64-bit words
// (levels 0..63 and 64..127), searched with count-leading-zeros. Every other operation is
// O(1) as well (intrusive lists), and nothing allocates, since the queue is used on its run
// queue's own CPU with interrupts disabled.
//
// highest() does not remove what it returns, so the run queue may leave the running thread
// queued (as it does with FairQueue) or take it out while it runs. In the second case a thread
// preempted by a higher level goes back with enqueue_front(), at the head of its level: it was
// interrupted, not done with its turn, and queueing it at the tail would hand its turn to its
// peers every time a higher-level thread woke up.
//
// Not synchronised: each CPU touches only its own queue, with interrupts off (Kernel/Tasks).

#include <Core/IntrusiveList.h>
#include <Core/Types.h>

namespace Kernel::Scheduling {

// The priorities a thread may ask for, lowest first.
inline constexpr Core::u32 minimum_fixed_priority = 1;
inline constexpr Core::u32 maximum_fixed_priority = 99;
// The level above every requestable one, reached only by inheriting priority from a
// deadline-class waiter (see the top of this file).
inline constexpr Core::u32 inherited_deadline_priority = 100;
// Levels 0..inherited_deadline_priority; level 0 is never used.
inline constexpr Core::u32 fixed_priority_level_count = inherited_deadline_priority + 1;

// The round-robin quantum: how long a thread may run before the others of its level get a
// turn. Linux's SCHED_RR default is 100 ms; a tenth of that keeps the wait for a turn short
// when several threads share a level (a thread's latency is at most quantum * (n - 1) behind
// n - 1 peers), while a switch costs a few microseconds, well under 0.1% of a quantum.
inline constexpr Core::u64 fixed_priority_time_slice_ns = 10'000'000;

// Whether a thread may ask for `priority` (the check for input from user programs).
[[nodiscard]] constexpr bool is_valid_fixed_priority(Core::u32 priority)
{
    return priority >= minimum_fixed_priority && priority <= maximum_fixed_priority;
}

// Whether `priority` is a level the queue holds: a requestable priority or the inherited one.
[[nodiscard]] constexpr bool is_valid_fixed_priority_level(Core::u32 priority)
{
    return priority >= minimum_fixed_priority && priority <= inherited_deadline_priority;
}

class FixedPriorityQueue;

// The part of a schedulable entity (a thread's fixed-priority class state) that the queue
// links through. Derive from it; the queue never owns the entity.
class FixedPriorityEntity {
public:
    constexpr FixedPriorityEntity() = default;
    // The links point at neighbours in a queue; a copy would be a second, stale member.
    FixedPriorityEntity(const FixedPriorityEntity&) = delete;
    FixedPriorityEntity& operator=(const FixedPriorityEntity&) = delete;

    [[nodiscard]] bool is_queued() const { return m_queue_node.is_linked(); }
    // The level the entity is queued at; 0 while it is not queued. A thread's priority may
    // change while it is queued elsewhere in the kernel's records; this is where it actually
    // sits, which is what dequeue() and rotate() need.
    [[nodiscard]] Core::u32 queued_priority() const { return m_queued_priority; }

private:
    friend class FixedPriorityQueue;

    Core::u32 m_queued_priority { 0 };
    Core::IntrusiveListNode<FixedPriorityEntity> m_queue_node;
};

// Entities must stay alive and in place while queued: dequeue one before its storage is freed
// or reused. Constant-initialised and trivially destructible, so per-CPU queues can be plain
// globals.
class FixedPriorityQueue {
public:
    constexpr FixedPriorityQueue() = default;
    FixedPriorityQueue(const FixedPriorityQueue&) = delete;
    FixedPriorityQueue& operator=(const FixedPriorityQueue&) = delete;

    // Queues `entity` at the tail of level `priority`, behind the entities already there. The
    // priority must be a valid level and the entity must not be queued anywhere (VERIFY): both
    // are the kernel's own state, user requests are checked with is_valid_fixed_priority.
    void enqueue(FixedPriorityEntity& entity, Core::u32 priority);

    // Queues `entity` at the head of level `priority`, ahead of the entities already there:
    // for a thread that was preempted by a higher level and must keep its place in the turn
    // order. Same conditions as enqueue().
    void enqueue_front(FixedPriorityEntity& entity, Core::u32 priority);

    // Takes `entity` out; it must be queued in this queue (VERIFY).
    void dequeue(FixedPriorityEntity& entity);

    // The first entity of the highest non-empty level, still queued; null when the queue is
    // empty.
    [[nodiscard]] FixedPriorityEntity* highest() const;

    // The highest non-empty level; 0 when the queue is empty.
    [[nodiscard]] Core::u32 highest_priority() const;

    // Round robin: moves `entity`, which must be queued here (VERIFY), to the tail of its
    // level, when it has used up its quantum. Alone on its level, it stays where it is.
    void rotate(FixedPriorityEntity& entity);

    [[nodiscard]] Core::usize count() const { return m_count; }
    [[nodiscard]] bool is_empty() const { return m_count == 0; }

private:
    using Level = Core::IntrusiveList<FixedPriorityEntity, &FixedPriorityEntity::m_queue_node>;

    static constexpr Core::u32 bits_per_word = 64;
    static constexpr Core::u32 bitmap_word_count = 2;
    static_assert(fixed_priority_level_count <= bits_per_word * bitmap_word_count,
        "every level needs a bit in the non-empty bitmap");

    void insert(FixedPriorityEntity& entity, Core::u32 priority, bool at_front);
    // The level holding `entity`, which must be queued in this queue (VERIFY).
    Level& level_holding(FixedPriorityEntity& entity);
    void mark_non_empty(Core::u32 priority);
    void mark_empty(Core::u32 priority);

    Level m_levels[fixed_priority_level_count];
    // Bit (priority % 64) of word (priority / 64) is set exactly when that level is not empty.
    Core::u64 m_non_empty_levels[bitmap_word_count] {};
    Core::usize m_count { 0 };
};

} // namespace Kernel::Scheduling
