#pragma once

// A process: a user address space, a handle table, and the threads that run in it. It is a
// kernel object (handles name it) and reference counted: its handles, and each of its
// threads until that thread's stack is gone, keep it alive. docs/abi/processes.md.
//
// Life cycle. A process is Created empty (process_create, or the kernel for process 1),
// Running from the start of its first thread, and Exited once its last thread has gone
// and its handles are closed. It ends when its last thread ends, or at once when it is
// terminated (process_exit, process_kill, or a fault in user mode): every thread of a
// terminating process leaves at its next way back to user mode, and waits it is blocked
// in end. The exit status is the terminating call's, or else the last thread's.

#include <ABI/Signals.h>
#include <Core/Error.h>
#include <Core/IntrusiveList.h>
#include <Core/RateLimiter.h>
#include <Core/RefPtr.h>
#include <Core/StringView.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Objects/HandleTable.h>
#include <Kernel/Objects/KernelObject.h>
#include <Kernel/Objects/Signals.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/Thread.h>

namespace Kernel::Tasks {

class Process final : public Objects::TypedKernelObject<ABI::ObjectType::Process> {
public:
    // The longest name kept (longer ones are cut).
    static constexpr Core::usize maximum_name_length = 31;

    enum class State : Core::u8 {
        Created, // no thread started yet
        Starting, // process_start is loading its program
        Running, // its first thread has started
        Exited, // every thread gone, handles closed; exit_status() is final
    };

    // A process with an empty address space and an empty handle table. OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<Process>> create(Core::StringView name);
    ~Process() override;

    // Terminated, raised once the process has Exited (object_wait).
    [[nodiscard]] Objects::Signals* signals() override { return &m_signals; }

    [[nodiscard]] const char* name() const { return m_name; }
    // The process's number: from 1, in creation order, never reused while the kernel runs.
    [[nodiscard]] Core::u64 id() const { return m_id; }
    // Threads not yet gone.
    [[nodiscard]] Core::u32 live_threads() const
    {
        return __atomic_load_n(&m_live_threads, __ATOMIC_RELAXED);
    }

    // Process 1 is critical: system_process_kill refuses it (its end would end the system).
    void mark_critical() { m_critical = true; }
    [[nodiscard]] bool is_critical() const { return m_critical; }

    // Every process that exists, for `ps` (system_process_list): calls `visit(Process&)` for
    // each, in creation order, under the registry's lock (a leaf: `visit` may only read the
    // process's fields and copy them into memory it already has). Returns how many there are.
    template<typename Visit> static Core::usize for_each(Visit visit);
    // The process with `id`, if it exists and is not being destroyed.
    [[nodiscard]] static Core::RefPtr<Process> find(Core::u64 id);
    [[nodiscard]] Memory::AddressSpace& address_space() { return *m_address_space; }
    // This process's share of the audit log (Security/AuditLog.h).
    [[nodiscard]] Security::AuditBudget& audit_budget() { return m_audit_budget; }

    [[nodiscard]] State state() const
    {
        return static_cast<State>(__atomic_load_n(&m_state, __ATOMIC_ACQUIRE));
    }
    // Moves Created to Starting, for the one caller that will start the process; false if
    // it is not Created (already started, or terminated first).
    [[nodiscard]] bool begin_start() { return change_state(State::Created, State::Starting); }
    // Ends a start that failed before any thread existed: the caller has terminated the
    // process, which, with no thread to end it, exits here (Starting, back to Created, then
    // Exited).
    void abandon_start();
    // Starting to Running, once its first thread is started.
    void finish_start() { (void)change_state(State::Starting, State::Running); }

    // Runs `use(HandleTable&)` with the table's lock held. Closing a handle there may
    // destroy its object, whose destructor never takes a handle-table lock.
    // Inline: every system call that names a handle comes through here.
    template<typename Use> [[gnu::always_inline]] decltype(auto) with_handles(Use use)
    {
        Locking::SpinlockLocker locker(m_handles_lock);
        return use(m_handles);
    }

    // Ends the process with `status` (the first termination's status wins): its threads
    // leave as described above. A process that never started exits at once. Returns
    // whether this call was the one that terminated it.
    bool terminate(Core::i64 status);
    [[nodiscard]] bool is_terminating() const { return __atomic_load_n(&m_terminating, __ATOMIC_ACQUIRE); }
    // The status the process ends with: the termination's, or else (once Exited) the last
    // thread's.
    [[nodiscard]] Core::i64 exit_status() const { return __atomic_load_n(&m_exit_status, __ATOMIC_ACQUIRE); }
    // Blocks until the process has Exited and returns its exit status. Interruptible
    // (WaitQueue::wait_until_interruptible): Interrupted, or TimedOut at `deadline_ns`.
    [[nodiscard]] Core::Result<Core::i64> wait_for_exit(Core::u64 deadline_ns = no_deadline);

