// Kernel tests of Mutex: exclusion, hand-over, and priority inheritance (direct and
// through a chain of owners).

#include <Kernel/Tasks/Mutex.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/SchedulerTestSupport.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

namespace {

using Kernel::Tasks::Event;
using Kernel::Tasks::Mutex;
using Kernel::Tasks::Scheduler;
using Kernel::Tasks::Thread;
using namespace Kernel::Tasks::TestSupport;

constexpr Core::u64 millisecond = 1'000'000;

// Polls (sleeping) until the thread is blocked, or the limit passes.
bool wait_until_blocked(const Thread& thread, Core::u64 limit_ns)
{
    Core::u64 start = Kernel::Time::monotonic_nanoseconds();
    while (thread.state() != Thread::State::Blocked) {
        if (Kernel::Time::monotonic_nanoseconds() - start > limit_ns)
            return false;
        sleep_for(millisecond / 2);
    }
    return true;
}

// Polls (sleeping) until the thread's inherited priority is `expected`, or the limit
// passes. A waiter shows Blocked a moment before its owner's priority is raised.
bool wait_until_inherited(const Thread& thread, Core::u32 expected, Core::u64 limit_ns)
{
    Core::u64 start = Kernel::Time::monotonic_nanoseconds();
    while (thread.inherited_priority() != expected) {
        if (Kernel::Time::monotonic_nanoseconds() - start > limit_ns)
            return false;
        sleep_for(millisecond / 2);
    }
    return true;
}

} // namespace

KERNEL_TEST(mutex, try_lock_and_unlock_on_one_thread)
{
    Mutex mutex;
    EXPECT(mutex.owner() == nullptr);
    EXPECT(mutex.try_lock());
    EXPECT(mutex.owner() == &Scheduler::current());
    EXPECT(!mutex.try_lock());
    mutex.unlock();
    EXPECT(mutex.owner() == nullptr);
    {
        Kernel::Tasks::MutexLocker locker(mutex);
        EXPECT(mutex.owner() == &Scheduler::current());
    }
    EXPECT(mutex.owner() == nullptr);
}

namespace {

struct CounterState {
    Mutex mutex;
    Core::u64 counter;
    Core::u64 overlaps;
    Core::u64 inside;
};

constexpr Core::u32 increments_per_thread = 200;

void increment_under_mutex(void* argument)
{
    auto& state = *static_cast<CounterState*>(argument);
    for (Core::u32 round = 0; round < increments_per_thread; ++round) {
        Kernel::Tasks::MutexLocker locker(state.mutex);
        if (++state.inside != 1)
            ++state.overlaps;
        // A plain read-modify-write: only the mutex keeps it correct across CPUs.
        Core::u64 value = state.counter;
        if (round % 16 == 0)
            Scheduler::yield();
        state.counter = value + 1;
        --state.inside;
    }
}

} // namespace

