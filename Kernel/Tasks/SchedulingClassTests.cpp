// Kernel tests of the scheduling classes on real threads: shares, priorities, throttling,
// deadlines, game mode. Those whose verdict is a measured time are KERNEL_TIMED_TESTs (they
// run on QEMU's instruction-counting clock, see KernelTest.h).

#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/SchedulerTestSupport.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

namespace {

using Kernel::Tasks::Scheduler;
using Kernel::Tasks::Thread;
using namespace Kernel::Tasks::TestSupport;

constexpr Core::u64 millisecond = 1'000'000;

// Whether `result` is an error with `code` (a success is not).
bool refused_with(const Core::Result<void>& result, Core::ErrorCode code)
{
    return result.is_error() && result.error().code() == code;
}

// Is `share` within a third of `expected` (the documented tolerance for shares)?
bool within_a_third(Core::u64 share, Core::u64 expected)
{
    return share * 3 > expected * 2 && share * 3 < expected * 4;
}

} // namespace

// Two CPU-bound threads at nice 0 and nice 5 on one CPU split it in proportion to their
// weights, 1024 : 335.
KERNEL_TIMED_TEST(scheduling_classes, fair_shares_follow_nice_weights)
{
    Core::u32 cpu = test_cpu();
    // Static: spinners that outlive a failed test must not write into a dead stack frame.
    static volatile bool stop;
    stop = false;
    static SpinWork work[2];
    for (SpinWork& slot : work)
        slot = { &stop, 0 };
    Thread* threads[2] {};
    int nice_levels[2] = { 0, 5 };
    for (Core::u32 index = 0; index < 2; ++index) {
        auto thread = create_pinned(
            "weighted spinner", spin_until_stopped, &work[index], cpu, { nice_levels[index] });
        EXPECT(!thread.is_error());
        if (thread.is_error())
            return;
        threads[index] = thread.value();
    }
    for (Thread* thread : threads)
        Scheduler::start(*thread);
    sleep_for(1000 * millisecond);
    stop = true;
    EXPECT(wait_for_exit(threads, 2, 2000 * millisecond));
    Core::u64 total = threads[0]->runtime_ns() + threads[1]->runtime_ns();
    EXPECT(within_a_third(threads[0]->runtime_ns(), total * 1024 / (1024 + 335)));
    EXPECT(within_a_third(threads[1]->runtime_ns(), total * 335 / (1024 + 335)));
}

// A fixed-priority thread runs before a fair one on its CPU, but RT throttling still gives
// the fair thread its 5% of every 100 ms window: it gets between 2.5% and 10% of a second.
KERNEL_TIMED_TEST(scheduling_classes, fixed_priority_runs_first_and_throttling_leaves_fair_its_share)
{
    Core::u32 cpu = test_cpu();
    // Static: spinners that outlive a failed test must not write into a dead stack frame.
    static volatile bool stop;
    stop = false;
    static SpinWork fair_work;
    fair_work = { &stop, 0 };
    static SpinWork fixed_work;
    fixed_work = { &stop, 0 };
    auto fair = create_pinned("fair spinner", spin_until_stopped, &fair_work, cpu);
    auto fixed = create_pinned("fixed spinner", spin_until_stopped, &fixed_work, cpu);
    EXPECT(!fair.is_error() && !fixed.is_error());
    if (fair.is_error() || fixed.is_error())
        return;
    EXPECT(!Scheduler::set_fixed_priority(*fixed.value(), 10).is_error());
    Scheduler::start(*fair.value());
    sleep_for(10 * millisecond);
    Core::u64 fair_before = fair.value()->runtime_ns();
    Scheduler::start(*fixed.value());
    sleep_for(1000 * millisecond);
    stop = true;
    Thread* threads[2] = { fair.value(), fixed.value() };
    EXPECT(wait_for_exit(threads, 2, 2000 * millisecond));
    Core::u64 fair_during = fair.value()->runtime_ns() - fair_before;
    Core::u64 fixed_total = fixed.value()->runtime_ns();
    Core::u64 total = fair_during + fixed_total;
    EXPECT(fixed_total * 100 > total * 88);
    EXPECT(fair_during * 1000 > total * 25);
    EXPECT(fair_during * 100 < total * 10);
}

