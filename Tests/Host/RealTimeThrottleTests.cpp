// Host tests for Kernel/Scheduling/RealTimeThrottle: validation in create(), the defaults and
// their agreement with DeadlineAdmission's cap, throttling inside a window, release at the
// window boundary, stretches that straddle a boundary, long gaps, stale clock reads, windows
// aligned to multiples of the period, and simulated runs of a spinning fixed-priority thread
// against a fair thread: the fair thread gets period - budget of every window, while with no
// fair thread waiting the real-time thread keeps the whole CPU (work conservation).

#include <Kernel/Scheduling/DeadlineAdmission.h>
#include <Kernel/Scheduling/RealTimeThrottle.h>
#include <algorithm>
#include <cstdint>
#include <gtest/gtest.h>
#include <map>

using Core::ErrorCode;
using Kernel::Scheduling::bandwidth_unit;
using Kernel::Scheduling::DeadlineAdmission;
using Kernel::Scheduling::default_deadline_bandwidth_cap;
using Kernel::Scheduling::default_real_time_budget_ns;
using Kernel::Scheduling::default_real_time_period_ns;
using Kernel::Scheduling::maximum_real_time_period_ns;
using Kernel::Scheduling::RealTimeThrottle;

namespace {

constexpr std::uint64_t millisecond_ns = 1'000'000;
constexpr std::uint64_t second_ns = 1'000 * millisecond_ns;

RealTimeThrottle make_throttle(std::uint64_t budget_ns, std::uint64_t period_ns)
{
    auto throttle = RealTimeThrottle::create(budget_ns, period_ns);
    EXPECT_FALSE(throttle.is_error());
    return throttle.release_value();
}

ErrorCode create_error(std::uint64_t budget_ns, std::uint64_t period_ns)
{
    auto throttle = RealTimeThrottle::create(budget_ns, period_ns);
    return throttle.is_error() ? throttle.error().code() : ErrorCode::Count;
}

} // namespace

TEST(RealTimeThrottle, Defaults)
{
    RealTimeThrottle throttle;
    EXPECT_EQ(throttle.budget_ns(), 95 * millisecond_ns);
    EXPECT_EQ(throttle.period_ns(), 100 * millisecond_ns);
    EXPECT_EQ(default_real_time_budget_ns, 95 * millisecond_ns);
    EXPECT_EQ(default_real_time_period_ns, 100 * millisecond_ns);
    EXPECT_EQ(throttle.used_ns(), 0u);
    EXPECT_FALSE(throttle.is_throttled(0));
    EXPECT_FALSE(throttle.is_throttled(5 * second_ns));
    EXPECT_EQ(throttle.remaining_budget_ns(0), 95 * millisecond_ns);
    // The throttle's share is the deadline admission cap, so admitted servers fit its budget.
    EXPECT_EQ(throttle.admission_cap(), default_deadline_bandwidth_cap);
    EXPECT_EQ(DeadlineAdmission().cap(), throttle.admission_cap());
}

TEST(RealTimeThrottle, CreateValidatesItsParameters)
{
    EXPECT_EQ(create_error(0, 100), ErrorCode::InvalidArgument) << "a zero budget";
    EXPECT_EQ(create_error(0, 0), ErrorCode::InvalidArgument);
    EXPECT_EQ(create_error(101, 100), ErrorCode::InvalidArgument) << "budget over the period";
    EXPECT_EQ(create_error(1, maximum_real_time_period_ns + 1), ErrorCode::InvalidArgument);
    EXPECT_EQ(create_error(~std::uint64_t(0), ~std::uint64_t(0)), ErrorCode::InvalidArgument);
    EXPECT_EQ(maximum_real_time_period_ns, std::uint64_t(1) << 36);

    RealTimeThrottle smallest = make_throttle(1, 1);
    EXPECT_EQ(smallest.budget_ns(), 1u);
    EXPECT_EQ(smallest.period_ns(), 1u);
    RealTimeThrottle longest = make_throttle(maximum_real_time_period_ns, maximum_real_time_period_ns);
    EXPECT_EQ(longest.period_ns(), maximum_real_time_period_ns);
    EXPECT_EQ(longest.admission_cap(), bandwidth_unit);
    RealTimeThrottle custom = make_throttle(30 * millisecond_ns, 50 * millisecond_ns);
    EXPECT_EQ(custom.budget_ns(), 30 * millisecond_ns);
    EXPECT_EQ(custom.period_ns(), 50 * millisecond_ns);
}

