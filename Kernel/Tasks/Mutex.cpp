#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Panic/Panic.h>
#include <Kernel/Tasks/Mutex.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Tasks {

namespace {

// Guards the waiter lists of all mutexes, every thread's list of contended mutexes it
// holds, its m_blocked_on_mutex and its inherited priority. One lock for all of them
// because a priority change walks a chain of mutexes and owners, which per-mutex locks
// would have to take in chain order. Only contended operations take it.
Locking::Spinlock s_inheritance_lock { "priority inheritance", Locking::LockRank::PriorityInheritance };

} // namespace

// The bookkeeping of priority inheritance, a friend of Thread and Mutex.
class PriorityInheritance {
public:
    // Only Mutex derives from ContendedMutexLink, so a link in a contended list is a Mutex.
    static Mutex& mutex_of(ContendedMutexLink& link) { return static_cast<Mutex&>(link); }

    static Core::u32 effective_rank(const Thread& thread) { return Tasks::effective_rank(thread); }

    // Inserts a waiter behind every waiter of its rank or higher (FIFO among equals).
    static void insert_waiter(Mutex& mutex, Thread& waiter)
    {
        Core::u32 rank = effective_rank(waiter);
        Thread* position = mutex.m_waiters.last();
        while (position && effective_rank(*position) < rank)
            position = decltype(mutex.m_waiters)::previous(*position);
        mutex.m_waiters.insert_after(position, waiter);
    }

    // What `thread` inherits: the highest rank among the first waiters of the contended
    // mutexes it holds.
    static Core::u32 inherited_rank(Thread& thread)
    {
        // A rank lent by a caller whose request the thread is serving (lend_call_priority).
        Core::u32 highest = thread.m_call_loan_rank;
        for (ContendedMutexLink* link = thread.m_contended_mutexes.first(); link;
             link = decltype(thread.m_contended_mutexes)::next(*link)) {
            if (Thread* top = mutex_of(*link).m_waiters.first()) {
                Core::u32 rank = effective_rank(*top);
                if (rank > highest)
                    highest = rank;
            }
        }
        return highest;
    }

    // Recomputes the inherited rank of `owner` and, while it changes, of each owner down
    // the chain of mutexes they wait for, moving each to the class queue it now belongs in.
    // The inheritance lock is held and interrupts are off.
    static void propagate_from(Thread* owner)
    {
        for (Core::u32 depth = 0; owner && depth < max_inheritance_depth; ++depth) {
            Core::u32 inherited = inherited_rank(*owner);
            if (inherited == owner->m_inherited_priority)
                return;
            __atomic_store_n(&owner->m_inherited_priority, inherited, __ATOMIC_RELEASE);
            Scheduler::requeue_after_priority_change(*owner);
            Mutex* next = owner->m_blocked_on_mutex;
            if (!next)
                return;
            // Its place among the waiters of the mutex it waits for follows its rank.
            next->m_waiters.remove(*owner);
            insert_waiter(*next, *owner);
            owner = next->owner();
        }
    }

