#include <Kernel/Arch/x86_64/FpuState.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/LocalApic.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Memory/Heap.h>
#include <Kernel/Tasks/Mutex.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/SchedulerTestSupport.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

namespace {

using Kernel::Tasks::Scheduler;
using Kernel::Tasks::Thread;
using namespace Kernel::Tasks::TestSupport;

struct Counter {
    Core::u64 value;
    Core::u32 ran_on_cpu;
};

void count_and_exit(void* argument)
{
    auto* counter = static_cast<Counter*>(argument);
    counter->ran_on_cpu = Kernel::Arch::current_processor_index();
    __atomic_add_fetch(&counter->value, 1, __ATOMIC_RELAXED);
}

} // namespace

KERNEL_TEST(scheduler, threads_run_on_every_cpu_and_exit)
{
    constexpr Core::u32 max_threads = Kernel::Arch::max_processors * 2;
    Thread* threads[max_threads] {};
    Counter counters[max_threads] {};
    Core::u32 count = Kernel::Arch::processor_count() * 2;
    for (Core::u32 index = 0; index < count; ++index) {
        auto thread = create_pinned(
            "test worker", count_and_exit, &counters[index], index % Kernel::Arch::processor_count());
        EXPECT(!thread.is_error());
        if (thread.is_error())
            return;
        threads[index] = thread.value();
        Scheduler::start(*threads[index]);
    }
    EXPECT(wait_for_exit(threads, count, 2'000'000'000));
    for (Core::u32 index = 0; index < count; ++index) {
        EXPECT_EQ(counters[index].value, 1u);
        EXPECT_EQ(counters[index].ran_on_cpu, index % Kernel::Arch::processor_count());
    }
}

// Three CPU-bound threads on one CPU share it equally: the documented tolerance is that
// each gets within a third of its fair share over one second (docs/scheduling.md).
KERNEL_TIMED_TEST(scheduler, cpu_bound_fair_threads_share_a_cpu)
{
    constexpr Core::u32 thread_count = 3;
    // A CPU other than this one, so the test thread's own sleeping does not count.
    Core::u32 cpu = Kernel::Arch::processor_count() > 1 ? 1 : 0;
    // Static: spinners that outlive a failed test must not write into a dead stack frame.
    static volatile bool stop;
    stop = false;
    static SpinWork work[thread_count];
    Thread* threads[thread_count] {};
    for (Core::u32 index = 0; index < thread_count; ++index) {
        work[index] = { &stop, 0 };
        auto thread = create_pinned("spinner", spin_until_stopped, &work[index], cpu);
        EXPECT(!thread.is_error());
        if (thread.is_error())
            return;
        threads[index] = thread.value();
    }
    for (Thread* thread : threads)
        Scheduler::start(*thread);
    Scheduler::sleep_until(Kernel::Time::monotonic_nanoseconds() + 1'000'000'000);
    stop = true;
    EXPECT(wait_for_exit(threads, thread_count, 2'000'000'000));
    Core::u64 total = 0;
    for (Thread* thread : threads)
        total += thread->runtime_ns();
    EXPECT(total > 500'000'000);
    for (Thread* thread : threads) {
        Core::u64 share = thread->runtime_ns();
        EXPECT(share * 3 * 3 > total * 2); // more than 2/3 of a fair third
        EXPECT(share * 3 * 3 < total * 4); // less than 4/3 of it
    }
}

KERNEL_TEST(scheduler, sleeping_threads_wake_at_their_deadline)
{
    struct Sleeper {
        Core::u64 deadline;
        Core::u64 woke_at;
    } sleeper { Kernel::Time::monotonic_nanoseconds() + 20'000'000, 0 };
    auto thread = Thread::create(
        "sleeper",
        [](void* argument) {
            auto* state = static_cast<Sleeper*>(argument);
            Scheduler::sleep_until(state->deadline);
            state->woke_at = Kernel::Time::monotonic_nanoseconds();
        },
        &sleeper, Kernel::Arch::current_processor_index());
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return;
    Thread* threads[1] = { thread.value() };
    Scheduler::start(*threads[0]);
    EXPECT(wait_for_exit(threads, 1, 2'000'000'000));
    EXPECT(sleeper.woke_at >= sleeper.deadline);
    EXPECT(sleeper.woke_at - sleeper.deadline < 100'000'000);
}

KERNEL_TEST(scheduler, a_wait_queue_wakes_a_thread_on_another_cpu)
{
    struct Shared {
        Kernel::Tasks::WaitQueue queue;
        volatile bool woken;
        volatile Core::u32 woke_on_cpu;
    };
    static Shared shared;
    shared.woken = false;
    Core::u32 cpu = test_cpu();
    auto thread = create_pinned(
        "waiter",
        [](void*) {
            shared.queue.wait();
            shared.woke_on_cpu = Kernel::Arch::current_processor_index();
            shared.woken = true;
        },
        nullptr, cpu);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return;
    Scheduler::start(*thread.value());
    // Wait until the waiter is blocked on the queue, then wake it from this CPU.
    Core::u64 start = Kernel::Time::monotonic_nanoseconds();
    while (thread.value()->state() != Thread::State::Blocked
        && Kernel::Time::monotonic_nanoseconds() - start < 1'000'000'000)
        Scheduler::sleep_until(Kernel::Time::monotonic_nanoseconds() + 1'000'000);
    EXPECT(thread.value()->state() == Thread::State::Blocked);
    EXPECT(!shared.woken);
    EXPECT(shared.queue.wake_one());
    Thread* threads[1] = { thread.value() };
    EXPECT(wait_for_exit(threads, 1, 2'000'000'000));
    EXPECT(shared.woken);
    EXPECT_EQ(static_cast<Core::u32>(shared.woke_on_cpu), cpu);
    EXPECT(cpu != Kernel::Arch::current_processor_index() || Kernel::Arch::processor_count() == 1);
}

namespace {

// Raises `vector` on this CPU with a self-IPI and lets it be taken.
void raise_on_this_cpu(Core::u8 vector)
{
    Kernel::Arch::send_ipi(Kernel::Arch::local_apic_id(), vector);
    for (Core::u32 spin = 0; spin < 1000; ++spin)
        asm volatile("sti; pause; jmp 1f; 1: cli" ::: "memory");
}

} // namespace

// Interrupt handlers must never block: the kernel stops at the first that tries.
KERNEL_PANIC_TEST(scheduler, blocking_in_an_interrupt_handler_is_caught)
{
    auto vector = Kernel::Arch::allocate_interrupt_vector(
        [](Kernel::Arch::RegisterState&, void*) {
            Scheduler::sleep_until(Kernel::Time::monotonic_nanoseconds() + 1000);
        },
        nullptr);
    EXPECT(!vector.is_error());
    if (vector.is_error())
        return;
    raise_on_this_cpu(vector.value());
    test_context.fail("blocking inside an interrupt handler was not caught", __FILE__, __LINE__);
}

// Nor allocate.
KERNEL_PANIC_TEST(scheduler, allocating_in_an_interrupt_handler_is_caught)
{
    auto vector = Kernel::Arch::allocate_interrupt_vector(
        [](Kernel::Arch::RegisterState&, void*) { (void)Kernel::Memory::allocate(64); }, nullptr);
    EXPECT(!vector.is_error());
    if (vector.is_error())
        return;
    raise_on_this_cpu(vector.value());
    test_context.fail("allocating inside an interrupt handler was not caught", __FILE__, __LINE__);
}

namespace {

// Stress: on every CPU, producer and consumer threads hand work through a semaphore,
// sleep, block on an event, move between CPUs (by affinity, and by load balancing) and
// exit; every hand-off must arrive exactly once.
struct StressState {
    Kernel::Tasks::Semaphore items { 0 };
    Kernel::Tasks::Event go;
    Kernel::Tasks::Mutex mutex;
    Core::u64 produced;
    Core::u64 consumed;
    Core::u64 hops;
    Core::u64 hops_to_the_wrong_cpu;
    Core::u64 inside_mutex;
    Core::u64 mutex_overlaps;
};

constexpr Core::u32 items_per_producer = 50;

void producer(void* argument)
{
    auto* state = static_cast<StressState*>(argument);
    state->go.wait();
    for (Core::u32 item = 0; item < items_per_producer; ++item) {
        __atomic_add_fetch(&state->produced, 1, __ATOMIC_RELAXED);
        state->items.up();
        if (item % 10 == 0) {
            Scheduler::sleep_until(Kernel::Time::monotonic_nanoseconds() + 200'000);
        } else if (item % 10 == 5) {
            // Hop to the next CPU and back to running anywhere.
            Core::u32 next = (Kernel::Arch::current_processor_index() + 1) % Kernel::Arch::processor_count();
            auto& self = Scheduler::current();
            if (!Scheduler::set_affinity(self, Kernel::Scheduling::CpuMask::only(next)).is_error()) {
                __atomic_add_fetch(&state->hops, 1, __ATOMIC_RELAXED);
                if (Kernel::Arch::current_processor_index() != next)
                    __atomic_add_fetch(&state->hops_to_the_wrong_cpu, 1, __ATOMIC_RELAXED);
            }
            (void)Scheduler::set_affinity(self, Kernel::Scheduling::CpuMask::all());
        } else if (item % 10 == 7) {
            // A short critical section: nobody else may be inside at the same time.
            Kernel::Tasks::MutexLocker locker(state->mutex);
            if (__atomic_add_fetch(&state->inside_mutex, 1, __ATOMIC_ACQ_REL) != 1)
                __atomic_add_fetch(&state->mutex_overlaps, 1, __ATOMIC_RELAXED);
            Scheduler::yield();
            __atomic_sub_fetch(&state->inside_mutex, 1, __ATOMIC_ACQ_REL);
        } else {
            Scheduler::yield();
        }
    }
}

void consumer(void* argument)
{
    auto* state = static_cast<StressState*>(argument);
    state->go.wait();
    for (Core::u32 item = 0; item < items_per_producer; ++item) {
        state->items.down();
        __atomic_add_fetch(&state->consumed, 1, __ATOMIC_RELAXED);
    }
}

} // namespace

KERNEL_TEST(scheduler, stress_threads_block_wake_and_exit_on_every_cpu)
{
    static StressState state;
    state.produced = 0;
    state.consumed = 0;
    state.hops = 0;
    state.hops_to_the_wrong_cpu = 0;
    state.inside_mutex = 0;
    state.mutex_overlaps = 0;
    state.go.reset();
    constexpr Core::u32 max_threads = Kernel::Arch::max_processors * 2;
    Thread* threads[max_threads] {};
    Core::u32 cpus = Kernel::Arch::processor_count();
    Core::u32 count = 0;
    for (Core::u32 cpu = 0; cpu < cpus; ++cpu) {
        // Producer and consumer of a pair on different CPUs, so every hand-off crosses CPUs.
        auto made_producer = Thread::create("producer", producer, &state, cpu);
        auto made_consumer = Thread::create("consumer", consumer, &state, (cpu + 1) % cpus);
        EXPECT(!made_producer.is_error() && !made_consumer.is_error());
        if (made_producer.is_error() || made_consumer.is_error())
            return;
        threads[count++] = made_producer.value();
        threads[count++] = made_consumer.value();
    }
    for (Core::u32 index = 0; index < count; ++index)
        Scheduler::start(*threads[index]);
    // Everyone blocks on the event first; then all go at once.
    Scheduler::sleep_until(Kernel::Time::monotonic_nanoseconds() + 5'000'000);
    state.go.signal();
    EXPECT(wait_for_exit(threads, count, 5'000'000'000));
    EXPECT_EQ(state.produced, static_cast<Core::u64>(cpus) * items_per_producer);
    EXPECT_EQ(state.consumed, state.produced);
    EXPECT_EQ(state.items.count(), 0u);
    EXPECT(state.hops > 0);
    EXPECT_EQ(state.hops_to_the_wrong_cpu, 0u);
    EXPECT_EQ(state.mutex_overlaps, 0u);
    EXPECT(state.mutex.owner() == nullptr);
}

KERNEL_TEST(scheduler, semaphore_counts_and_event_stays_signalled)
{
    Kernel::Tasks::Semaphore semaphore(2);
    EXPECT(semaphore.try_down());
    EXPECT(semaphore.try_down());
    EXPECT(!semaphore.try_down());
    semaphore.up();
    EXPECT_EQ(semaphore.count(), 1u);
    semaphore.down(); // available: must not block
    EXPECT_EQ(semaphore.count(), 0u);

    Kernel::Tasks::Event event;
    EXPECT(!event.is_signalled());
    event.signal();
    event.wait(); // signalled: returns at once
    event.wait();
    EXPECT(event.is_signalled());
    event.reset();
    EXPECT(!event.is_signalled());
}

// Load balancing: CPU-bound threads all started on one CPU spread to the others, which
// pull them when idle.
KERNEL_TEST(scheduler, idle_cpus_pull_threads_from_a_busy_one)
{
    Core::u32 cpus = Kernel::Arch::processor_count();
    if (cpus < 2)
        return;
    constexpr Core::u32 max_threads = Kernel::Arch::max_processors * 2;
    Core::u32 count = cpus * 2;
    // Static: spinners that outlive a failed test must not write into a dead stack frame.
    static volatile bool stop;
    stop = false;
    static SpinWork work[max_threads];
    Thread* threads[max_threads] {};
    for (Core::u32 index = 0; index < count; ++index) {
        work[index] = { &stop, 0 };
        auto thread = Thread::create("balanced spinner", spin_until_stopped, &work[index], 0);
        EXPECT(!thread.is_error());
        if (thread.is_error())
            return;
        threads[index] = thread.value();
    }
    for (Core::u32 index = 0; index < count; ++index)
        Scheduler::start(*threads[index]);
    // Wait until every CPU other than this one runs at least one of them.
    bool spread = false;
    Core::u64 start = Kernel::Time::monotonic_nanoseconds();
    while (!spread && Kernel::Time::monotonic_nanoseconds() - start < 3'000'000'000) {
        Scheduler::sleep_until(Kernel::Time::monotonic_nanoseconds() + 10'000'000);
        Core::u32 per_cpu[Kernel::Arch::max_processors] {};
        for (Core::u32 index = 0; index < count; ++index)
            ++per_cpu[threads[index]->cpu()];
        spread = true;
        for (Core::u32 cpu = 1; cpu < cpus; ++cpu)
            spread = spread && per_cpu[cpu] > 0;
    }
    EXPECT(spread);
    Core::u64 migrations = 0;
    for (Core::u32 index = 0; index < count; ++index)
        migrations += threads[index]->migration_count();
    EXPECT(migrations >= cpus - 1);
    stop = true;
    EXPECT(wait_for_exit(threads, count, 3'000'000'000));
}

// Affinity: a thread that excludes its CPU moves at once; balancing never moves a thread
// to a CPU outside its mask.
KERNEL_TEST(scheduler, affinity_moves_the_caller_and_bounds_balancing)
{
    Core::u32 cpus = Kernel::Arch::processor_count();
    if (cpus < 3)
        return;
    struct Hop {
        Core::u32 target;
        Core::u32 before;
        Core::u32 after;
        bool accepted;
    } hop { cpus - 1, 0, 0, false };
    auto hopper = create_pinned(
        "hopper",
        [](void* argument) {
            auto& state = *static_cast<Hop*>(argument);
            state.before = Kernel::Arch::current_processor_index();
            state.accepted = !Scheduler::set_affinity(
                Scheduler::current(), Kernel::Scheduling::CpuMask::only(state.target))
                                  .is_error();
            state.after = Kernel::Arch::current_processor_index();
        },
        &hop, 1);
    EXPECT(!hopper.is_error());
    if (hopper.is_error())
        return;
    Scheduler::start(*hopper.value());
    Thread* hoppers[1] = { hopper.value() };
    EXPECT(wait_for_exit(hoppers, 1, 2'000'000'000));
    EXPECT(hop.accepted);
    EXPECT_EQ(hop.before, 1u);
    EXPECT_EQ(hop.after, hop.target);
    EXPECT_EQ(hopper.value()->migration_count(), 1u);

    // Four spinners allowed on CPUs 1 and 2 only, started on 1: CPU 2 may pull, no other.
    constexpr Core::u32 count = 4;
    // Static: spinners that outlive a failed test must not write into a dead stack frame.
    static volatile bool stop;
    stop = false;
    static SpinWork work[count];
    Thread* threads[count] {};
    Kernel::Scheduling::CpuMask allowed = Kernel::Scheduling::CpuMask::only(1);
    allowed.add(2);
    for (Core::u32 index = 0; index < count; ++index) {
        work[index] = { &stop, 0 };
        auto thread = Thread::create("masked spinner", spin_until_stopped, &work[index], 1);
        EXPECT(!thread.is_error());
        if (thread.is_error())
            return;
        EXPECT(!Scheduler::set_affinity(*thread.value(), allowed).is_error());
        threads[index] = thread.value();
    }
    for (Thread* thread : threads)
        Scheduler::start(*thread);
    bool outside = false;
    bool reached_two = false;
    for (Core::u32 sample = 0; sample < 50; ++sample) {
        Scheduler::sleep_until(Kernel::Time::monotonic_nanoseconds() + 5'000'000);
        for (Thread* thread : threads) {
            outside = outside || !allowed.contains(thread->cpu());
            reached_two = reached_two || thread->cpu() == 2;
        }
    }
    stop = true;
    EXPECT(wait_for_exit(threads, count, 3'000'000'000));
    EXPECT(!outside);
    EXPECT(reached_two);
}

// Threads with an FPU state of their own keep their vector registers across switches to
// each other on one CPU.
extern "C" void fpu_test_load_sse_registers(const void* source);
extern "C" void fpu_test_store_sse_registers(void* destination);
extern "C" void fpu_test_load_avx_registers(const void* source);
extern "C" void fpu_test_store_avx_registers(void* destination);

namespace {

constexpr Core::u32 vector_slot_bytes = 32;
constexpr Core::u32 vector_register_count = 16;
constexpr Core::u32 fpu_rounds = 100;

// Two workers on one CPU take turns through a pair of semaphores, so every round is a
// switch from one to the other and back.
struct FpuPingPong {
    Kernel::Tasks::Semaphore turn[2] { Kernel::Tasks::Semaphore(1), Kernel::Tasks::Semaphore(0) };
};

struct FpuWorker {
    FpuPingPong* ping_pong;
    Core::u32 index;
    Core::u8 seed;
    Core::u32 rounds;
    Core::u32 mismatches;
};

void check_vector_registers_across_switches(void* argument)
{
    auto& worker = *static_cast<FpuWorker*>(argument);
    alignas(32) Core::u8 pattern[vector_register_count * vector_slot_bytes];
    alignas(32) Core::u8 read_back[vector_register_count * vector_slot_bytes];
    for (Core::u32 index = 0; index < sizeof(pattern); ++index)
        pattern[index] = static_cast<Core::u8>(worker.seed + index * 7);
    // With AVX enabled the whole YMM registers are checked (their upper halves are a
    // separate XSAVE component); otherwise the XMM registers.
    bool avx = Kernel::Arch::fpu_enabled_xcr0() & Kernel::Arch::xsave_component_avx;
    Core::u32 bytes_per_register = avx ? 32 : 16;
    if (avx)
        fpu_test_load_avx_registers(pattern);
    else
        fpu_test_load_sse_registers(pattern);
    for (Core::u32 round = 0; round < fpu_rounds; ++round) {
        worker.ping_pong->turn[worker.index].down();
        if (avx)
            fpu_test_store_avx_registers(read_back);
        else
            fpu_test_store_sse_registers(read_back);
        for (Core::u32 slot = 0; slot < vector_register_count; ++slot) {
            for (Core::u32 byte = 0; byte < bytes_per_register; ++byte) {
                Core::u32 offset = slot * vector_slot_bytes + byte;
                if (read_back[offset] != pattern[offset])
                    ++worker.mismatches;
            }
        }
        ++worker.rounds;
        worker.ping_pong->turn[1 - worker.index].up();
    }
}

} // namespace

KERNEL_TEST(scheduler, fpu_state_survives_switches_between_threads)
{
    Core::u32 cpu = test_cpu();
    FpuPingPong ping_pong;
    FpuWorker workers[2] = { { &ping_pong, 0, 0x11, 0, 0 }, { &ping_pong, 1, 0x80, 0, 0 } };
    Thread* threads[2] {};
    for (Core::u32 index = 0; index < 2; ++index) {
        Kernel::Tasks::ThreadOptions options;
        options.has_fpu_state = true;
        auto thread = create_pinned(
            "fpu worker", check_vector_registers_across_switches, &workers[index], cpu, options);
        EXPECT(!thread.is_error());
        if (thread.is_error())
            return;
        EXPECT(thread.value()->has_fpu_state());
        threads[index] = thread.value();
    }
    for (Thread* thread : threads)
        Scheduler::start(*thread);
    EXPECT(wait_for_exit(threads, 2, 5'000'000'000));
    for (const FpuWorker& worker : workers) {
        EXPECT_EQ(worker.rounds, fpu_rounds);
        EXPECT_EQ(worker.mismatches, 0u);
    }
}
