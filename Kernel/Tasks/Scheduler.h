#pragma once

// The per-CPU scheduler, first part of M1.4: kernel threads in the fair (EEVDF) class,
// preempted by a one-shot time-slice timer, with sleeping and wait queues, and an idle
// thread per CPU that sleeps in hlt. docs/scheduling.md lists what is still to come.
//
// Each CPU's run queue is touched only by that CPU, with interrupts off; work for another
// CPU (starting or waking a thread that lives there) is sent to it as a cross-CPU call.

#include <Core/IntrusiveList.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Tasks/Thread.h>

namespace Kernel::Tasks {

class Scheduler {
public:
    // Makes the calling context this CPU's first thread and creates its idle thread. From
    // then on the CPU schedules. Every CPU calls it once.
    static void initialize_on_this_cpu(const char* current_context_name);
    [[nodiscard]] static bool is_active_on_this_cpu();
    // Whether CPU `cpu` schedules (threads may be created for it).
    [[nodiscard]] static bool is_ready(Core::u32 cpu);
    // Waits (bounded) until every online CPU schedules; false on timeout.
    [[nodiscard]] static bool wait_until_ready_everywhere(Core::u64 limit_ns);

    // Makes a created thread runnable on its CPU (once; later calls do nothing).
    static void start(Thread& thread);
    [[nodiscard]] static Thread& current();

    // Lets other runnable threads of this CPU run first.
    static void yield();
    // Blocks the calling thread until the monotonic clock reaches `deadline_ns`.
    static void sleep_until(Core::u64 deadline_ns);
    // Ends the calling thread.
    [[noreturn]] static void exit_current();

    // Makes a blocked thread runnable again (from any CPU, including interrupt handlers
    // on the thread's own CPU).
    static void wake(Thread& thread);
    // Switches away from the calling thread, which its caller has already marked Blocked
    // and recorded where a waker will find it. Interrupts must be off.
    static void block_current();
};

// Threads waiting for something another thread (or an interrupt) will signal.
class WaitQueue {
public:
    constexpr WaitQueue() = default;
    // Blocks the calling thread until wake_one() or wake_all() picks it.
    void wait();
    // Returns as soon as `condition()` holds, blocking in between. The condition is
    // evaluated with the queue's lock held, and wakers change what it reads under the same
    // lock (with_lock), so no wake-up can be lost between the check and the sleep.
    template<typename Condition> void wait_until(Condition condition)
    {
        for (;;) {
            Arch::InterruptsDisabled interrupts_disabled;
            {
                Locking::SpinlockLocker locker(m_lock);
                if (condition())
                    return;
                enqueue_current_as_waiter();
            }
            Scheduler::block_current();
        }
    }
    // Runs `change` with the queue's lock held (for the state wait_until conditions read).
    template<typename Change> void with_lock(Change change)
    {
        Locking::SpinlockLocker locker(m_lock);
        change();
    }
    // Returns whether a thread was woken.
    bool wake_one();
    Core::usize wake_all();

private:
    // Marks the calling thread Blocked and appends it; the lock is held.
    void enqueue_current_as_waiter();

    Locking::Spinlock m_lock { "wait queue", Locking::LockRank::WaitQueue };
    Core::IntrusiveList<Thread, &Thread::m_wait_node> m_waiters;
};

// A counting semaphore.
class Semaphore {
public:
    constexpr explicit Semaphore(Core::u64 initial_count)
        : m_count(initial_count)
    {
    }
    // Takes one unit, blocking while there is none.
    void down();
    // Takes one unit if there is one; never blocks.
    [[nodiscard]] bool try_down();
    // Returns one unit and wakes a waiter.
    void up();
    [[nodiscard]] Core::u64 count() const { return __atomic_load_n(&m_count, __ATOMIC_RELAXED); }

private:
    Core::u64 m_count;
    WaitQueue m_waiters;
};

// A one-way flag that threads can wait for: once signalled it stays signalled until reset.
class Event {
public:
    constexpr Event() = default;
    void wait();
    void signal();
    void reset();
    [[nodiscard]] bool is_signalled() const { return __atomic_load_n(&m_signalled, __ATOMIC_ACQUIRE); }

private:
    bool m_signalled { false };
    WaitQueue m_waiters;
};

} // namespace Kernel::Tasks