    // lock()'s slow path: queue behind the owner, lend it our rank, sleep until handed the
    // mutex. Returns false when the mutex turned out to be free (the caller retries).
    static bool wait_for(Mutex& mutex, Thread& self)
    {
        Arch::InterruptsDisabled interrupts_disabled;
        {
            Locking::SpinlockLocker locker(s_inheritance_lock);
            Core::u64 word = __atomic_load_n(&mutex.m_owner_word, __ATOMIC_ACQUIRE);
            if (word == 0)
                return false;
            // A non-zero word is the owning thread's address (plus the waiters bit); the owner
            // cannot exit while it holds the mutex, so the thread is alive.
            auto* owner = reinterpret_cast<Thread*>(word & ~Mutex::has_waiters_bit);
            if (owner == &self)
                Panic::panic("mutex: thread '{}' locked a mutex it already owns", self.name());
            // The owner's unlock compare-and-swap fails from now on, so it takes the slow
            // path, which needs this lock: the word cannot change under us after this.
            if (!(word & Mutex::has_waiters_bit)
                && !__atomic_compare_exchange_n(&mutex.m_owner_word, &word, word | Mutex::has_waiters_bit,
                    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                return false;
            if (mutex.m_waiters.is_empty())
                owner->m_contended_mutexes.push_back(mutex);
            insert_waiter(mutex, self);
            self.m_blocked_on_mutex = &mutex;
            self.set_state(Thread::State::Blocked);
            propagate_from(owner);
        }
        // unlock() hands the mutex over before waking us. A wake-up from anywhere else
        // (Scheduler::wake is public) finds us not the owner yet: we wait on.
        for (;;) {
            Scheduler::block_current();
            Locking::SpinlockLocker locker(s_inheritance_lock);
            if (mutex.owner() == &self)
                return true;
            self.set_state(Thread::State::Blocked);
        }
    }

    // unlock()'s slow path: there are waiters. Hands the mutex to the first, gives up what
    // was inherited through it, and wakes the new owner.
    static void hand_over(Mutex& mutex, Thread& self)
    {
        Thread* next_owner = nullptr;
        {
            Arch::InterruptsDisabled interrupts_disabled;
            Locking::SpinlockLocker locker(s_inheritance_lock);
            next_owner = mutex.m_waiters.first();
            VERIFY(next_owner);
            mutex.m_waiters.remove(*next_owner);
            next_owner->m_blocked_on_mutex = nullptr;
            self.m_contended_mutexes.remove(mutex);
            // The owner word holds the thread's address; threads are at least 8-byte aligned,
            // so bit 0 is free for the waiters flag.
            Core::u64 word = reinterpret_cast<Core::u64>(next_owner);
            if (!mutex.m_waiters.is_empty()) {
                word |= Mutex::has_waiters_bit;
                next_owner->m_contended_mutexes.push_back(mutex);
            }
            __atomic_store_n(&mutex.m_owner_word, word, __ATOMIC_RELEASE);
            // The new owner inherits from the waiters left behind it; it is blocked, so
            // this only records the rank it will be queued at.
            propagate_from(next_owner);
            // And we drop back to what the mutexes we still hold give us.
            propagate_from(&self);
        }
        Scheduler::wake(*next_owner);
    }
};

void Mutex::lock()
{
    Thread& self = Scheduler::current();
    for (;;) {
        Core::u64 expected = 0;
        if (__atomic_compare_exchange_n(&m_owner_word, &expected, reinterpret_cast<Core::u64>(&self), false,
                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return;
        if (Arch::in_interrupt_handler())
            Panic::panic("mutex: an interrupt handler tried to wait for a mutex");
        Locking::assert_may_sleep();
        if (PriorityInheritance::wait_for(*this, self))
            return;
    }
}

bool Mutex::try_lock()
{
    Core::u64 expected = 0;
    return __atomic_compare_exchange_n(&m_owner_word, &expected,
        reinterpret_cast<Core::u64>(&Scheduler::current()), false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void Mutex::unlock()
{
    Thread& self = Scheduler::current();
    auto expected = reinterpret_cast<Core::u64>(&self);
    if (__atomic_compare_exchange_n(&m_owner_word, &expected, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        return;
    if (owner() != &self)
        Panic::panic("mutex: thread '{}' unlocked a mutex it does not own", self.name());
    PriorityInheritance::hand_over(*this, self);
    // Losing an inherited priority may have made another thread due here.
    Scheduler::yield_if_due();
}

void lend_call_priority(Thread& server, Core::u32 rank)
{
    Arch::InterruptsDisabled interrupts_disabled;
    Locking::SpinlockLocker locker(s_inheritance_lock);
    server.m_call_loan_rank = rank;
    PriorityInheritance::propagate_from(&server);
}

void end_call_priority_loan(Thread& server)
{
    if (__atomic_load_n(&server.m_call_loan_rank, __ATOMIC_ACQUIRE) == 0)
        return;
    lend_call_priority(server, 0);
}

} // namespace Kernel::Tasks