// Two threads at the same fixed priority take turns by the round-robin quantum.
KERNEL_TIMED_TEST(scheduling_classes, round_robin_shares_a_priority_level)
{
    Core::u32 cpu = test_cpu();
    // Static: spinners that outlive a failed test must not write into a dead stack frame.
    static volatile bool stop;
    stop = false;
    static SpinWork work[2];
    for (SpinWork& slot : work)
        slot = { &stop, 0 };
    Thread* threads[2] {};
    for (Core::u32 index = 0; index < 2; ++index) {
        auto thread = create_pinned("round robin spinner", spin_until_stopped, &work[index], cpu);
        EXPECT(!thread.is_error());
        if (thread.is_error())
            return;
        EXPECT(!Scheduler::set_fixed_priority(*thread.value(), 20).is_error());
        threads[index] = thread.value();
    }
    for (Thread* thread : threads)
        Scheduler::start(*thread);
    sleep_for(600 * millisecond);
    stop = true;
    EXPECT(wait_for_exit(threads, 2, 2000 * millisecond));
    Core::u64 total = threads[0]->runtime_ns() + threads[1]->runtime_ns();
    EXPECT(within_a_third(threads[0]->runtime_ns(), total / 2));
    EXPECT(within_a_third(threads[1]->runtime_ns(), total / 2));
}

namespace {

// A periodic real-time task: every period it is released, computes for `job_ns` of its
// own CPU time and records whether it finished by the job's deadline (release + period).
struct PeriodicTask {
    Core::u64 period_ns;
    Core::u64 job_ns;
    Core::u64 first_release_ns;
    Core::u64 job_count;
    Core::u64 jobs_done;
    Core::u64 deadline_misses;
    Core::u64 worst_response_ns;
    Core::u64 worst_wake_ns;
    Core::u64 worst_ran_ns;
};

void run_periodic_task(void* argument)
{
    auto& task = *static_cast<PeriodicTask*>(argument);
    for (Core::u64 job = 0; job < task.job_count; ++job) {
        Core::u64 release = task.first_release_ns + job * task.period_ns;
        Scheduler::sleep_until(release);
        Core::u64 started = Kernel::Time::monotonic_nanoseconds();
        Core::u64 runtime_before = Scheduler::current_runtime_ns();
        compute_for(task.job_ns);
        Core::u64 finished = Kernel::Time::monotonic_nanoseconds();
        if (started - release > task.worst_wake_ns)
            task.worst_wake_ns = started - release;
        if (Scheduler::current_runtime_ns() - runtime_before > task.worst_ran_ns)
            task.worst_ran_ns = Scheduler::current_runtime_ns() - runtime_before;
        if (finished > release + task.period_ns)
            ++task.deadline_misses;
        if (finished - release > task.worst_response_ns)
            task.worst_response_ns = finished - release;
        ++task.jobs_done;
    }
}

} // namespace