    // Thread accounting (UserThread.cpp, the scheduler). A new thread joins the process's
    // list; one that joins a terminating process is itself told to terminate.
    void add_thread(Thread& thread);
    // Called by the scheduler, with interrupts off, once a thread of the process is off its
    // CPU for good; takes over that thread's reference. The last thread's hands the process
    // to the reaper thread, which closes its handles and drops the reference with interrupts
    // on: how long that takes is up to the program (thousands of handles, a large address
    // space), and it must not hold up the switch path.
    static void release_from_exited_thread(Process& process, Thread& thread);

    // Starts the reaper thread. Called once at boot, once every CPU schedules; until then
    // (and if it cannot start) the last thread's CPU tears the process down itself.
    static void start_reaper();
    // Whether processes handed to the reaper still wait for, or are in, their teardown. The
    // kernel benchmarks start once none are (Test/KernelTest.cpp), so that the teardowns an
    // earlier test left do not run beside them.
    [[nodiscard]] static bool teardowns_pending();

    // This process's share of the kernel log (debug_log): a burst of 20 lines, then one a
    // second. Per process, so that a program that floods the log loses its own lines and
    // no one else's.
    [[nodiscard]] Core::RateLimiter::Decision consider_log_line(Core::u64 now_ns)
    {
        return m_log_budget.with([&](Core::RateLimiter& limiter) { return limiter.consider(now_ns); });
    }

private:
    Process(Core::StringView name, Memory::AddressSpace* address_space);
    [[nodiscard]] bool change_state(State from, State to)
    {
        auto expected = static_cast<Core::u8>(from);
        return __atomic_compare_exchange_n(
            &m_state, &expected, static_cast<Core::u8>(to), false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    }
    // Closes the handles, publishes Exited and wakes waiters (the reaper).
    void finish_exit();
    // A terminated process that never started exits without threads: Created to Exited,
    // by whichever of terminate() and abandon_start() gets there.
    void exit_if_never_started();

    char m_name[maximum_name_length + 1] {};
    Core::u64 m_id { 0 };
    bool m_critical { false };
    // Links the process into the registry of every process, from creation to destruction.
    Core::IntrusiveListNode<Process> m_registry_node;
    friend class ProcessRegistry;
    Memory::AddressSpace* m_address_space;
    Locking::Spinlock m_handles_lock { "process handles", Locking::LockRank::ProcessHandles };
    Objects::HandleTable m_handles;
    Core::u8 m_state { static_cast<Core::u8>(State::Created) };
    bool m_terminating { false };
    Core::i64 m_exit_status { 0 };
    // The threads not yet reaped, and their count.
    Locking::Spinlock m_threads_lock { "process threads", Locking::LockRank::ProcessThreads };
    Locking::SpinlockProtected<Core::RateLimiter> m_log_budget { "process log budget",
        Locking::LockRank::Leaf, 20u, 1'000'000'000ull };
    using ThreadList = Core::IntrusiveList<Thread, &Thread::m_process_node>;
    ThreadList m_threads;
    Core::u32 m_live_threads { 0 };
    // Threads waiting in wait_for_exit.
    WaitQueue m_exit_waiters;
    Objects::Signals m_signals { ABI::signal_bits(ABI::Signal::Terminated) };
    // Links the process into the reaper's list between its last thread and its teardown.
    Core::IntrusiveListNode<Process> m_reaper_node;
    friend class ProcessReaper;
    Security::AuditBudget m_audit_budget;
};

inline bool Scheduler::termination_requested(const Thread& thread)
{
    return thread.m_process && thread.m_process->is_terminating();
}

// Every process that exists (Process::for_each, Process::find).
class ProcessRegistry {
public:
    using List = Core::IntrusiveList<Process, &Process::m_registry_node>;
    static Locking::SpinlockProtected<List>& processes();
};

template<typename Visit> Core::usize Process::for_each(Visit visit)
{
    return ProcessRegistry::processes().with([&](ProcessRegistry::List& list) {
        for (Process* process = list.first(); process; process = ProcessRegistry::List::next(*process))
            visit(*process);
        return list.size();
    });
}

} // namespace Kernel::Tasks