TEST(RealTimeThrottle, AdmissionCapRoundsDown)
{
    // 1/3 of a CPU is 349525.33 parts: the cap must not round up past the budget.
    EXPECT_EQ(make_throttle(1, 3).admission_cap(), bandwidth_unit / 3);
    EXPECT_EQ(make_throttle(50, 100).admission_cap(), bandwidth_unit / 2);
    EXPECT_EQ(make_throttle(1, maximum_real_time_period_ns).admission_cap(), 0u);
    // The cap is accepted by admission control as is.
    auto admission = DeadlineAdmission::create(make_throttle(2, 3).admission_cap());
    ASSERT_FALSE(admission.is_error());
    EXPECT_EQ(admission.value().cap(), bandwidth_unit * 2 / 3);
}

TEST(RealTimeThrottle, ThrottlesOnceTheBudgetIsUsed)
{
    RealTimeThrottle throttle;
    // Real-time work runs 0..40 ms, fair work 40..45 ms, real-time work again from 45 ms.
    throttle.charge(40 * millisecond_ns, 40 * millisecond_ns);
    EXPECT_EQ(throttle.used_ns(), 40 * millisecond_ns);
    EXPECT_FALSE(throttle.is_throttled(45 * millisecond_ns));
    EXPECT_EQ(throttle.remaining_budget_ns(45 * millisecond_ns), 55 * millisecond_ns);

    throttle.charge(54 * millisecond_ns, 99 * millisecond_ns);
    EXPECT_EQ(throttle.used_ns(), 94 * millisecond_ns);
    EXPECT_FALSE(throttle.is_throttled(99 * millisecond_ns));
    EXPECT_EQ(throttle.remaining_budget_ns(99 * millisecond_ns), 1 * millisecond_ns);

    // One nanosecond short, then exactly at the budget.
    RealTimeThrottle exact;
    exact.charge(95 * millisecond_ns - 1, 95 * millisecond_ns - 1);
    EXPECT_FALSE(exact.is_throttled(95 * millisecond_ns - 1));
    EXPECT_EQ(exact.remaining_budget_ns(95 * millisecond_ns - 1), 1u);
    exact.charge(1, 95 * millisecond_ns);
    EXPECT_TRUE(exact.is_throttled(95 * millisecond_ns));
    EXPECT_EQ(exact.remaining_budget_ns(95 * millisecond_ns), 0u);
    EXPECT_EQ(exact.throttled_until_ns(95 * millisecond_ns), 100 * millisecond_ns);
    EXPECT_EQ(exact.window_end_ns(97 * millisecond_ns), 100 * millisecond_ns);
}

TEST(RealTimeThrottle, WindowBoundaryReleasesTheThrottle)
{
    RealTimeThrottle throttle;
    throttle.charge(95 * millisecond_ns, 95 * millisecond_ns);
    EXPECT_TRUE(throttle.is_throttled(95 * millisecond_ns));
    EXPECT_TRUE(throttle.is_throttled(100 * millisecond_ns - 1));
    // At the window end, without any charge, the next window has its whole budget.
    EXPECT_FALSE(throttle.is_throttled(100 * millisecond_ns));
    EXPECT_EQ(throttle.remaining_budget_ns(100 * millisecond_ns), 95 * millisecond_ns);
    EXPECT_EQ(throttle.window_end_ns(100 * millisecond_ns), 200 * millisecond_ns);
    // The queries do not move the window: the record still describes the window charged.
    EXPECT_EQ(throttle.used_ns(), 95 * millisecond_ns);
    EXPECT_EQ(throttle.throttled_until_ns(99 * millisecond_ns), 100 * millisecond_ns);
    EXPECT_EQ(throttle.throttled_until_ns(100 * millisecond_ns), 100 * millisecond_ns) << "released: now";

    // The first charge in the new window starts it from zero.
    throttle.charge(3 * millisecond_ns, 103 * millisecond_ns);
    EXPECT_EQ(throttle.used_ns(), 3 * millisecond_ns);
    EXPECT_EQ(throttle.window_end_ns(103 * millisecond_ns), 200 * millisecond_ns);
    EXPECT_EQ(throttle.throttled_until_ns(103 * millisecond_ns), 103 * millisecond_ns);
    EXPECT_FALSE(throttle.is_throttled(103 * millisecond_ns));
}