// On every CPU, two fair threads keep the CPU busy while two admitted deadline tasks
// (15 ms per 50 ms and 30 ms per 100 ms) run jobs of 5 ms and 10 ms: every job of every
// task finishes by its deadline, and the fair threads still make progress.
//
// The periods are long for real-time work because of how QEMU runs this test: with
// -icount, one host thread runs the emulated CPUs in turn, so a CPU whose task was just
// released may wait for the other CPU's turn before it runs at all, and a running one may
// be charged for the other CPU's turn (up to a few milliseconds at a time). That is the
// emulator's doing, not the scheduler's; the periods and budgets leave room for it. The log line gives
// each task's worst response, wake-up delay and job runtime.
KERNEL_TIMED_TEST(scheduling_classes, admitted_deadline_tasks_meet_every_deadline_under_fair_load)
{
    constexpr Core::u32 max_cpus = Kernel::Arch::max_processors;
    constexpr Core::u32 tasks_per_cpu = 2;
    constexpr Core::u32 spinners_per_cpu = 2;
    Core::u32 cpus = Kernel::Arch::processor_count();
    // Static: spinners that outlive a failed test must not write into a dead stack frame.
    static volatile bool stop;
    stop = false;
    static SpinWork spin_work[max_cpus * spinners_per_cpu];
    static PeriodicTask tasks[max_cpus * tasks_per_cpu];
    static Thread* spinners[max_cpus * spinners_per_cpu];
    static Thread* task_threads[max_cpus * tasks_per_cpu];
    Core::u64 start = Kernel::Time::monotonic_nanoseconds() + 20 * millisecond;
    for (Core::u32 cpu = 0; cpu < cpus; ++cpu) {
        for (Core::u32 index = 0; index < spinners_per_cpu; ++index) {
            Core::u32 slot = cpu * spinners_per_cpu + index;
            spin_work[slot] = { &stop, 0 };
            auto thread = create_pinned("fair load", spin_until_stopped, &spin_work[slot], cpu);
            EXPECT(!thread.is_error());
            if (thread.is_error())
                return;
            spinners[slot] = thread.value();
        }
        struct Reservation {
            Core::u64 runtime_ns;
            Core::u64 period_ns;
            Core::u64 job_ns;
        };
        const Reservation reservations[tasks_per_cpu] = {
            { 15 * millisecond, 50 * millisecond, 5 * millisecond },
            { 30 * millisecond, 100 * millisecond, 10 * millisecond },
        };
        for (Core::u32 index = 0; index < tasks_per_cpu; ++index) {
            Core::u32 slot = cpu * tasks_per_cpu + index;
            const Reservation& reservation = reservations[index];
            tasks[slot] = { reservation.period_ns, reservation.job_ns, start,
                600 * millisecond / reservation.period_ns, 0, 0, 0, 0, 0 };
            auto thread = create_pinned("deadline task", run_periodic_task, &tasks[slot], cpu);
            EXPECT(!thread.is_error());
            if (thread.is_error())
                return;
            EXPECT(!Scheduler::set_deadline(*thread.value(), reservation.runtime_ns, reservation.period_ns)
                        .is_error());
            EXPECT_EQ(thread.value()->cpu(), cpu);
            task_threads[slot] = thread.value();
        }
    }
    for (Core::u32 index = 0; index < cpus * spinners_per_cpu; ++index)
        Scheduler::start(*spinners[index]);
    for (Core::u32 index = 0; index < cpus * tasks_per_cpu; ++index)
        Scheduler::start(*task_threads[index]);
    EXPECT(wait_for_exit(task_threads, cpus * tasks_per_cpu, 3000 * millisecond));
    stop = true;
    EXPECT(wait_for_exit(spinners, cpus * spinners_per_cpu, 2000 * millisecond));
    for (Core::u32 index = 0; index < cpus * tasks_per_cpu; ++index) {
        EXPECT_EQ(tasks[index].jobs_done, tasks[index].job_count);
        EXPECT_EQ(tasks[index].deadline_misses, 0u);
        EXPECT(tasks[index].worst_response_ns <= tasks[index].period_ns);
        Kernel::Log::info(
            "test: deadline task {} (period {} ms): worst response {} us, wake-up {} us, job {} us", index,
            tasks[index].period_ns / millisecond, tasks[index].worst_response_ns / 1000,
            tasks[index].worst_wake_ns / 1000, tasks[index].worst_ran_ns / 1000);
    }
    for (Core::u32 index = 0; index < cpus * spinners_per_cpu; ++index)
        EXPECT(spinners[index]->runtime_ns() > 20 * millisecond);
}