// Threads on every CPU increment a shared counter under the mutex, yielding inside it.
KERNEL_TEST(mutex, excludes_threads_on_every_cpu)
{
    static CounterState state;
    state.counter = 0;
    state.overlaps = 0;
    state.inside = 0;
    constexpr Core::u32 max_threads = Kernel::Arch::max_processors * 2;
    Thread* threads[max_threads] {};
    Core::u32 count = Kernel::Arch::processor_count() * 2;
    for (Core::u32 index = 0; index < count; ++index) {
        auto thread = Thread::create(
            "incrementer", increment_under_mutex, &state, index % Kernel::Arch::processor_count());
        EXPECT(!thread.is_error());
        if (thread.is_error())
            return;
        threads[index] = thread.value();
    }
    for (Core::u32 index = 0; index < count; ++index)
        Scheduler::start(*threads[index]);
    EXPECT(wait_for_exit(threads, count, 10'000 * millisecond));
    EXPECT_EQ(state.counter, static_cast<Core::u64>(count) * increments_per_thread);
    EXPECT_EQ(state.overlaps, 0u);
    EXPECT(state.mutex.owner() == nullptr);
}

namespace {

// Low (fair) holds `first`; middle (fixed 5) holds `second` and waits for `first`; high
// (fixed 60) waits for `second`. The chain must lift low and middle to 60.
struct ChainState {
    Mutex first;
    Mutex second;
    Event low_holds;
    Event middle_holds;
    Event release;
    Core::u32 order[3];
    Core::u32 finished;
};

void record_finish(ChainState& state, Core::u32 who)
{
    state.order[__atomic_fetch_add(&state.finished, 1, __ATOMIC_ACQ_REL)] = who;
}

} // namespace

KERNEL_TEST(mutex, priority_is_inherited_along_a_chain_of_owners)
{
    static ChainState state;
    state.finished = 0;
    state.low_holds.reset();
    state.middle_holds.reset();
    state.release.reset();
    Core::u32 cpu = test_cpu();
    auto low = create_pinned(
        "low",
        [](void*) {
            state.first.lock();
            state.low_holds.signal();
            state.release.wait();
            state.first.unlock();
            record_finish(state, 0);
        },
        nullptr, cpu);
    auto middle = create_pinned(
        "middle",
        [](void*) {
            state.second.lock();
            state.middle_holds.signal();
            state.first.lock();
            state.first.unlock();
            state.second.unlock();
            record_finish(state, 1);
        },
        nullptr, cpu);
    auto high = create_pinned(
        "high",
        [](void*) {
            state.second.lock();
            state.second.unlock();
            record_finish(state, 2);
        },
        nullptr, cpu);
    EXPECT(!low.is_error() && !middle.is_error() && !high.is_error());
    if (low.is_error() || middle.is_error() || high.is_error())
        return;
    EXPECT(!Scheduler::set_fixed_priority(*middle.value(), 5).is_error());
    EXPECT(!Scheduler::set_fixed_priority(*high.value(), 60).is_error());

    Scheduler::start(*low.value());
    state.low_holds.wait();
    Scheduler::start(*middle.value());
    state.middle_holds.wait();
    EXPECT(wait_until_blocked(*middle.value(), 1000 * millisecond));
    // Middle waits for low: low runs at middle's priority.
    EXPECT(wait_until_inherited(*low.value(), 5, 1000 * millisecond));
    Scheduler::start(*high.value());
    EXPECT(wait_until_blocked(*high.value(), 1000 * millisecond));
    EXPECT(wait_until_inherited(*middle.value(), 60, 1000 * millisecond));
    EXPECT(wait_until_inherited(*low.value(), 60, 1000 * millisecond));
    EXPECT(state.first.owner() == low.value());
    EXPECT(state.second.owner() == middle.value());

    state.release.signal();
    Thread* threads[3] = { low.value(), middle.value(), high.value() };
    EXPECT(wait_for_exit(threads, 3, 2000 * millisecond));
    // Releasing hands each mutex to its waiter, which at its priority runs before the
    // thread that released it finishes: high, then middle, then low.
    EXPECT_EQ(state.finished, 3u);
    EXPECT_EQ(state.order[0], 2u);
    EXPECT_EQ(state.order[1], 1u);
    EXPECT_EQ(state.order[2], 0u);
    EXPECT_EQ(low.value()->inherited_priority(), 0u);
    EXPECT_EQ(middle.value()->inherited_priority(), 0u);
    EXPECT(state.first.owner() == nullptr);
    EXPECT(state.second.owner() == nullptr);
}

namespace {

// The classic inversion: low (fair) holds the mutex for 20 ms of CPU time; high (fixed 50)
// needs it; middle (fixed 20) computes without end on the same CPU.
struct InversionState {
    Mutex mutex;
    Event low_holds;
    volatile bool stop_middle;
    Core::u64 high_asked_at;
    Core::u64 high_got_it_at;
    Core::u64 middle_stopped_at;
};

} // namespace

// Without inheritance, middle would keep low off the CPU (but for the 5% RT throttling
// leaves it) and high would wait about 400 ms; with it, low finishes its 20 ms at high's
// priority and high gets the mutex long before middle stops.
KERNEL_TIMED_TEST(mutex, priority_inheritance_resolves_an_inversion)
{
    static InversionState state;
    state.low_holds.reset();
    state.stop_middle = false;
    state.high_asked_at = 0;
    state.high_got_it_at = 0;
    state.middle_stopped_at = 0;
    Core::u32 cpu = test_cpu();
    auto low = create_pinned(
        "low",
        [](void*) {
            Kernel::Tasks::MutexLocker locker(state.mutex);
            state.low_holds.signal();
            compute_for(20 * millisecond);
        },
        nullptr, cpu);
    auto middle = create_pinned(
        "middle",
        [](void*) {
            while (!state.stop_middle)
                asm volatile("pause" ::: "memory");
            state.middle_stopped_at = Kernel::Time::monotonic_nanoseconds();
        },
        nullptr, cpu);
    auto high = create_pinned(
        "high",
        [](void*) {
            state.high_asked_at = Kernel::Time::monotonic_nanoseconds();
            Kernel::Tasks::MutexLocker locker(state.mutex);
            state.high_got_it_at = Kernel::Time::monotonic_nanoseconds();
        },
        nullptr, cpu);
    EXPECT(!low.is_error() && !middle.is_error() && !high.is_error());
    if (low.is_error() || middle.is_error() || high.is_error())
        return;
    EXPECT(!Scheduler::set_fixed_priority(*middle.value(), 20).is_error());
    EXPECT(!Scheduler::set_fixed_priority(*high.value(), 50).is_error());
    Scheduler::start(*low.value());
    state.low_holds.wait();
    Scheduler::start(*middle.value());
    Scheduler::start(*high.value());
    // While high waits, low runs at high's priority (watched until high has the mutex).
    bool low_inherited = false;
    Core::u64 watch_start = Kernel::Time::monotonic_nanoseconds();
    while (!low_inherited && high.value()->state() != Thread::State::Exited
        && Kernel::Time::monotonic_nanoseconds() - watch_start < 1000 * millisecond) {
        low_inherited = low.value()->inherited_priority() == 50;
        sleep_for(millisecond / 10);
    }
    EXPECT(low_inherited);
    Thread* high_only[1] = { high.value() };
    EXPECT(wait_for_exit(high_only, 1, 1000 * millisecond));
    sleep_for(400 * millisecond);
    state.stop_middle = true;
    Thread* threads[3] = { low.value(), middle.value(), high.value() };
    EXPECT(wait_for_exit(threads, 3, 2000 * millisecond));
    EXPECT(state.high_got_it_at > state.high_asked_at);
    EXPECT(state.high_got_it_at - state.high_asked_at < 100 * millisecond);
    EXPECT(state.high_got_it_at < state.middle_stopped_at);
    EXPECT_EQ(low.value()->inherited_priority(), 0u);
}