TEST(RealTimeThrottle, AStretchAcrossTheBoundaryCountsOnlyItsPartInTheNewWindow)
{
    RealTimeThrottle throttle;
    throttle.charge(80 * millisecond_ns, 90 * millisecond_ns);
    // 90..110 ms: 10 ms of it belongs to the window that ended, 10 ms to the new one.
    throttle.charge(20 * millisecond_ns, 110 * millisecond_ns);
    EXPECT_EQ(throttle.used_ns(), 10 * millisecond_ns);
    EXPECT_EQ(throttle.remaining_budget_ns(110 * millisecond_ns), 85 * millisecond_ns);

    // A stretch longer than the elapsed part of the current window is clipped the same way.
    RealTimeThrottle clipped;
    clipped.charge(1 * millisecond_ns, 2 * millisecond_ns);
    clipped.charge(50 * millisecond_ns, 210 * millisecond_ns);
    EXPECT_EQ(clipped.used_ns(), 10 * millisecond_ns);
    // Charging exactly at a window start counts nothing: no time of the window has passed.
    RealTimeThrottle at_start;
    at_start.charge(5 * millisecond_ns, 300 * millisecond_ns);
    EXPECT_EQ(at_start.used_ns(), 0u);
    EXPECT_EQ(at_start.window_end_ns(300 * millisecond_ns), 400 * millisecond_ns);
}

TEST(RealTimeThrottle, UsageResetsAfterOneOrManyWindows)
{
    RealTimeThrottle throttle;
    throttle.charge(95 * millisecond_ns, 99 * millisecond_ns);
    EXPECT_TRUE(throttle.is_throttled(99 * millisecond_ns));

    // The next window: nothing carried over.
    throttle.charge(1 * millisecond_ns, 150 * millisecond_ns);
    EXPECT_EQ(throttle.used_ns(), 1 * millisecond_ns);
    throttle.charge(94 * millisecond_ns, 199 * millisecond_ns);
    EXPECT_TRUE(throttle.is_throttled(199 * millisecond_ns));

    // A long gap (the CPU ran no real-time work for 10 s): the usage resets, and the window
    // is the one containing the new time, not the one after the last charged.
    const std::uint64_t later = 10 * second_ns + 250 * millisecond_ns;
    EXPECT_FALSE(throttle.is_throttled(later));
    EXPECT_EQ(throttle.window_end_ns(later), 10 * second_ns + 300 * millisecond_ns);
    throttle.charge(2 * millisecond_ns, later);
    EXPECT_EQ(throttle.used_ns(), 2 * millisecond_ns);
    EXPECT_EQ(throttle.throttled_until_ns(later), later) << "not throttled";
    EXPECT_EQ(throttle.remaining_budget_ns(later), 93 * millisecond_ns);
}

