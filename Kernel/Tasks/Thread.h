#pragma once

// A kernel thread: its own stack (with a guard page), its saved stack pointer while it is
// not running, and its place in its CPU's fair run queue. docs/scheduling.md.

#include <Core/Error.h>
#include <Core/IntrusiveList.h>
#include <Core/Types.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Scheduling/FairQueue.h>
#include <Kernel/Time/TimerQueue.h>

namespace Kernel::Tasks {

// A Thread is its own fair-queue entity, so the scheduler gets from the entity the queue
// picks back to the thread with a static_cast.
class Thread : public Scheduling::FairEntity {
public:
    using Entry = void (*)(void* argument);

    enum class State : Core::u8 {
        Created, // not started yet
        Runnable, // in its CPU's run queue (running or waiting to run)
        Blocked, // waiting: on a wait queue or until a deadline
        Exited, // finished; its stack is no longer used
    };

    // A thread that will run entry(argument) on CPU `cpu` once started with
    // Scheduler::start(). OutOfMemory when no stack or object can be had.
    static Core::Result<Thread*> create(
        const char* name, Entry entry, void* argument, Core::u32 cpu, int nice = 0);

    [[nodiscard]] const char* name() const { return m_name; }
    [[nodiscard]] State state() const
    {
        return static_cast<State>(__atomic_load_n(&m_state, __ATOMIC_ACQUIRE));
    }
    [[nodiscard]] Core::u32 cpu() const { return m_cpu; }
    [[nodiscard]] Core::u64 runtime_ns() const { return total_runtime_ns(); }

private:
    friend class Scheduler;
    friend class WaitQueue;
    friend class SchedulerInternals;

    Thread(const char* name, Entry entry, void* argument, Core::u32 cpu, int nice)
        : Scheduling::FairEntity(nice)
        , m_name(name)
        , m_entry(entry)
        , m_argument(argument)
        , m_cpu(cpu)
    {
    }

    const char* m_name;
    Entry m_entry;
    void* m_argument;
    Core::u32 m_cpu;
    // A State, stored as its integer so that other CPUs can read it atomically.
    Core::u8 m_state { static_cast<Core::u8>(State::Created) };
    Core::u64 m_saved_stack_pointer { 0 };
    Memory::KernelStack m_stack {};
    // Wakes the thread at the end of sleep_until().
    Time::Timer m_wake_timer;
    // Links into a WaitQueue while blocked on one.
    Core::IntrusiveListNode<Thread> m_wait_node;
};

} // namespace Kernel::Tasks
