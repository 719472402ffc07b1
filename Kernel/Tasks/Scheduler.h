#pragma once

// The per-CPU scheduler (M1.4): kernel threads in three classes, picked in this order:
//   1. deadline: EDF over CBS servers, admitted per CPU (never above 95% of a CPU);
//   2. fixed priority: round robin within each of the levels 1..99;
//   3. fair: EEVDF with nice weights;
// and an idle thread per CPU that sleeps in hlt. RT throttling stops fixed-priority
// threads once real-time work has used 95% of a 100 ms window while fair threads wait.
// Preemption comes from one one-shot timer per CPU, armed only for the next decision.
// Idle and underloaded CPUs pull fair threads from the busiest CPU. docs/scheduling.md.
//
// Each CPU's run queue is touched only by that CPU, with interrupts off; work for another
// CPU (starting or waking a thread that lives there, or handing one over) is sent to it as
// a cross-CPU call.

#include <Core/Error.h>
#include <Core/IntrusiveList.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Tasks/Thread.h>

namespace Kernel::Tasks {

inline constexpr int game_mode_nice_boost = 5;

// A deadline that never comes, for waits without a timeout.
inline constexpr Core::u64 no_deadline = ~0ull;

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
    [[nodiscard]] static Thread& current()
    {
        // The scheduler sets the pointer at every switch, to a live Thread.
        return *static_cast<Thread*>(Arch::current_thread_pointer());
    }
    // The calling thread's runtime including the stretch it is running now.
    [[nodiscard]] static Core::u64 current_runtime_ns();

    // Policy changes apply to a thread that has not started yet or to the calling thread
    // itself; anything else is InvalidArgument. They take effect at once.
    //   Fair: nice in -20..19.
    static Core::Result<void> set_fair(Thread& thread, int nice);
    //   Fixed priority: 1..99, higher runs first.
    static Core::Result<void> set_fixed_priority(Thread& thread, Core::u32 priority);
    //   Deadline: runtime_ns of CPU in every period_ns (the relative deadline), admitted
    //   on one CPU of the thread's affinity (a thread not started yet goes to the least
    //   loaded; the calling thread stays on its own). Busy when no allowed CPU has the
    //   bandwidth left. A deadline thread stays on the CPU it was admitted on.
    static Core::Result<void> set_deadline(Thread& thread, Core::u64 runtime_ns, Core::u64 period_ns);
    // Game mode (project rules, section 39): the foreground game's fair threads weigh as
    // if they were game_mode_nice_boost nice levels higher (about 3x at nice 0). The boost
    // stays inside the fair class on purpose: a background thread keeps its own weight, so
    // it always gets its weighted share and is never starved, which a real-time boost could
    // not promise. Fair threads only (InvalidArgument otherwise); same callers as above.
    static Core::Result<void> set_game_mode_boost(Thread& thread, bool boosted);
    // Restricts the CPUs the thread may run on (intersected with the online CPUs; empty is
    // InvalidArgument). The calling thread moves at once if its CPU is no longer allowed.
    // A deadline thread's mask must keep its CPU, where its bandwidth is reserved.
    static Core::Result<void> set_affinity(Thread& thread, Scheduling::CpuMask affinity);

    // Lets other runnable threads of this CPU run first.
    static void yield();
    // Switches only if something (a wake-up, a priority change) made another thread due.
    static void yield_if_due();
    // Blocks the calling thread until the monotonic clock reaches `deadline_ns`.
    static void sleep_until(Core::u64 deadline_ns);
    // Ends the calling thread; `status` is kept for whoever looks (Thread::exit_status).
    [[noreturn]] static void exit_current(Core::i64 status = 0);
    // Blocks until `thread` has exited and returns its exit status. Any number of threads
    // may join one thread; a thread cannot join itself (InvalidArgument), nor one that was
    // never started (it would never exit: InvalidArgument).
    [[nodiscard]] static Core::Result<Core::i64> join(Thread& thread);
    // join() for system calls: also Interrupted when the caller's process is terminated.
    [[nodiscard]] static Core::Result<Core::i64> join_interruptible(Thread& thread);