// A deadline thread that never stops computing gets its budget and no more: 2 ms of every
// 20 ms, the rest going to a fair thread on the same CPU.
KERNEL_TIMED_TEST(scheduling_classes, a_deadline_budget_is_enforced)
{
    Core::u32 cpu = test_cpu();
    // Static: spinners that outlive a failed test must not write into a dead stack frame.
    static volatile bool stop;
    stop = false;
    static SpinWork greedy_work;
    greedy_work = { &stop, 0 };
    static SpinWork fair_work;
    fair_work = { &stop, 0 };
    auto greedy = create_pinned("greedy deadline", spin_until_stopped, &greedy_work, cpu);
    auto fair = create_pinned("fair spinner", spin_until_stopped, &fair_work, cpu);
    EXPECT(!greedy.is_error() && !fair.is_error());
    if (greedy.is_error() || fair.is_error())
        return;
    EXPECT(!Scheduler::set_deadline(*greedy.value(), 2 * millisecond, 20 * millisecond).is_error());
    Scheduler::start(*fair.value());
    Scheduler::start(*greedy.value());
    sleep_for(500 * millisecond);
    stop = true;
    Thread* threads[2] = { greedy.value(), fair.value() };
    EXPECT(wait_for_exit(threads, 2, 2000 * millisecond));
    Core::u64 greedy_runtime = greedy.value()->runtime_ns();
    // 25 periods of 2 ms: 50 ms, give or take one period's budget.
    EXPECT(greedy_runtime >= 40 * millisecond);
    EXPECT(greedy_runtime <= 55 * millisecond);
    EXPECT(fair.value()->runtime_ns() >= 400 * millisecond);
}

// Game mode: two boosted game threads and one background thread on one CPU. The game
// threads get more than the background thread, which still gets its weighted share,
// 1024 / (2 * 3121 + 1024) of the CPU (nice -5 weighs 3121): boosting never starves it.
KERNEL_TIMED_TEST(scheduling_classes, game_mode_boost_never_starves_background_work)
{
    Core::u32 cpu = test_cpu();
    // Static: spinners that outlive a failed test must not write into a dead stack frame.
    static volatile bool stop;
    stop = false;
    static SpinWork work[3];
    for (SpinWork& slot : work)
        slot = { &stop, 0 };
    Thread* threads[3] {};
    for (Core::u32 index = 0; index < 3; ++index) {
        auto thread = create_pinned(index < 2 ? "game" : "background", spin_until_stopped, &work[index], cpu);
        EXPECT(!thread.is_error());
        if (thread.is_error())
            return;
        threads[index] = thread.value();
    }
    EXPECT(!Scheduler::set_game_mode_boost(*threads[0], true).is_error());
    EXPECT(!Scheduler::set_game_mode_boost(*threads[1], true).is_error());
    EXPECT(threads[0]->has_game_mode_boost() && !threads[2]->has_game_mode_boost());
    for (Thread* thread : threads)
        Scheduler::start(*thread);
    sleep_for(1000 * millisecond);
    stop = true;
    EXPECT(wait_for_exit(threads, 3, 2000 * millisecond));
    Core::u64 total = threads[0]->runtime_ns() + threads[1]->runtime_ns() + threads[2]->runtime_ns();
    Core::u64 background = threads[2]->runtime_ns();
    EXPECT(within_a_third(background, total * 1024 / (2 * 3121 + 1024)));
    EXPECT(threads[0]->runtime_ns() > background * 2);
    EXPECT(threads[1]->runtime_ns() > background * 2);
}

