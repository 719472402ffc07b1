// Host tests for Kernel/Scheduling/DeadlineServer (hard CBS): parameter validation, both
// branches of the wake-up rule, budget exhaustion and throttling, replenishment only at the
// deadline, overrun debt, and discrete-event simulations checking that an over-running task
// never receives more than its reserved bandwidth.

#include <Kernel/Scheduling/DeadlineServer.h>
#include <algorithm>
#include <cstdint>
#include <gtest/gtest.h>
#include <random>
#include <vector>

using Core::ErrorCode;
using Kernel::Scheduling::DeadlineServer;
using Kernel::Scheduling::maximum_deadline_period_ns;

namespace {

DeadlineServer make_server(std::uint64_t runtime_ns, std::uint64_t period_ns)
{
    auto server = DeadlineServer::create(runtime_ns, period_ns);
    EXPECT_FALSE(server.is_error());
    return server.release_value();
}

ErrorCode creation_error(std::uint64_t runtime_ns, std::uint64_t period_ns)
{
    auto server = DeadlineServer::create(runtime_ns, period_ns);
    EXPECT_TRUE(server.is_error()) << runtime_ns << "/" << period_ns << " should be rejected";
    return server.is_error() ? server.error().code() : ErrorCode::Count;
}

} // namespace

TEST(DeadlineServer, RejectsNonsensicalParameters)
{
    EXPECT_EQ(creation_error(0, 100), ErrorCode::InvalidArgument);
    EXPECT_EQ(creation_error(0, 0), ErrorCode::InvalidArgument);
    EXPECT_EQ(creation_error(101, 100), ErrorCode::InvalidArgument);
    EXPECT_EQ(creation_error(1, maximum_deadline_period_ns + 1), ErrorCode::InvalidArgument);
    EXPECT_EQ(creation_error(UINT64_MAX, UINT64_MAX), ErrorCode::InvalidArgument);

    EXPECT_FALSE(DeadlineServer::create(100, 100).is_error()) << "a full CPU is a valid reservation";
    EXPECT_FALSE(DeadlineServer::create(1, maximum_deadline_period_ns).is_error());
}

TEST(DeadlineServer, FirstWakeupStartsAPeriod)
{
    auto server = make_server(10, 100);
    EXPECT_EQ(server.runtime_ns(), 10u);
    EXPECT_EQ(server.period_ns(), 100u);
    EXPECT_FALSE(server.is_throttled());

    server.on_wakeup(1000);
    EXPECT_EQ(server.absolute_deadline_ns(), 1100u);
    EXPECT_EQ(server.remaining_runtime_ns(), 10u);

    auto at_time_zero = make_server(10, 100);
    at_time_zero.on_wakeup(0);
    EXPECT_EQ(at_time_zero.absolute_deadline_ns(), 100u);
}

TEST(DeadlineServer, WakeupKeepsDeadlineWhenRemainingBudgetFitsTheBandwidth)
{
    auto server = make_server(10, 100);
    server.on_wakeup(0);
    server.charge(5);
    // 5 ns left, 50 ns to the deadline: 5/50 == 10/100, not greater, so keep.
    server.on_wakeup(50);
    EXPECT_EQ(server.absolute_deadline_ns(), 100u);
    EXPECT_EQ(server.remaining_runtime_ns(), 5u);

    // 5 ns left with 60 ns to go is below the bandwidth: keep as well.
    auto earlier = make_server(10, 100);
    earlier.on_wakeup(0);
    earlier.charge(5);
    earlier.on_wakeup(40);
    EXPECT_EQ(earlier.absolute_deadline_ns(), 100u);
    EXPECT_EQ(earlier.remaining_runtime_ns(), 5u);
}

TEST(DeadlineServer, WakeupReplenishesWhenRemainingBudgetWouldExceedTheBandwidth)
{
    auto server = make_server(10, 100);
    server.on_wakeup(0);
    server.charge(2);
    // 8 ns left, 50 ns to the deadline: 8/50 > 10/100, so a new period starts at the wake-up.
    server.on_wakeup(50);
    EXPECT_EQ(server.absolute_deadline_ns(), 150u);
    EXPECT_EQ(server.remaining_runtime_ns(), 10u);

    // One nanosecond past the equality boundary tips it over.
    auto boundary = make_server(10, 100);
    boundary.on_wakeup(0);
    boundary.charge(5);
    boundary.on_wakeup(51);
    EXPECT_EQ(boundary.absolute_deadline_ns(), 151u);
}

TEST(DeadlineServer, WakeupAtOrAfterTheDeadlineReplenishes)
{
    auto server = make_server(10, 100);
    server.on_wakeup(0);
    server.charge(10);
    ASSERT_TRUE(server.is_throttled());
    server.on_wakeup(100);
    EXPECT_EQ(server.absolute_deadline_ns(), 200u);
    EXPECT_EQ(server.remaining_runtime_ns(), 10u);

    server.charge(3);
    server.on_wakeup(5000);
    EXPECT_EQ(server.absolute_deadline_ns(), 5100u);
    EXPECT_EQ(server.remaining_runtime_ns(), 10u);
}

