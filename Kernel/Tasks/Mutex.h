#pragma once

// A sleeping mutex with priority inheritance: while a thread waits for a mutex, its owner
// runs at the waiter's priority if that is higher than its own, so a thread of middle
// priority cannot keep a low-priority owner, and through it the high-priority waiter,
// off the CPU (priority inversion). docs/scheduling.md.
//
// Priorities are compared as ranks: fair threads 0, fixed-priority threads their level
// (1..99), deadline threads Scheduling::inherited_deadline_priority (above every fixed
// level). An owner that inherits runs in the fixed-priority class at the inherited rank,
// so only deadline threads (and higher inherited ranks) run before it. Inheritance follows
// chains (the owner waits for another mutex whose owner inherits in turn), up to
// max_inheritance_depth owners deep.
//
// The uncontended paths are one compare-and-swap each. Contended lock and unlock take the
// global priority-inheritance lock, which guards every mutex's waiters, every thread's
// list of contended mutexes it holds, and inherited priorities. Ownership passes directly
// to the highest-ranked waiter on unlock (FIFO among equals), so no waiter can be
// overtaken by a newcomer.

#include <Core/IntrusiveList.h>
#include <Core/Types.h>
#include <Kernel/Tasks/Thread.h>

namespace Kernel::Tasks {

inline constexpr Core::u32 max_inheritance_depth = 16;

class Mutex : private ContendedMutexLink {
public:
    constexpr Mutex() = default;
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    // Blocks until the calling thread owns the mutex. Locking a mutex the caller already
    // owns is a bug (it would wait for itself forever) and stops the kernel.
    void lock();
    // Takes the mutex if it is free; never blocks.
    [[nodiscard]] bool try_lock();
    // Hands the mutex to the highest-ranked waiter, or frees it. Only the owner may unlock.
    void unlock();

    [[nodiscard]] Thread* owner() const
    {
        // The word is 0 or an owning thread's address with the waiters flag in bit 0.
        return reinterpret_cast<Thread*>(__atomic_load_n(&m_owner_word, __ATOMIC_ACQUIRE) & ~has_waiters_bit);
    }

private:
    friend class PriorityInheritance;

    // m_owner_word is the owner's address, with bit 0 set while threads wait: a set bit
    // makes the owner's compare-and-swap unlock fail and take the slow path.
    static constexpr Core::u64 has_waiters_bit = 1;

    Core::u64 m_owner_word { 0 };
    // Ordered by rank, highest first; FIFO among equal ranks.
    Core::IntrusiveList<Thread, &Thread::m_wait_node> m_waiters;
};

// Locks a mutex for a scope.
class MutexLocker {
public:
    explicit MutexLocker(Mutex& mutex)
        : m_mutex(mutex)
    {
        m_mutex.lock();
    }
    ~MutexLocker() { m_mutex.unlock(); }
    MutexLocker(const MutexLocker&) = delete;
    MutexLocker& operator=(const MutexLocker&) = delete;

private:
    Mutex& m_mutex;
};

// A thread's rank for priority inheritance: its own (0 for the fair class, its fixed
// priority, or Scheduling::inherited_deadline_priority for the deadline class) or what it
// inherits, whichever is higher. Inline: every synchronous call asks for the caller's.
[[nodiscard]] inline Core::u32 effective_rank(const Thread& thread)
{
    Core::u32 own = 0;
    switch (thread.policy()) {
    case SchedulingPolicy::Deadline:
        own = Scheduling::inherited_deadline_priority;
        break;
    case SchedulingPolicy::FixedPriority:
        own = thread.fixed_priority();
        break;
    case SchedulingPolicy::Fair:
        break;
    }
    Core::u32 inherited = thread.inherited_priority();
    return own > inherited ? own : inherited;
}

// Priority inheritance across IPC (Ipc/Channel.h): a server thread serving a call runs at
// least at its caller's rank until it replies. The rank is a class and level as mutexes
// lend them (0: nothing; a fixed priority; the deadline class), and it joins what the
// thread inherits through mutexes (the higher counts).
[[nodiscard]] inline Core::u32 call_priority_of(const Thread& caller)
{
    return effective_rank(caller);
}
// Sets the rank `server` borrows (replacing an earlier loan; 0 ends it) and moves it to the
// class queue it now belongs in.
void lend_call_priority(Thread& server, Core::u32 rank);
void end_call_priority_loan(Thread& server);

} // namespace Kernel::Tasks
