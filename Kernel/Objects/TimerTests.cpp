// Timer objects and object signals in the kernel: firing, periods, cancelling from another
// CPU, destruction while armed. The system calls are tested from user space
// (Userland/Tests/DeviceTests.cpp).

#include <ABI/Devices.h>
#include <ABI/Signals.h>
#include <Kernel/Objects/Event.h>
#include <Kernel/Objects/Timer.h>
#include <Kernel/Tasks/SchedulerTestSupport.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

namespace {

using Kernel::Time::monotonic_nanoseconds;

constexpr Core::u32 fired = ABI::signal_bits(ABI::Signal::Fired);
constexpr Core::u64 millisecond = 1'000'000;
// How late a timer may fire under TCG on a loaded host (docs/time.md).
constexpr Core::u64 lateness_tolerance_ns = 100 * millisecond;

struct SetRequest {
    Kernel::Objects::Timer* timer;
    Core::u64 deadline_ns;
    Core::u64 period_ns;
};

void set_timer_and_exit(void* argument)
{
    // The argument is the test's SetRequest, alive until the thread has exited.
    auto* request = static_cast<SetRequest*>(argument);
    request->timer->set(request->deadline_ns, request->period_ns);
}

} // namespace

KERNEL_TEST(objects, a_one_shot_timer_fires_once_at_its_deadline)
{
    auto timer = Kernel::Objects::Timer::create(false);
    EXPECT(!timer.is_error());
    if (timer.is_error())
        return;
    Core::u64 deadline = monotonic_nanoseconds() + 5 * millisecond;
    timer.value()->set(deadline, 0);
    auto observed
        = timer.value()->signals()->wait(fired, deadline + lateness_tolerance_ns + 1'000 * millisecond);
    EXPECT(!observed.is_error());
    EXPECT(monotonic_nanoseconds() >= deadline);
    // Fired stays raised without AutoReset, and the timer does not fire again.
    Kernel::Tasks::TestSupport::sleep_for(10 * millisecond);
    EXPECT_EQ(timer.value()->signals()->current(), fired);
    EXPECT_EQ(timer.value()->fire_count(), 1u);
}

KERNEL_TEST(objects, a_periodic_auto_reset_timer_releases_one_wait_per_period)
{
    auto timer = Kernel::Objects::Timer::create(true);
    EXPECT(!timer.is_error());
    if (timer.is_error())
        return;
    Core::u64 start = monotonic_nanoseconds();
    timer.value()->set(start + millisecond, millisecond);
    for (Core::u32 tick = 0; tick < 5; ++tick) {
        auto observed = timer.value()->signals()->wait(fired, start + 5'000 * millisecond);
        EXPECT(!observed.is_error());
        if (observed.is_error())
            return;
        EXPECT_EQ(observed.value(), fired);
    }
    // Five waits: the first deadline and four periods at least.
    EXPECT(monotonic_nanoseconds() >= start + 5 * millisecond);
    EXPECT(timer.value()->fire_count() >= 5u);
    timer.value()->cancel();
    Core::u64 count_after_cancel = timer.value()->fire_count();
    Kernel::Tasks::TestSupport::sleep_for(10 * millisecond);
    EXPECT_EQ(timer.value()->fire_count(), count_after_cancel);
    EXPECT_EQ(timer.value()->signals()->current(), 0u);
}

// Armed by a thread on another CPU, cancelled here: the cancel must reach the other CPU's
// timer queue (a local cancel would miss it, and the timer would fire). The deadline is
// far enough that starting and joining the thread cannot pass it even when the emulated
// CPUs are descheduled on a loaded host, and the test waits past it.
KERNEL_TEST(objects, a_timer_armed_on_another_cpu_is_cancelled_there)
{
    auto timer = Kernel::Objects::Timer::create(false);
    EXPECT(!timer.is_error());
    if (timer.is_error())
        return;
    Core::u32 other_cpu = Kernel::Tasks::TestSupport::test_cpu();
    static SetRequest request;
    Core::u64 deadline = monotonic_nanoseconds() + 500 * millisecond;
    request = { timer.value().get(), deadline, 0 };
    auto thread
        = Kernel::Tasks::TestSupport::create_pinned("timer setter", set_timer_and_exit, &request, other_cpu);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return;
    Kernel::Tasks::Scheduler::start(*thread.value());
    EXPECT(!Kernel::Tasks::Scheduler::join(*thread.value()).is_error());
    EXPECT(monotonic_nanoseconds() < deadline);
    timer.value()->cancel();
    Kernel::Tasks::Scheduler::sleep_until(deadline + 30 * millisecond);
    EXPECT_EQ(timer.value()->fire_count(), 0u);
    EXPECT_EQ(timer.value()->signals()->current(), 0u);
    // Set again here after being armed there: it fires here, once.
    timer.value()->set(monotonic_nanoseconds() + millisecond, 0);
    EXPECT(!timer.value()->signals()->wait(fired, monotonic_nanoseconds() + 5'000 * millisecond).is_error());
    EXPECT_EQ(timer.value()->fire_count(), 1u);
}

// Dropping the last reference to a timer armed with the shortest period, on another CPU,
// cancels it before the memory goes (the heap's debugging poisons freed memory, so a
// callback on a freed timer would crash or corrupt).
KERNEL_TEST(objects, destroying_an_armed_periodic_timer_cancels_it)
{
    Core::u32 other_cpu = Kernel::Tasks::TestSupport::test_cpu();
    for (Core::u32 round = 0; round < 20; ++round) {
        auto timer = Kernel::Objects::Timer::create(round % 2 == 0);
        EXPECT(!timer.is_error());
        if (timer.is_error())
            return;
        static SetRequest request;
        request = { timer.value().get(), monotonic_nanoseconds(), ABI::minimum_timer_period_ns };
        auto thread = Kernel::Tasks::TestSupport::create_pinned(
            "timer setter", set_timer_and_exit, &request, other_cpu);
        EXPECT(!thread.is_error());
        if (thread.is_error())
            return;
        Kernel::Tasks::Scheduler::start(*thread.value());
        EXPECT(!Kernel::Tasks::Scheduler::join(*thread.value()).is_error());
        EXPECT(
            !timer.value()->signals()->wait(fired, monotonic_nanoseconds() + 5'000 * millisecond).is_error());
        // The last reference: the destructor cancels on the other CPU, racing its callbacks.
    }
    Kernel::Tasks::TestSupport::sleep_for(5 * millisecond);
}

KERNEL_TEST(objects, waits_time_out_at_their_deadline_and_report_the_signals_seen)
{
    auto event = Kernel::Objects::Event::create();
    EXPECT(!event.is_error());
    if (event.is_error())
        return;
    Kernel::Objects::Signals* signals = event.value()->signals();
    EXPECT(signals != nullptr);
    if (!signals)
        return;
    constexpr Core::u32 signalled = ABI::signal_bits(ABI::Signal::Signalled);
    EXPECT_EQ(signals->supported(), signalled);
    Core::u64 deadline = monotonic_nanoseconds() + 3 * millisecond;
    auto timed_out = signals->wait(signalled, deadline);
    EXPECT(timed_out.is_error() && timed_out.error().code() == Core::ErrorCode::TimedOut);
    EXPECT(monotonic_nanoseconds() >= deadline);
    event.value()->signal();
    // Raised signals win over a deadline already past, and a plain event is not consumed.
    for (Core::u32 wait = 0; wait < 2; ++wait) {
        auto observed = signals->wait(signalled, 0);
        EXPECT(!observed.is_error() && observed.value() == signalled);
    }
    EXPECT(!event.value()->wait().is_error());
    event.value()->reset();
    EXPECT(!event.value()->is_signalled());
}