TEST(DeadlineServer, ThrottledServerWakingBeforeItsDeadlineStaysThrottled)
{
    auto server = make_server(10, 100);
    server.on_wakeup(0);
    server.charge(10);
    server.on_wakeup(30);
    EXPECT_TRUE(server.is_throttled());
    EXPECT_EQ(server.absolute_deadline_ns(), 100u) << "sleeping must not buy an earlier budget";
}

TEST(DeadlineServer, WakeupRuleDoesNotOverflowWithTheLargestParameters)
{
    // Products of these reach 2^72: a 64-bit cross-multiplication would wrap.
    std::uint64_t period = maximum_deadline_period_ns;
    auto server = make_server(period, period);
    std::uint64_t start = UINT64_MAX / 2;
    server.on_wakeup(start);
    EXPECT_EQ(server.absolute_deadline_ns(), start + period);
    server.charge(1);
    // remaining = period - 1 over period - 1 to go equals runtime/period (1): keep.
    server.on_wakeup(start + 1);
    EXPECT_EQ(server.absolute_deadline_ns(), start + period);

    auto small_share = make_server(period / 2, period);
    small_share.on_wakeup(start);
    // Half the budget left with a quarter of the period to go is above the bandwidth.
    small_share.charge(period / 4);
    small_share.on_wakeup(start + period / 2 + period / 4);
    EXPECT_EQ(small_share.absolute_deadline_ns(), start + period / 2 + period / 4 + period);
}

TEST(DeadlineServer, DeadlinesSaturateInsteadOfWrapping)
{
    auto server = make_server(10, 100);
    server.on_wakeup(UINT64_MAX - 50);
    EXPECT_EQ(server.absolute_deadline_ns(), UINT64_MAX);
}

TEST(DeadlineServer, ChargingExhaustsTheBudgetAndThrottles)
{
    auto server = make_server(10, 100);
    server.on_wakeup(0);
    server.charge(4);
    EXPECT_EQ(server.remaining_runtime_ns(), 6u);
    EXPECT_FALSE(server.is_throttled());
    server.charge(6);
    EXPECT_EQ(server.remaining_runtime_ns(), 0u);
    EXPECT_TRUE(server.is_throttled());
    EXPECT_EQ(server.overrun_debt_ns(), 0u);
}

TEST(DeadlineServer, ReplenishesOnlyAtTheDeadline)
{
    auto server = make_server(10, 100);
    server.on_wakeup(0);
    server.charge(10);
    EXPECT_FALSE(server.replenish_if_due(0));
    EXPECT_FALSE(server.replenish_if_due(99));
    EXPECT_TRUE(server.is_throttled()) << "hard CBS: no budget before the deadline";
    EXPECT_EQ(server.absolute_deadline_ns(), 100u);

    EXPECT_TRUE(server.replenish_if_due(100));
    EXPECT_EQ(server.absolute_deadline_ns(), 200u);
    EXPECT_EQ(server.remaining_runtime_ns(), 10u);
    EXPECT_FALSE(server.replenish_if_due(150));
}

TEST(DeadlineServer, PeriodBoundaryForfeitsUnusedBudget)
{
    auto server = make_server(10, 100);
    server.on_wakeup(0);
    server.charge(3);
    EXPECT_TRUE(server.replenish_if_due(100));
    EXPECT_EQ(server.remaining_runtime_ns(), 10u) << "unused budget is not carried over";
    EXPECT_EQ(server.absolute_deadline_ns(), 200u);
}

TEST(DeadlineServer, LateReplenishmentNeverGivesADeadlineInThePast)
{
    auto server = make_server(10, 100);
    server.on_wakeup(0);
    server.charge(10);
    // The replenishment timer ran within a period of the deadline: the period grid is kept.
    EXPECT_TRUE(server.replenish_if_due(150));
    EXPECT_EQ(server.absolute_deadline_ns(), 200u);

    server.charge(10);
    // More than a period late: deadline + period (300) would already be past.
    EXPECT_TRUE(server.replenish_if_due(450));
    EXPECT_EQ(server.absolute_deadline_ns(), 550u);
}