TEST(RealTimeThrottle, WindowsAreAlignedToMultiplesOfThePeriod)
{
    RealTimeThrottle throttle = make_throttle(30 * millisecond_ns, 50 * millisecond_ns);
    // First use at 1234.5 ms: the window is [1200, 1250) ms.
    const std::uint64_t first_use = 1234 * millisecond_ns + 500'000;
    EXPECT_EQ(throttle.window_end_ns(first_use), 1250 * millisecond_ns);
    EXPECT_EQ(throttle.window_end_ns(1100 * millisecond_ns), 1150 * millisecond_ns);
    throttle.charge(4 * millisecond_ns, first_use);
    // Once a window is charged, an earlier time read late still reports that window.
    EXPECT_EQ(throttle.window_end_ns(1100 * millisecond_ns), 1250 * millisecond_ns);
    EXPECT_EQ(throttle.used_ns(), 4 * millisecond_ns);
    throttle.charge(26 * millisecond_ns, 1249 * millisecond_ns);
    EXPECT_TRUE(throttle.is_throttled(1249 * millisecond_ns));
    EXPECT_EQ(throttle.throttled_until_ns(1249 * millisecond_ns), 1250 * millisecond_ns);
    EXPECT_FALSE(throttle.is_throttled(1250 * millisecond_ns));
    // Every later window ends on a multiple of 50 ms too.
    EXPECT_EQ(throttle.window_end_ns(1250 * millisecond_ns), 1300 * millisecond_ns);
    EXPECT_EQ(throttle.window_end_ns(7777 * millisecond_ns), 7800 * millisecond_ns);
    throttle.charge(1 * millisecond_ns, 7777 * millisecond_ns);
    EXPECT_EQ(throttle.used_ns(), 1 * millisecond_ns);
}

TEST(RealTimeThrottle, StaleClockReadsStayInTheCurrentWindow)
{
    RealTimeThrottle throttle;
    throttle.charge(95 * millisecond_ns, 195 * millisecond_ns);
    ASSERT_TRUE(throttle.is_throttled(195 * millisecond_ns));
    // A time read before the last charge, even from the previous window, does not make the
    // throttle look released, and the window does not move backwards.
    EXPECT_TRUE(throttle.is_throttled(90 * millisecond_ns));
    EXPECT_EQ(throttle.window_end_ns(90 * millisecond_ns), 200 * millisecond_ns);
    EXPECT_EQ(throttle.remaining_budget_ns(90 * millisecond_ns), 0u);
    // A stretch that ended before the current window began ran in a window that is over.
    throttle.charge(10 * millisecond_ns, 90 * millisecond_ns);
    EXPECT_EQ(throttle.used_ns(), 95 * millisecond_ns);
    EXPECT_EQ(throttle.throttled_until_ns(90 * millisecond_ns), 200 * millisecond_ns);
}

TEST(RealTimeThrottle, ABudgetEqualToThePeriodNeverThrottles)
{
    RealTimeThrottle throttle = make_throttle(10 * millisecond_ns, 10 * millisecond_ns);
    for (std::uint64_t now = 1 * millisecond_ns; now <= 100 * millisecond_ns; now += 1 * millisecond_ns) {
        throttle.charge(1 * millisecond_ns, now);
        ASSERT_FALSE(throttle.is_throttled(now)) << "at " << now;
    }
}

TEST(RealTimeThrottle, DeadlineTimeLeavesLessForFixedPriority)
{
    // A deadline server ran 50 ms of the window; fixed-priority threads may use the rest of
    // the 95 ms budget, 45 ms, before fair threads waiting get the CPU.
    RealTimeThrottle throttle;
    throttle.charge(50 * millisecond_ns, 50 * millisecond_ns);
    EXPECT_EQ(throttle.remaining_budget_ns(50 * millisecond_ns), 45 * millisecond_ns);
    throttle.charge(45 * millisecond_ns, 95 * millisecond_ns);
    EXPECT_TRUE(throttle.is_throttled(95 * millisecond_ns));
}