    // Makes a blocked thread runnable again (from any CPU, including interrupt handlers
    // on the thread's own CPU).
    static void wake(Thread& thread);
    // Whether the thread's process is being terminated (Process::terminate): the thread
    // must not run user code again. Always false for kernel threads.
    // Inline (Process.h defines it): every system call's return asks.
    [[nodiscard]] static inline bool termination_requested(const Thread& thread);
    // Gets a thread of a terminating process out of the kernel's way: ends an interruptible
    // wait it is in (WaitQueue::wait_until_interruptible) and interrupts its CPU, so that
    // it leaves user mode at once. It then exits on its way back to user mode. Takes no
    // lock.
    static void interrupt_for_termination(Thread& thread);
    // Switches away from the calling thread, which its caller has already marked Blocked
    // and recorded where a waker will find it. Interrupts must be off.
    static void block_current();
    // Direct hand-off, for synchronous IPC (docs/scheduling.md#hand-off). All three need
    // interrupts off, from the claim until the claimed thread is handed off or run.
    //
    // Makes `thread`, which the caller just took off the wait it was Blocked in, Runnable
    // and the caller's to dispatch: true if it lives on this CPU and nobody else is waking
    // it. False leaves it as it was (Blocked, or being woken by someone else); the caller
    // then wakes it the ordinary way.
    // Inline: every synchronous call and reply on one CPU makes one.
    [[nodiscard]] static bool claim_for_hand_off(Thread& thread)
    {
        verify_interrupts_off();
        // Blocked on this CPU and not the running thread means switched away from for good
        // (a thread blocks only on its own CPU), so nothing runs on its stack. Another waker
        // that got there first has made it Waking, and the CAS fails.
        if (thread.cpu() != Arch::current_processor_index() || &thread == &current())
            return false;
        return thread.change_state(Thread::State::Blocked, Thread::State::Runnable);
    }
    // Switches from the calling thread, already Blocked and recorded where a waker will find
    // it, straight to `next` (claimed), with no scheduling decision: `next` runs in the
    // caller's place in the class queues (it serves the caller's call), or, when the caller
    // was running in next's place, gives that place back (the reply). Anything else falls
    // back to run_claimed() and an ordinary switch.
    // Defined inline in Scheduler.cpp, where block_under() is its one caller.
    static void hand_off(Thread& next);
    // Queues a claimed thread that is not handed off.
    static void run_claimed(Thread& thread);

    // One interruptible block for a wait whose waiters are recorded under a lock of the
    // caller's own (a channel's), rather than on a WaitQueue: the caller holds `lock`
    // (lock() returned `saved_flags`, with interrupts off since before the caller's own
    // InterruptsDisabled), and has recorded the calling thread where its wakers look, who
    // take the same lock and wake (or claim) it under it. This releases the lock, blocks
    // (handing off to `hand_off_target`, claimed, if given), and takes the lock again
    // before it returns. Then Interrupted if the process is being terminated, TimedOut if
    // `deadline_ns` has passed, else nothing: the caller looks at its record to tell a
    // wake-up from a stray one, and blocks again if it must.
    [[nodiscard]] static Core::Result<void> block_under(
        Locking::Spinlock& lock, Core::u64 saved_flags, Core::u64 deadline_ns, Thread* hand_off_target);
    // block_under() in two parts, for a caller whose record can say, without the lock,
    // that the wait is over (a hand-off back, Ipc/Channel.cpp): the block, which returns
    // without the lock, and the outcome (Interrupted, TimedOut or nothing), which such a
    // caller asks for only when it takes the lock again to look further.
    static void block_releasing(
        Locking::Spinlock& lock, Core::u64 saved_flags, Core::u64 deadline_ns, Thread* hand_off_target);
    [[nodiscard]] static Core::Result<void> wait_outcome(Core::u64 deadline_ns);
    // Sets the calling thread's thread pointer (its FS base, for thread-local storage in
    // user mode) and loads it. The caller has checked `address` (a user address: wrmsr
    // faults on a non-canonical one).
    static void set_thread_pointer(Core::u64 address);
    // Moves a thread whose inherited priority changed to the class queue it now belongs
    // in, on its CPU (Mutex's priority inheritance). Interrupts must be off.
    static void requeue_after_priority_change(Thread& thread);

    // The hand-off paths' precondition, checked in debug kernels: they run on every
    // same-CPU call and reply.
    static void verify_interrupts_off()
    {
        if constexpr (is_debug_build)
            VERIFY(!(Arch::read_flags() & Arch::interrupt_flag));
    }
};

// Threads waiting for something another thread (or an interrupt) will signal.
class WaitQueue {
public:
    constexpr WaitQueue() = default;
    // A queue whose lock sits elsewhere in the lock order (docs/lock-order.md): one that is
    // woken while another wait queue's lock is held needs a higher rank than that one.
    constexpr WaitQueue(const char* lock_name, Locking::LockRank lock_rank)
        : m_lock(lock_name, lock_rank)
    {
    }
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
    // As wait_until, for waits a program asks for through a system call: they also end when
    // the calling thread's process is being terminated (Interrupted: the thread must return
    // towards user mode, where it exits) and, unless `deadline_ns` is no_deadline, when the
    // monotonic clock reaches it (TimedOut). The condition is checked first, so a wait
    // whose condition already holds succeeds even past its deadline.
    template<typename Condition>
    [[nodiscard]] Core::Result<void> wait_until_interruptible(Condition condition, Core::u64 deadline_ns)
    {
        return wait_interruptible(
            [](void* context) { return (*static_cast<Condition*>(context))(); }, &condition, deadline_ns);
    }

    // Returns whether a thread was woken.
    bool wake_one();
    Core::usize wake_all();

private:
    using ConditionCheck = bool (*)(void* context);
    [[nodiscard]] Core::Result<void> wait_interruptible(
        ConditionCheck check, void* context, Core::u64 deadline_ns);
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
    // wait() for system calls (WaitQueue::wait_until_interruptible).
    [[nodiscard]] Core::Result<void> wait_interruptible(Core::u64 deadline_ns = no_deadline);
    void signal();
    void reset();
    [[nodiscard]] bool is_signalled() const { return __atomic_load_n(&m_signalled, __ATOMIC_ACQUIRE); }

private:
    bool m_signalled { false };
    WaitQueue m_waiters;
};

} // namespace Kernel::Tasks
