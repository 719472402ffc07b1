#pragma once

// The earliest-deadline-first ready queue of one CPU: the runnable (not throttled) deadline
// servers, ordered by absolute deadline, earliest first; equal deadlines leave in the order
// they were inserted (FIFO), so servers with the same deadline cannot starve each other.
//
// Representation: an intrusive pairing heap (Fredman, Sedgewick, Sleator and Tarjan 1986).
// Every entity carries its own links and key, so inserting never allocates (it runs on a
// run queue's own CPU with interrupts disabled). Costs for n queued entities: insert and
// earliest O(1); remove and pop_earliest O(log n) amortized. A sorted list (as TimerQueue
// uses) would make removal O(1) but insertion O(n), and n is not reliably small here:
// admission limits the summed bandwidth, not the count, so one CPU may carry hundreds of
// tiny reservations, and every wake-up inserts.
//
// Ties are broken by an insertion sequence number, which makes the order strict and total:
// that is what lets a heap, which is not stable by itself, keep equal deadlines FIFO.
//
// Not synchronised: each CPU's run queue owns its EdfQueue, touched only by that CPU with
// interrupts disabled.

#include <Core/Types.h>

namespace Kernel::Scheduling {

class EdfQueue;

// The part of a schedulable entity (a thread's deadline class state) that the queue links
// through. Embed it or derive from it; the queue never owns the entity.
class EdfEntity {
public:
    EdfEntity() = default;
    // The links point at neighbours in a queue; a copy would be a second, stale member.
    EdfEntity(const EdfEntity&) = delete;
    EdfEntity& operator=(const EdfEntity&) = delete;

    // The key it was inserted with; fixed while queued (the heap order depends on it).
    [[nodiscard]] Core::u64 deadline_ns() const { return m_deadline_ns; }
    [[nodiscard]] bool is_queued() const { return m_queue != nullptr; }

private:
    friend class EdfQueue;

    Core::u64 m_deadline_ns { 0 };
    Core::u64 m_sequence { 0 };
    // Pairing-heap links: the first child, the next sibling, and the previous sibling or,
    // for a first child, the parent (null at the root).
    EdfEntity* m_first_child { nullptr };
    EdfEntity* m_next_sibling { nullptr };
    EdfEntity* m_previous { nullptr };
    // The queue holding the entity, null while it is not queued.
    EdfQueue* m_queue { nullptr };
};

// Entities must stay alive and in place while queued: remove one before its storage is freed
// or reused. Trivially destructible, so per-CPU queues can be plain globals.
class EdfQueue {
public:
    constexpr EdfQueue() = default;
    EdfQueue(const EdfQueue&) = delete;
    EdfQueue& operator=(const EdfQueue&) = delete;

    // Queues `entity` with the key deadline_ns (normally its DeadlineServer's absolute
    // deadline). Inserting an entity that is already queued (here or elsewhere) is a bug
    // (VERIFY): to change a deadline, remove the entity and insert it again.
    void insert(EdfEntity& entity, Core::u64 deadline_ns);

    // Takes `entity` out of this queue if it is queued here; returns whether it was. An
    // entity queued in another CPU's queue is a bug (VERIFY).
    bool remove(EdfEntity& entity);

    // The entity with the earliest deadline (the first inserted among equals), still queued;
    // null when the queue is empty.
    [[nodiscard]] EdfEntity* earliest() const { return m_root; }

    // Removes and returns earliest(); null when the queue is empty.
    EdfEntity* pop_earliest();

    [[nodiscard]] Core::usize count() const { return m_count; }
    [[nodiscard]] bool is_empty() const { return m_count == 0; }

private:
    static bool runs_before(const EdfEntity& first, const EdfEntity& second);
    static EdfEntity* meld(EdfEntity* first, EdfEntity* second);
    static EdfEntity* merge_siblings(EdfEntity* first_sibling);

    EdfEntity* m_root { nullptr };
    Core::usize m_count { 0 };
    Core::u64 m_next_sequence { 0 };
};

} // namespace Kernel::Scheduling