namespace {

struct SimulatedWindow {
    std::uint64_t real_time_ns { 0 };
    std::uint64_t fair_ns { 0 };
};

// One CPU with a fixed-priority thread that never blocks and a fair thread that is runnable
// when fair_waiting(now) says so, scheduled the way the run queue will: real-time work runs
// unless the throttle is on and fair work waits; while fair work waits, a real-time stretch
// ends at the next tick or when the budget runs out (the run queue arms a timer for
// now + remaining_budget_ns), whichever is first. Returns the time each class got per window.
template<typename FairWaiting>
std::map<std::uint64_t, SimulatedWindow> simulate(RealTimeThrottle& throttle, std::uint64_t start_ns,
    std::uint64_t end_ns, std::uint64_t tick_ns, FairWaiting fair_waiting)
{
    std::map<std::uint64_t, SimulatedWindow> windows;
    std::uint64_t now = start_ns;
    while (now < end_ns) {
        std::uint64_t window_end = throttle.window_end_ns(now);
        std::uint64_t window_start = window_end - throttle.period_ns();
        // Decisions are also made at window ends (the throttle timer), so no stretch spans one.
        std::uint64_t stretch = std::min({ tick_ns, window_end - now, end_ns - now });
        bool fair_is_waiting = fair_waiting(now);
        bool runs_fair = fair_is_waiting && throttle.is_throttled(now);
        if (!runs_fair && fair_is_waiting)
            stretch = std::min(stretch, throttle.remaining_budget_ns(now));
        if (stretch == 0) {
            // Neither throttled nor with budget left: the run queue would stall.
            ADD_FAILURE() << "no progress at " << now;
            break;
        }
        SimulatedWindow& window = windows[window_start];
        if (runs_fair) {
            window.fair_ns += stretch;
        } else {
            throttle.charge(stretch, now + stretch);
            window.real_time_ns += stretch;
        }
        now += stretch;
    }
    return windows;
}

} // namespace

TEST(RealTimeThrottle, SpinningFixedPriorityThreadLeavesFairThreadsTheirShare)
{
    RealTimeThrottle throttle;
    // Ticks of 1.3 ms do not divide the window, and the run starts mid-window.
    const std::uint64_t start = 5 * second_ns + 37 * millisecond_ns;
    const std::uint64_t end = 7 * second_ns;
    auto windows = simulate(throttle, start, end, 1'300'000, [](std::uint64_t) { return true; });
    ASSERT_EQ(windows.size(), 20u);
    for (auto& [window_start, window] : windows) {
        if (window_start < start)
            continue;
        EXPECT_EQ(window.real_time_ns, 95 * millisecond_ns) << "window at " << window_start;
        EXPECT_EQ(window.fair_ns, 5 * millisecond_ns) << "window at " << window_start;
    }
    // The partial first window: real-time work gets the budget if the window leaves room.
    auto& first = windows.begin()->second;
    EXPECT_EQ(first.real_time_ns + first.fair_ns, 63 * millisecond_ns);
    EXPECT_EQ(first.fair_ns, 0u) << "63 ms of window left, under the 95 ms budget";
}

TEST(RealTimeThrottle, WithNoFairThreadWaitingRealTimeWorkKeepsTheCpu)
{
    RealTimeThrottle throttle;
    // The fair thread is runnable only in the second half of each second.
    auto fair_waiting = [](std::uint64_t now) { return now % second_ns >= 500 * millisecond_ns; };
    auto windows = simulate(throttle, 0, 3 * second_ns, 1 * millisecond_ns, fair_waiting);
    ASSERT_EQ(windows.size(), 30u);
    for (auto& [window_start, window] : windows) {
        if (window_start % second_ns < 500 * millisecond_ns) {
            EXPECT_EQ(window.real_time_ns, 100 * millisecond_ns) << "work-conserving at " << window_start;
            EXPECT_EQ(window.fair_ns, 0u);
        } else {
            EXPECT_EQ(window.real_time_ns, 95 * millisecond_ns) << "window at " << window_start;
            EXPECT_EQ(window.fair_ns, 5 * millisecond_ns) << "window at " << window_start;
        }
    }
}

TEST(RealTimeThrottle, FairThreadArrivingAfterTheBudgetRanOutRunsAtOnce)
{
    RealTimeThrottle throttle;
    // Real-time work ran alone for 97 ms (past the budget: nothing else wanted the CPU).
    throttle.charge(97 * millisecond_ns, 97 * millisecond_ns);
    // A fair thread that wakes now finds the throttle on, so it runs until the window ends.
    EXPECT_TRUE(throttle.is_throttled(97 * millisecond_ns));
    EXPECT_EQ(throttle.throttled_until_ns(97 * millisecond_ns), 100 * millisecond_ns);
    EXPECT_EQ(throttle.remaining_budget_ns(97 * millisecond_ns), 0u);
}