// Admission control on one CPU: reservations are accepted up to the 95% cap and refused
// past it; invalid parameters are refused; giving a reservation back makes room again.
KERNEL_TEST(scheduling_classes, deadline_admission_refuses_overload)
{
    Core::u32 cpu = test_cpu(Kernel::Arch::processor_count() - 1);
    Thread* threads[4] {};
    for (Core::u32 index = 0; index < 4; ++index) {
        auto thread = create_pinned(
            "admission", [](void*) {}, nullptr, cpu);
        EXPECT(!thread.is_error());
        if (thread.is_error())
            return;
        threads[index] = thread.value();
    }
    EXPECT(refused_with(Scheduler::set_deadline(*threads[0], 20 * millisecond, 10 * millisecond),
        Core::ErrorCode::InvalidArgument));
    EXPECT(refused_with(
        Scheduler::set_deadline(*threads[0], 0, 10 * millisecond), Core::ErrorCode::InvalidArgument));
    EXPECT(!Scheduler::set_deadline(*threads[0], 30 * millisecond, 100 * millisecond).is_error());
    EXPECT(!Scheduler::set_deadline(*threads[1], 30 * millisecond, 100 * millisecond).is_error());
    EXPECT(!Scheduler::set_deadline(*threads[2], 30 * millisecond, 100 * millisecond).is_error());
    // 90% is reserved: another 10% would pass the 95% cap.
    EXPECT(refused_with(
        Scheduler::set_deadline(*threads[3], 10 * millisecond, 100 * millisecond), Core::ErrorCode::Busy));
    // 4% fits. (5% would fill the cap exactly, but admission rounds each share up, so a
    // set that fills the cap to the last part is refused: DeadlineAdmission.h.)
    EXPECT(!Scheduler::set_deadline(*threads[3], 4 * millisecond, 100 * millisecond).is_error());
    // A thread that leaves the deadline class gives its bandwidth back.
    EXPECT(!Scheduler::set_fair(*threads[2], 0).is_error());
    EXPECT(!Scheduler::set_deadline(*threads[2], 25 * millisecond, 100 * millisecond).is_error());
    // A deadline thread's affinity must keep the CPU its bandwidth is reserved on.
    EXPECT(Scheduler::set_affinity(
               *threads[0], Kernel::Scheduling::CpuMask::only((cpu + 1) % Kernel::Arch::processor_count()))
               .is_error()
        == (Kernel::Arch::processor_count() > 1));
    // The reservations go back as the threads exit.
    for (Thread* thread : threads)
        Scheduler::start(*thread);
    EXPECT(wait_for_exit(threads, 4, 2000 * millisecond));
    auto again = create_pinned(
        "admission", [](void*) {}, nullptr, cpu);
    EXPECT(!again.is_error());
    if (again.is_error())
        return;
    EXPECT(!Scheduler::set_deadline(*again.value(), 90 * millisecond, 100 * millisecond).is_error());
    Scheduler::start(*again.value());
    Thread* last[1] = { again.value() };
    EXPECT(wait_for_exit(last, 1, 2000 * millisecond));
}

KERNEL_TEST(scheduling_classes, policy_changes_are_validated)
{
    auto thread = Thread::create(
        "policy", [](void*) {}, nullptr, 0);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return;
    EXPECT(Scheduler::set_fixed_priority(*thread.value(), 0).is_error());
    EXPECT(Scheduler::set_fixed_priority(*thread.value(), 100).is_error());
    EXPECT(Scheduler::set_fair(*thread.value(), 20).is_error());
    EXPECT(Scheduler::set_fair(*thread.value(), -21).is_error());
    EXPECT(Scheduler::set_affinity(*thread.value(), Kernel::Scheduling::CpuMask()).is_error());
    EXPECT(!Scheduler::set_fixed_priority(*thread.value(), 99).is_error());
    EXPECT(thread.value()->policy() == Kernel::Tasks::SchedulingPolicy::FixedPriority);
    // Game mode is for fair threads only.
    EXPECT(Scheduler::set_game_mode_boost(*thread.value(), true).is_error());
    EXPECT(Thread::create("bad nice", [](void*) {}, nullptr, 0, { 25 }).is_error());
    Scheduler::start(*thread.value());
    Thread* threads[1] = { thread.value() };
    EXPECT(wait_for_exit(threads, 1, 2000 * millisecond));

    // A thread that is running, here or elsewhere, cannot be changed by another thread.
    static volatile bool stop;
    stop = false;
    static SpinWork work;
    work = { &stop, 0 };
    auto running = create_pinned("running", spin_until_stopped, &work, test_cpu());
    EXPECT(!running.is_error());
    if (running.is_error())
        return;
    Scheduler::start(*running.value());
    while (work.progress() == 0)
        sleep_for(millisecond / 2);
    EXPECT(refused_with(Scheduler::set_fair(*running.value(), 3), Core::ErrorCode::InvalidArgument));
    EXPECT(
        refused_with(Scheduler::set_fixed_priority(*running.value(), 3), Core::ErrorCode::InvalidArgument));
    EXPECT(refused_with(Scheduler::set_deadline(*running.value(), millisecond, 10 * millisecond),
        Core::ErrorCode::InvalidArgument));
    EXPECT(refused_with(Scheduler::set_affinity(*running.value(), Kernel::Scheduling::CpuMask::all()),
        Core::ErrorCode::InvalidArgument));
    EXPECT(running.value()->policy() == Kernel::Tasks::SchedulingPolicy::Fair);
    stop = true;
    Thread* spinner[1] = { running.value() };
    EXPECT(wait_for_exit(spinner, 1, 2000 * millisecond));
}

