#pragma once

// Helpers shared by the scheduler's kernel tests (only test files include this).

#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Tasks::TestSupport {

// Waits (sleeping, so other threads of this CPU run) until every thread has exited or the
// limit passes.
inline bool wait_for_exit(Thread* const* threads, Core::u32 count, Core::u64 limit_ns)
{
    Core::u64 start = Time::monotonic_nanoseconds();
    for (;;) {
        bool all_exited = true;
        for (Core::u32 index = 0; index < count; ++index)
            all_exited = all_exited && threads[index]->state() == Thread::State::Exited;
        if (all_exited)
            return true;
        if (Time::monotonic_nanoseconds() - start > limit_ns)
            return false;
        Scheduler::sleep_until(Time::monotonic_nanoseconds() + 1'000'000);
    }
}

inline void sleep_for(Core::u64 duration_ns)
{
    Scheduler::sleep_until(Time::monotonic_nanoseconds() + duration_ns);
}

// Runs on the CPU for `cpu_time_ns` of the calling thread's own runtime (time it was
// preempted does not count), like a job of that execution time.
inline void compute_for(Core::u64 cpu_time_ns)
{
    Core::u64 until = Scheduler::current_runtime_ns() + cpu_time_ns;
    while (Scheduler::current_runtime_ns() < until)
        asm volatile("pause" ::: "memory");
}

// Spins until the shared stop flag is set, counting iterations where other threads can
// watch them (an atomic store each time, so the count is not kept in a register).
struct SpinWork {
    volatile bool* stop;
    Core::u64 iterations;

    [[nodiscard]] Core::u64 progress() const { return __atomic_load_n(&iterations, __ATOMIC_RELAXED); }
};

inline void spin_until_stopped(void* argument)
{
    // The argument is the test's SpinWork, static so that it outlives the thread.
    auto* work = static_cast<SpinWork*>(argument);
    while (!*work->stop)
        __atomic_store_n(&work->iterations, work->iterations + 1, __ATOMIC_RELAXED);
}

// Creates a thread that starts on `cpu` and may run only there.
inline Core::Result<Thread*> create_pinned(
    const char* name, Thread::Entry entry, void* argument, Core::u32 cpu, ThreadOptions options = {})
{
    Thread* thread = TRY(Thread::create(name, entry, argument, cpu, options));
    TRY(Scheduler::set_affinity(*thread, Scheduling::CpuMask::only(cpu)));
    return thread;
}

// A CPU other than the boot CPU when there is one, so the test thread's own activity
// does not count in what a test measures there.
inline Core::u32 test_cpu(Core::u32 preferred = 1)
{
    return Arch::processor_count() > preferred ? preferred : Arch::processor_count() - 1;
}

} // namespace Kernel::Tasks::TestSupport
