#pragma once

// A kernel thread: its own stack (with a guard page), its saved stack pointer while it is
// not running, its scheduling policy and its place in one of its CPU's class queues.
// docs/scheduling.md.

#include <Core/Error.h>
#include <Core/IntrusiveList.h>
#include <Core/Optional.h>
#include <Core/Types.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Scheduling/DeadlineServer.h>
#include <Kernel/Scheduling/EdfQueue.h>
#include <Kernel/Scheduling/FairQueue.h>
#include <Kernel/Scheduling/FixedPriorityQueue.h>
#include <Kernel/Scheduling/LoadBalancing.h>
#include <Kernel/Time/TimerQueue.h>

namespace Kernel::Memory {
class AddressSpace;
}
namespace Kernel::Ipc {
class ChannelEndpoint;
class Message;
} // namespace Kernel::Ipc

namespace Kernel::Tasks {

class Mutex;
class Process;

// A contended mutex's link into its owner's list of contended mutexes (Mutex derives from
// it): the owner's inherited priority is the highest of those mutexes' top waiters.
class ContendedMutexLink {
public:
    Core::IntrusiveListNode<ContendedMutexLink> m_contended_node;
};

// The scheduling class a thread asks for. Priority inheritance (Mutex) may run a thread in
// a higher class than the one it asked for while it holds a contended mutex.
enum class SchedulingPolicy : Core::u8 {
    Fair, // EEVDF with a nice level: everything by default
    FixedPriority, // round robin at a fixed priority (1..99): device threads
    Deadline, // EDF with a CBS budget (runtime per period): latency-critical work
};

struct ThreadOptions {
    int nice = 0;
    // Threads that will run user code get an FPU/SSE/AVX state of their own, saved and
    // restored on every switch. Kernel-only threads never touch the FPU (the kernel is
    // built general-regs-only), so they need none and switch faster.
    bool has_fpu_state = false;
};

// A Thread is an entity of each class queue (a thread is queued in at most one of them at
// a time), so the scheduler gets from the entity a queue picks back to the thread with a
// static_cast.
class Thread : public Scheduling::FairEntity,
               public Scheduling::EdfEntity,
               public Scheduling::FixedPriorityEntity {
public:
    using Entry = void (*)(void* argument);

    enum class State : Core::u8 {
        Created, // not started yet
        Runnable, // on its CPU (running, queued, or waiting for its deadline budget)
        Blocked, // waiting: on a wait queue, a mutex, or until a deadline
        // Woken (or started), with the call that queues it on its CPU on the way. Only that
        // call, or the thread's own CPU finding it still queued, makes it Runnable, so a
        // wake-up that arrives late finds a thread that has moved on and does nothing.
        Waking,
        // Finished, but perhaps still on its CPU: its stack (and address space) may still be
        // in use until the switch away from it completes.
        Exiting,
        // Off its CPU for good, stack freed, process reference dropped; joiners wake now.
        Exited,
    };

    // A thread that will run entry(argument), first on CPU `cpu`, once started with
    // Scheduler::start(). It may run on any CPU (Scheduler::set_affinity restricts that).
    // InvalidArgument for a CPU that does not schedule or an invalid nice level;
    // OutOfMemory when no stack, FPU state or object can be had.
    static Core::Result<Thread*> create(
        const char* name, Entry entry, void* argument, Core::u32 cpu, ThreadOptions options = {});

    [[nodiscard]] const char* name() const { return m_name; }
    [[nodiscard]] State state() const
    {
        return static_cast<State>(__atomic_load_n(&m_state, __ATOMIC_ACQUIRE));
    }
    // The CPU the thread is on now (it changes when the thread migrates).
    [[nodiscard]] Core::u32 cpu() const { return __atomic_load_n(&m_cpu, __ATOMIC_ACQUIRE); }
    [[nodiscard]] Scheduling::CpuMask affinity() const { return m_affinity; }
    [[nodiscard]] SchedulingPolicy policy() const { return m_policy; }
    [[nodiscard]] Core::u32 fixed_priority() const { return m_fixed_priority; }
    [[nodiscard]] bool has_game_mode_boost() const { return m_game_mode_boost; }
    // The priority inherited through contended mutexes it holds: 0 for none, a fixed
    // priority, or Scheduling::inherited_deadline_priority for a deadline-class waiter.
    [[nodiscard]] Core::u32 inherited_priority() const
    {
        return __atomic_load_n(&m_inherited_priority, __ATOMIC_ACQUIRE);
    }
    // Time charged to the thread so far (the running thread's current stretch is added
    // at its next switch or at Scheduler::current_runtime_ns()).
    [[nodiscard]] Core::u64 runtime_ns() const { return __atomic_load_n(&m_runtime_ns, __ATOMIC_RELAXED); }
    // How many times the thread moved to another CPU.
    [[nodiscard]] Core::u64 migration_count() const
    {
        return __atomic_load_n(&m_migrations, __ATOMIC_RELAXED);
    }
    [[nodiscard]] bool has_fpu_state() const { return m_fpu_state != nullptr; }
    [[nodiscard]] Memory::AddressSpace* address_space() const { return m_address_space; }
    // The process a user thread belongs to (null for kernel threads and for user threads
    // started on a bare address space by kernel tests).
    [[nodiscard]] Process* process() const { return m_process; }
    // What the thread passed to Scheduler::exit_current (0 when its entry returned), or
    // the fault status if a fault in user mode ended it (ABI::fault_exit_status_base).
    // Meaningful once state() is Exited.
    [[nodiscard]] Core::i64 exit_status() const { return m_exit_status; }

private:
    friend class Scheduler;
    friend class WaitQueue;
    friend class Mutex;
    friend class PriorityInheritance;
    friend class SchedulerInternals;
    friend class UserThreads;
    friend class Process;
    friend void lend_call_priority(Thread&, Core::u32);
    friend void end_call_priority_loan(Thread&);
    friend class Ipc::ChannelEndpoint;
    friend class Ipc::Message;

    Thread(const char* name, Entry entry, void* argument, Core::u32 cpu, int nice);

    void set_state(State state)
    {
        __atomic_store_n(&m_state, static_cast<Core::u8>(state), __ATOMIC_RELEASE);
    }
    [[nodiscard]] bool change_state(State from, State to)
    {
        auto expected = static_cast<Core::u8>(from);
        return __atomic_compare_exchange_n(
            &m_state, &expected, static_cast<Core::u8>(to), false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    }

    const char* m_name;
    Entry m_entry;
    void* m_argument;
    Core::u32 m_cpu;
    // A State, stored as its integer so that other CPUs can read it atomically.
    Core::u8 m_state { static_cast<Core::u8>(State::Created) };
    Core::u64 m_saved_stack_pointer { 0 };
    Memory::KernelStack m_stack {};
    // 64-byte aligned FPU state inside m_fpu_allocation, or null for kernel-only threads.
    void* m_fpu_state { nullptr };
    // The thread pointer of a thread that runs user code: its FS base, loaded at every
    // switch to it when the CPU holds another (Scheduler::set_thread_pointer).
    Core::u64 m_thread_pointer { 0 };
    void* m_fpu_allocation { nullptr };

    // Policy: changed only by the thread itself or before it starts.
    SchedulingPolicy m_policy { SchedulingPolicy::Fair };
    Core::u32 m_fixed_priority { 0 };
    Core::Optional<Scheduling::DeadlineServer> m_deadline_server;
    // The nice level asked for; the fair class uses it less game_mode_nice_boost while
    // the game-mode boost is on.
    int m_base_nice { 0 };
    bool m_game_mode_boost { false };
    Scheduling::CpuMask m_affinity { Scheduling::CpuMask::all() };
    // Written under the priority-inheritance lock, read by the thread's CPU when queueing.
    Core::u32 m_inherited_priority { 0 };
    // Round-robin time used of the current fixed-priority quantum.
    Core::u64 m_quantum_used_ns { 0 };
    // Runnable deadline thread whose budget is spent: it waits, in no queue, for
    // m_replenish_timer.
    bool m_waiting_for_budget { false };
    Core::u64 m_migrations { 0 };
    Core::u64 m_runtime_ns { 0 };
    Core::i64 m_exit_status { 0 };
    // The address space a user thread runs on (null for kernel threads, which run on the
    // kernel's), and where it starts in user mode (UserThread.h).
    Memory::AddressSpace* m_address_space { nullptr };
    // A reference the thread holds on its process, dropped once its stack is freed (the
    // process's address space must outlive every switch away from the thread).
    Process* m_process { nullptr };
    Core::u64 m_user_instruction_pointer { 0 };
    Core::u64 m_user_stack_pointer { 0 };
    Core::u64 m_user_argument { 0 };
    Core::u64 m_user_second_argument { 0 };
    Core::u64 m_user_third_argument { 0 };

    // Wakes the thread at the end of sleep_until(). It lives on the CPU it was armed on,
    // which sleep_until() records, so that an early wake-up can cancel it there.
    Time::Timer m_wake_timer;
    Core::u32 m_wake_timer_cpu { 0 };
    // Refills a throttled deadline server at its deadline.
    Time::Timer m_replenish_timer;
    // Links into a WaitQueue while blocked on one, or a Mutex's waiters.
    Core::IntrusiveListNode<Thread> m_wait_node;
    // Set while the thread is queued in WaitQueue::wait_until_interruptible, so that
    // terminating its process knows it may wake it (other waits take no stray wake-ups).
    bool m_in_interruptible_wait { false };
    // Links into its process's list of threads (Process.h), from its creation until it
    // has exited.
    Core::IntrusiveListNode<Thread> m_process_node;
    // The mutex the thread is blocked on (priority inheritance follows the chain).
    Mutex* m_blocked_on_mutex { nullptr };
    // The rank a caller lent the thread while it serves its call (lend_call_priority;
    // written under the priority-inheritance lock), and the transaction it belongs to.
    Core::u32 m_call_loan_rank { 0 };
    Core::u64 m_call_loan_transaction { 0 };
    // Set while the thread frees channel messages (ChannelEndpoint::dispose), so that nested
    // endpoint teardowns hand their messages to it instead of recursing.
    bool m_disposing_messages { false };
    // A spare block for a small channel message (Ipc::Message), kept from the last one this
    // thread freed for the next one it makes, so that a call and its reply need no heap
    // work. Only the thread itself touches it; it is freed when the thread exits.
    void* m_spare_message { nullptr };
    // While the thread serves a call handed to it directly (Scheduler::hand_off), the caller
    // it runs for: the caller is Blocked but keeps its place in the class queues, and this
    // thread runs in that place, in none of its own. Set and cleared only by this CPU with
    // interrupts off, and only while this thread is the running one (docs/scheduling.md).
    Thread* m_running_for { nullptr };
    // The contended mutexes the thread holds (under the priority-inheritance lock).
    Core::IntrusiveList<ContendedMutexLink, &ContendedMutexLink::m_contended_node> m_contended_mutexes;
};

} // namespace Kernel::Tasks