// A thread changes its own class while running, and the change takes effect at once: as a
// fixed-priority thread it keeps its CPU from a fair spinner there, as a fair thread again
// it shares it.
KERNEL_TEST(scheduling_classes, a_thread_changes_its_own_class)
{
    struct Observed {
        SpinWork* spinner;
        bool fixed_ok;
        bool deadline_ok;
        bool fair_ok;
        Core::u64 spinner_progress_while_fixed;
        Core::u64 spinner_progress_while_fair;
        Kernel::Tasks::SchedulingPolicy while_fixed;
        Kernel::Tasks::SchedulingPolicy while_deadline;
        Kernel::Tasks::SchedulingPolicy at_end;
    };
    static Observed observed;
    static volatile bool stop;
    stop = false;
    static SpinWork spinner_work;
    spinner_work = { &stop, 0 };
    observed = {};
    observed.spinner = &spinner_work;
    Core::u32 cpu = test_cpu();
    auto spinner = create_pinned("fair neighbour", spin_until_stopped, &spinner_work, cpu);
    auto thread = create_pinned(
        "self change",
        [](void*) {
            Thread& self = Scheduler::current();
            // Let the neighbour start, then take the CPU from it.
            while (observed.spinner->progress() == 0)
                Scheduler::yield();
            observed.fixed_ok = !Scheduler::set_fixed_priority(self, 30).is_error();
            observed.while_fixed = self.policy();
            Core::u64 before = observed.spinner->progress();
            compute_for(5 * millisecond);
            observed.spinner_progress_while_fixed = observed.spinner->progress() - before;
            observed.deadline_ok
                = !Scheduler::set_deadline(self, 2 * millisecond, 10 * millisecond).is_error();
            observed.while_deadline = self.policy();
            compute_for(1 * millisecond);
            observed.fair_ok = !Scheduler::set_fair(self, 0).is_error();
            observed.at_end = self.policy();
            before = observed.spinner->progress();
            compute_for(20 * millisecond);
            observed.spinner_progress_while_fair = observed.spinner->progress() - before;
        },
        nullptr, cpu);
    EXPECT(!thread.is_error() && !spinner.is_error());
    if (thread.is_error() || spinner.is_error())
        return;
    Scheduler::start(*spinner.value());
    Scheduler::start(*thread.value());
    Thread* threads[1] = { thread.value() };
    EXPECT(wait_for_exit(threads, 1, 5000 * millisecond));
    stop = true;
    Thread* spinners[1] = { spinner.value() };
    EXPECT(wait_for_exit(spinners, 1, 2000 * millisecond));
    EXPECT(observed.fixed_ok && observed.deadline_ok && observed.fair_ok);
    EXPECT(observed.while_fixed == Kernel::Tasks::SchedulingPolicy::FixedPriority);
    EXPECT(observed.while_deadline == Kernel::Tasks::SchedulingPolicy::Deadline);
    EXPECT(observed.at_end == Kernel::Tasks::SchedulingPolicy::Fair);
    // 5 ms at fixed priority is well inside the throttling budget: the neighbour got none.
    EXPECT_EQ(observed.spinner_progress_while_fixed, 0u);
    // 20 ms of fair CPU time cannot pass without the neighbour's turns (3 ms slices).
    EXPECT(observed.spinner_progress_while_fair > 0);
}