TEST(DeadlineServer, OverrunIsPaidBackFromTheNextBudgets)
{
    auto server = make_server(10, 100);
    server.on_wakeup(0);
    server.charge(14);
    EXPECT_TRUE(server.is_throttled());
    EXPECT_EQ(server.overrun_debt_ns(), 4u);

    EXPECT_TRUE(server.replenish_if_due(100));
    EXPECT_EQ(server.remaining_runtime_ns(), 6u);
    EXPECT_EQ(server.overrun_debt_ns(), 0u);

    // A debt beyond a whole budget keeps the server throttled for the next period as well.
    server.charge(6 + 25);
    EXPECT_TRUE(server.replenish_if_due(200));
    EXPECT_TRUE(server.is_throttled());
    EXPECT_EQ(server.overrun_debt_ns(), 15u);
    EXPECT_TRUE(server.replenish_if_due(300));
    EXPECT_TRUE(server.is_throttled());
    EXPECT_EQ(server.overrun_debt_ns(), 5u);
    EXPECT_TRUE(server.replenish_if_due(400));
    EXPECT_EQ(server.remaining_runtime_ns(), 5u);
    EXPECT_EQ(server.overrun_debt_ns(), 0u);
}

namespace {

// A discrete-event loop for one server whose task always wants the CPU, except for random
// sleeps of up to max_sleep_ns (none when 0). It runs in quanta of tick_ns (the budget timer's granularity,
// so each exhaustion may overrun by up to a tick), is throttled when its budget is gone and is replenished
// when the clock reaches the deadline. Checks the hard-CBS bandwidth bound consumed(t) <= runtime/period * t
// + runtime + tick at every event, and returns the time consumed in each aligned period window [k * period,
// (k + 1) * period).
std::vector<std::uint64_t> simulate_greedy_task(std::uint64_t runtime, std::uint64_t period,
    std::uint64_t tick, std::uint64_t periods, std::uint64_t max_sleep_ns, std::uint32_t seed)
{
    auto server = make_server(runtime, period);
    std::mt19937 random(seed);
    std::vector<std::uint64_t> consumed_per_window(periods, 0);
    std::uint64_t end = periods * period;
    std::uint64_t now = 0;
    std::uint64_t total_consumed = 0;
    server.on_wakeup(now);

    while (now < end) {
        if (max_sleep_ns > 0 && random() % 8 == 0) {
            now += 1 + random() % max_sleep_ns;
            server.on_wakeup(now);
            continue;
        }
        if (server.is_throttled()) {
            now = server.absolute_deadline_ns();
            EXPECT_TRUE(server.replenish_if_due(now));
            continue;
        }
        // Runs a whole tick even if less budget remains: the overrun a timer tick causes.
        std::uint64_t slice_end = now + tick;
        for (std::uint64_t instant = now; instant < slice_end && instant < end;) {
            std::uint64_t window = instant / period;
            std::uint64_t window_end = (window + 1) * period;
            std::uint64_t piece_end = std::min({ slice_end, window_end, end });
            consumed_per_window[window] += piece_end - instant;
            instant = piece_end;
        }
        server.charge(tick);
        total_consumed += tick;
        now = slice_end;
        // consumed * period <= runtime * now + runtime * period + tick * period, exactly.
        EXPECT_LE(static_cast<unsigned __int128>(total_consumed) * period,
            static_cast<unsigned __int128>(runtime) * now + static_cast<unsigned __int128>(runtime) * period
                + static_cast<unsigned __int128>(tick) * period)
            << "bandwidth exceeded at " << now;
        server.replenish_if_due(now);
    }
    return consumed_per_window;
}

} // namespace

TEST(DeadlineServer, GreedyTaskNeverExceedsItsBudgetPerPeriod)
{
    constexpr std::uint64_t runtime = 3'000;
    constexpr std::uint64_t period = 10'000;
    constexpr std::uint64_t tick = 700; // does not divide the runtime: every exhaustion overruns
    constexpr std::uint64_t periods = 1000;
    auto windows = simulate_greedy_task(runtime, period, tick, periods, 0, 1);

    std::uint64_t total = 0;
    for (std::uint64_t window = 0; window < periods; ++window) {
        EXPECT_LE(windows[window], runtime + tick) << "period " << window;
        total += windows[window];
        // Debt repayment means overruns do not accumulate across periods.
        EXPECT_LE(total, (window + 1) * runtime + tick) << "through period " << window;
    }
    EXPECT_GE(total, periods * runtime - runtime) << "the server must still get its reservation";
}

TEST(DeadlineServer, GreedyTaskWithExactTicksGetsExactlyItsRuntime)
{
    auto windows = simulate_greedy_task(2'000, 10'000, 500, 200, 0, 2);
    for (std::uint64_t window = 0; window < windows.size(); ++window)
        EXPECT_EQ(windows[window], 2'000u) << "period " << window;
}

TEST(DeadlineServer, SleepingAndWakingNeverBeatsTheBandwidth)
{
    // The per-event bandwidth bound inside the simulation is the check here: wake-ups at
    // random times must never let saved budget add up to more than runtime/period.
    // Short sleeps test the rule's keep branch (a task that naps must not come back with a
    // fresh budget), long ones its replenish branch.
    for (std::uint32_t seed = 0; seed < 20; ++seed) {
        simulate_greedy_task(3'000, 10'000, 700, 500, 1'000, seed);
        simulate_greedy_task(3'000, 10'000, 700, 500, 20'000, seed);
    }
}
