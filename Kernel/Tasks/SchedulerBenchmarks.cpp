// Benchmarks of the scheduler's hot paths (KernelBenchmark.h): switching between threads
// and waking a blocked thread, on one CPU and across CPUs.

#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/SchedulerTestSupport.h>
#include <Kernel/Test/KernelBenchmark.h>
#include <Kernel/Time/Clock.h>

namespace {

using Kernel::Tasks::Scheduler;
using Kernel::Tasks::Semaphore;
using Kernel::Tasks::Thread;
using namespace Kernel::Tasks::TestSupport;

constexpr Core::u32 sample_count = 1000;
constexpr Core::u64 limit_ns = 20'000'000'000;

// Two threads at the same fixed priority on one CPU yield to each other: each yield is one
// switch (the level rotates, so the other thread runs next). A sample is the time between
// two turns of the first thread divided by the two switches in between.
struct YieldPair {
    Core::u64 turn_times[sample_count + 1];
    volatile bool partner_done;
};

KERNEL_BENCHMARK(scheduler, thread_switch)
{
    static YieldPair pair;
    pair.partner_done = false;
    Core::u32 cpu = test_cpu();
    auto measuring = create_pinned(
        "switch measure",
        [](void*) {
            for (Core::u32 turn = 0; turn <= sample_count; ++turn) {
                pair.turn_times[turn] = Kernel::Time::monotonic_nanoseconds();
                Scheduler::yield();
            }
        },
        nullptr, cpu);
    auto partner = create_pinned(
        "switch partner",
        [](void*) {
            // Yields back until the measuring thread has exited.
            for (Core::u32 turn = 0; turn <= sample_count + 1; ++turn)
                Scheduler::yield();
            pair.partner_done = true;
        },
        nullptr, cpu);
    EXPECT(!measuring.is_error() && !partner.is_error());
    if (measuring.is_error() || partner.is_error())
        return;
    EXPECT(!Scheduler::set_fixed_priority(*measuring.value(), 10).is_error());
    EXPECT(!Scheduler::set_fixed_priority(*partner.value(), 10).is_error());
    Scheduler::start(*measuring.value());
    Scheduler::start(*partner.value());
    Thread* threads[2] = { measuring.value(), partner.value() };
    EXPECT(wait_for_exit(threads, 2, limit_ns));
    static Core::u64 samples[sample_count];
    for (Core::u32 turn = 0; turn < sample_count; ++turn)
        samples[turn] = (pair.turn_times[turn + 1] - pair.turn_times[turn]) / 2;
    Kernel::Test::report_samples(
        test_context, "yield to a thread on the same CPU"_sv, { samples, sample_count }, "ns"_sv);
}

// A ping-pong through two semaphores on one CPU: each hand-off is an up() that wakes the
// other thread and a down() that blocks this one, so a sample (half a round trip) is one
// wake-up, one block and one switch.
struct PingPong {
    Semaphore turn[2] { Semaphore(0), Semaphore(0) };
    Core::u64 round_times[sample_count + 1];
};

KERNEL_BENCHMARK(scheduler, semaphore_ping_pong)
{
    static PingPong ping_pong;
    Core::u32 cpu = test_cpu();
    auto pinger = create_pinned(
        "ping",
        [](void*) {
            for (Core::u32 round = 0; round <= sample_count; ++round) {
                ping_pong.round_times[round] = Kernel::Time::monotonic_nanoseconds();
                ping_pong.turn[1].up();
                ping_pong.turn[0].down();
            }
        },
        nullptr, cpu);
    auto ponger = create_pinned(
        "pong",
        [](void*) {
            for (Core::u32 round = 0; round <= sample_count; ++round) {
                ping_pong.turn[1].down();
                ping_pong.turn[0].up();
            }
        },
        nullptr, cpu);
    EXPECT(!pinger.is_error() && !ponger.is_error());
    if (pinger.is_error() || ponger.is_error())
        return;
    Scheduler::start(*ponger.value());
    Scheduler::start(*pinger.value());
    Thread* threads[2] = { pinger.value(), ponger.value() };
    EXPECT(wait_for_exit(threads, 2, limit_ns));
    static Core::u64 samples[sample_count];
    for (Core::u32 round = 0; round < sample_count; ++round)
        samples[round] = (ping_pong.round_times[round + 1] - ping_pong.round_times[round]) / 2;
    Kernel::Test::report_samples(
        test_context, "semaphore hand-off on the same CPU"_sv, { samples, sample_count }, "ns"_sv);
}

// Wake-up latency: from the moment a waker calls up() to the moment the woken thread runs.
// The sleeper is a fixed-priority thread, so it runs as soon as it is runnable: the figure
// is the kernel's path (and, across CPUs, the inter-processor interrupt and the exit from
// hlt), not a policy decision.
struct WakeLatency {
    Semaphore wake { 0 };
    volatile Core::u64 woken_at_request;
    Core::u64 samples[sample_count];
    Thread* sleeper;
};

void measure_wake_ups(Kernel::Test::TestContext& test_context, Core::u32 waker_cpu, Core::u32 sleeper_cpu,
    Core::StringView metric)
{
    static WakeLatency latency;
    auto sleeper = create_pinned(
        "woken",
        [](void*) {
            for (Core::u32 sample = 0; sample < sample_count; ++sample) {
                latency.wake.down();
                latency.samples[sample] = Kernel::Time::monotonic_nanoseconds() - latency.woken_at_request;
            }
        },
        nullptr, sleeper_cpu);
    EXPECT(!sleeper.is_error());
    if (sleeper.is_error())
        return;
    EXPECT(!Scheduler::set_fixed_priority(*sleeper.value(), 50).is_error());
    latency.sleeper = sleeper.value();
    auto waker = create_pinned(
        "waker",
        [](void*) {
            for (Core::u32 sample = 0; sample < sample_count; ++sample) {
                // Wait until the sleeper is blocked again, so every wake-up finds it asleep.
                while (latency.sleeper->state() != Thread::State::Blocked)
                    Scheduler::yield();
                latency.woken_at_request = Kernel::Time::monotonic_nanoseconds();
                latency.wake.up();
            }
        },
        nullptr, waker_cpu);
    EXPECT(!waker.is_error());
    if (waker.is_error())
        return;
    Scheduler::start(*sleeper.value());
    Scheduler::start(*waker.value());
    Thread* threads[2] = { sleeper.value(), waker.value() };
    EXPECT(wait_for_exit(threads, 2, limit_ns));
    Kernel::Test::report_samples(test_context, metric, { latency.samples, sample_count }, "ns"_sv);
}

KERNEL_BENCHMARK(scheduler, wake_up_latency)
{
    Core::u32 cpu = test_cpu();
    measure_wake_ups(test_context, cpu, cpu, "wake-up on the same CPU"_sv);
    if (Kernel::Arch::processor_count() > 1)
        measure_wake_ups(test_context, 0, cpu, "wake-up of an idle CPU from another"_sv);
}

// Timer wake-up latency: how late a thread sleeping until a deadline runs after it.
KERNEL_BENCHMARK(scheduler, timer_wake_up_latency)
{
    static Core::u64 samples[sample_count];
    auto sleeper = create_pinned(
        "timer sleeper",
        [](void*) {
            for (Core::u32 sample = 0; sample < sample_count; ++sample) {
                Core::u64 deadline = Kernel::Time::monotonic_nanoseconds() + 100'000;
                Scheduler::sleep_until(deadline);
                samples[sample] = Kernel::Time::monotonic_nanoseconds() - deadline;
            }
        },
        nullptr, test_cpu());
    EXPECT(!sleeper.is_error());
    if (sleeper.is_error())
        return;
    EXPECT(!Scheduler::set_fixed_priority(*sleeper.value(), 50).is_error());
    Scheduler::start(*sleeper.value());
    Thread* threads[1] = { sleeper.value() };
    EXPECT(wait_for_exit(threads, 1, limit_ns));
    report_samples(test_context, "sleep_until deadline to running"_sv, { samples, sample_count }, "ns"_sv);
}

} // namespace
