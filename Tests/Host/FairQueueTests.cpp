// Host tests for Kernel/Scheduling/NiceWeights.h and FairQueue: the weight table, shares
// of CPU time in simulated runs (pick, run, charge, repeat), eligibility, lag across sleeps,
// dequeuing from the middle, nice changes, a very long run across the wrap of virtual time,
// and a randomized run checked against a brute-force model of EEVDF.

#include <Kernel/Scheduling/FairQueue.h>
#include <Kernel/Scheduling/NiceWeights.h>
#include <cmath>
#include <cstdint>
#include <deque>
#include <gtest/gtest.h>
#include <limits>
#include <random>
#include <vector>

using Kernel::Scheduling::FairEntity;
using Kernel::Scheduling::FairQueue;
namespace Scheduling = Kernel::Scheduling;

namespace {

constexpr std::uint64_t millisecond_ns = 1'000'000;
constexpr std::uint64_t second_ns = 1'000 * millisecond_ns;

// Drives a queue the way a per-CPU run queue will: pick, run for a quantum, charge.
class Simulation {
public:
    explicit Simulation(std::uint64_t initial_virtual_time = 0)
        : queue(initial_virtual_time)
    {
    }

    FairEntity& add(int nice = 0, std::uint64_t request_slice_ns = Scheduling::default_request_slice_ns)
    {
        FairEntity& entity = entities.emplace_back(nice, request_slice_ns);
        queue.enqueue(entity, now_ns);
        return entity;
    }

    // Runs for `duration_ns` in quanta of `quantum_ns`, checking on every pick that the
    // chosen entity is eligible.
    void run(std::uint64_t duration_ns, std::uint64_t quantum_ns)
    {
        for (std::uint64_t elapsed = 0; elapsed < duration_ns; elapsed += quantum_ns) {
            FairEntity* entity = queue.pick_next();
            ASSERT_NE(entity, nullptr);
            ASSERT_TRUE(queue.is_eligible(*entity));
            queue.charge(*entity, quantum_ns);
            now_ns += quantum_ns;
        }
    }

    FairQueue queue;
    // A deque, because entities must not move once queued.
    std::deque<FairEntity> entities;
    std::uint64_t now_ns { 0 };
};

// Real-time lag in nanoseconds: weight * virtual lag / 1024.
double real_lag_ns(const FairEntity& entity, std::int64_t virtual_lag)
{
    return static_cast<double>(virtual_lag) * entity.weight() / Scheduling::nice_0_weight;
}

} // namespace

TEST(NiceWeights, NiceZeroIs1024AndWeightsFallWithNice)
{
    EXPECT_EQ(Scheduling::weight_for_nice(0), 1024u);
    EXPECT_EQ(Scheduling::inverse_weight_for_nice(0), 1u << 22);
    for (int nice = Scheduling::minimum_nice; nice < Scheduling::maximum_nice; ++nice)
        EXPECT_GT(Scheduling::weight_for_nice(nice), Scheduling::weight_for_nice(nice + 1))
            << "nice " << nice;
    EXPECT_EQ(Scheduling::weight_for_nice(Scheduling::minimum_nice), 88818u);
    EXPECT_EQ(Scheduling::weight_for_nice(Scheduling::maximum_nice), 15u);
}

TEST(NiceWeights, AdjacentLevelsDifferByAboutOnePointTwoFive)
{
    for (int nice = Scheduling::minimum_nice; nice < Scheduling::maximum_nice; ++nice) {
        double ratio
            = static_cast<double>(Scheduling::weight_for_nice(nice)) / Scheduling::weight_for_nice(nice + 1);
        // Integer rounding of the small weights (18 / 15 = 1.2) is the worst case.
        EXPECT_NEAR(ratio, 1.25, 0.0625) << "nice " << nice;
        if (Scheduling::weight_for_nice(nice + 1) > 1000)
            EXPECT_NEAR(ratio, 1.25, 0.001) << "nice " << nice;
    }
}

TEST(NiceWeights, InverseWeightsAreTwoToThe32OverWeight)
{
    for (int nice = Scheduling::minimum_nice; nice <= Scheduling::maximum_nice; ++nice) {
        std::uint64_t weight = Scheduling::weight_for_nice(nice);
        std::uint64_t product = weight * Scheduling::inverse_weight_for_nice(nice);
        std::uint64_t two_to_the_32 = std::uint64_t(1) << 32;
        // Rounded to nearest, the product is within half a weight of 2^32.
        EXPECT_LE(product > two_to_the_32 ? product - two_to_the_32 : two_to_the_32 - product, weight / 2)
            << "nice " << nice;
    }
}

TEST(FairQueue, EmptyQueuePicksNothing)
{
    FairQueue queue;
    EXPECT_EQ(queue.pick_next(), nullptr);
    EXPECT_EQ(queue.count(), 0u);
    EXPECT_EQ(queue.total_weight(), 0u);
    EXPECT_EQ(queue.average_virtual_runtime(), 0u);
}

TEST(FairQueue, SingleEntityRunsAndVirtualTimeIsRealTimeAtNiceZero)
{
    Simulation simulation(12345);
    FairEntity& only = simulation.add();
    EXPECT_EQ(only.virtual_runtime(), 12345u);
    EXPECT_EQ(only.virtual_deadline(), 12345u + Scheduling::default_request_slice_ns);
    simulation.run(10 * millisecond_ns, millisecond_ns);
    EXPECT_EQ(only.total_runtime_ns(), 10 * millisecond_ns);
    EXPECT_EQ(only.virtual_runtime(), 12345u + 10 * millisecond_ns);
    EXPECT_EQ(simulation.queue.average_virtual_runtime(), only.virtual_runtime());
}

TEST(FairQueue, VirtualTimeAdvancesInverselyToWeight)
{
    FairQueue queue;
    FairEntity weak(19);
    FairEntity strong(-20);
    queue.enqueue(weak, 0);
    queue.enqueue(strong, 0);
    std::uint64_t weak_start = weak.virtual_runtime();
    std::uint64_t strong_start = strong.virtual_runtime();
    queue.charge(weak, second_ns);
    queue.charge(strong, second_ns);
    // 1e9 * 1024 / 15 and 1e9 * 1024 / 88818, to within the relative error of the rounded
    // inverse weight (weight / 2^33, NiceWeights.h).
    double weak_expected = 1e9 * 1024 / 15;
    double strong_expected = 1e9 * 1024 / 88818;
    EXPECT_NEAR(static_cast<double>(weak.virtual_runtime() - weak_start), weak_expected,
        weak_expected * 15 / 8589934592.0 + 1);
    EXPECT_NEAR(static_cast<double>(strong.virtual_runtime() - strong_start), strong_expected,
        strong_expected * 88818 / 8589934592.0 + 1);
}

TEST(FairQueue, EqualWeightsGetEqualTime)
{
    Simulation simulation;
    for (int index = 0; index < 5; ++index)
        simulation.add();
    // A quantum that does not divide the request, so requests end mid-quantum.
    constexpr std::uint64_t quantum_ns = 700'000;
    simulation.run(10 * second_ns, quantum_ns);

    double expected = static_cast<double>(simulation.now_ns) / 5;
    for (const FairEntity& entity : simulation.entities) {
        // EEVDF keeps every lag within about one request plus the quantum it overran by.
        EXPECT_NEAR(static_cast<double>(entity.total_runtime_ns()), expected,
            Scheduling::default_request_slice_ns + quantum_ns);
        EXPECT_LE(std::abs(real_lag_ns(entity, simulation.queue.virtual_lag(entity))),
            Scheduling::default_request_slice_ns + quantum_ns);
    }
}

TEST(FairQueue, EqualWeightsTakeTurnsFromTheStart)
{
    Simulation simulation;
    for (int index = 0; index < 4; ++index)
        simulation.add();
    // Each request is served whole before anyone gets a second one: over every stretch of
    // 4 requests' time, everyone ran exactly one request.
    for (int round = 0; round < 50; ++round) {
        simulation.run(4 * Scheduling::default_request_slice_ns, Scheduling::default_request_slice_ns);
        for (const FairEntity& entity : simulation.entities)
            EXPECT_EQ(entity.total_runtime_ns(), (round + 1) * Scheduling::default_request_slice_ns);
    }
}

TEST(FairQueue, NiceZeroAndNiceFiveShareInProportionToWeight)
{
    Simulation simulation;
    FairEntity& normal = simulation.add(0);
    FairEntity& niced = simulation.add(5);
    simulation.run(20 * second_ns, 500'000);

    double total_weight = Scheduling::weight_for_nice(0) + Scheduling::weight_for_nice(5);
    double normal_share = static_cast<double>(normal.total_runtime_ns()) / simulation.now_ns;
    EXPECT_NEAR(normal_share, Scheduling::weight_for_nice(0) / total_weight, 0.001);
    double ratio = static_cast<double>(normal.total_runtime_ns()) / niced.total_runtime_ns();
    EXPECT_NEAR(ratio, 1024.0 / 336.0, 0.01);
}

TEST(FairQueue, ManyNiceLevelsShareInProportionToWeight)
{
    Simulation simulation;
    std::vector<int> nice_levels { -20, -5, 0, 0, 3, 10, 19 };
    double total_weight = 0;
    for (int nice : nice_levels) {
        simulation.add(nice);
        total_weight += Scheduling::weight_for_nice(nice);
    }
    simulation.run(60 * second_ns, 1'000'000);

    for (const FairEntity& entity : simulation.entities) {
        double expected = simulation.now_ns * (entity.weight() / total_weight);
        EXPECT_NEAR(static_cast<double>(entity.total_runtime_ns()), expected,
            2 * Scheduling::default_request_slice_ns + 1'000'000)
            << "nice " << entity.nice();
    }
}

TEST(FairQueue, ShorterRequestGoesFirstAmongEligible)
{
    FairQueue queue;
    FairEntity long_request(0, 10 * millisecond_ns);
    FairEntity short_request(0, millisecond_ns);
    queue.enqueue(long_request, 0);
    queue.enqueue(short_request, 0);
    // Both are eligible (lag 0); the earlier deadline wins even though it was queued last.
    EXPECT_EQ(queue.pick_next(), &short_request);
}

TEST(FairQueue, EntityThatRanAheadIsNotPickedWhileOthersAreEligible)
{
    FairQueue queue;
    // A short request gives `ahead` the earliest deadline even after it ran, so only
    // eligibility can keep it from being picked.
    FairEntity ahead(0, 100'000);
    FairEntity first_waiting;
    FairEntity second_waiting;
    queue.enqueue(ahead, 0);
    queue.enqueue(first_waiting, 0);
    queue.enqueue(second_waiting, 0);

    queue.charge(ahead, 2 * millisecond_ns);
    EXPECT_LT(ahead.virtual_deadline(), first_waiting.virtual_deadline());
    EXPECT_FALSE(queue.is_eligible(ahead));
    EXPECT_LT(queue.virtual_lag(ahead), 0);
    EXPECT_TRUE(queue.is_eligible(first_waiting));

    // V = (2 ms + what the others ran) / 3 reaches ahead's 2 ms once the others have run
    // 4 ms between them: eight quanta of 0.5 ms, during which ahead must not be picked
    // although its deadline (2.1 ms) is the earliest on the queue.
    int quanta_before_ahead = 0;
    for (;;) {
        FairEntity* picked = queue.pick_next();
        ASSERT_NE(picked, nullptr);
        if (picked == &ahead)
            break;
        EXPECT_LT(ahead.virtual_deadline(), picked->virtual_deadline());
        queue.charge(*picked, 500'000);
        ++quanta_before_ahead;
        ASSERT_LT(quanta_before_ahead, 100);
    }
    EXPECT_EQ(quanta_before_ahead, 8);
    EXPECT_TRUE(queue.is_eligible(ahead));
}

TEST(FairQueue, LongSleeperCannotMonopolize)
{
    Simulation simulation;
    FairEntity& sleeper = simulation.add();
    simulation.add();
    simulation.add();

    simulation.queue.dequeue(sleeper, simulation.now_ns);
    simulation.run(10 * second_ns, millisecond_ns);
    // Under a scheme that kept virtual runtime across sleep, the sleeper would now be 5 s
    // behind the others and run alone for 7.5 s.
    simulation.queue.enqueue(sleeper, simulation.now_ns);
    EXPECT_LE(std::abs(simulation.queue.virtual_lag(sleeper)), sleeper.virtual_lag_limit());

    std::uint64_t sleeper_before = sleeper.total_runtime_ns();
    constexpr std::uint64_t window_ns = 300 * millisecond_ns;
    simulation.run(window_ns, millisecond_ns);
    double sleeper_ran = static_cast<double>(sleeper.total_runtime_ns() - sleeper_before);
    // A third of the window, give or take its lag bound and a request.
    double allowance
        = static_cast<double>(Scheduling::lag_limit_requests * Scheduling::default_request_slice_ns
            + Scheduling::default_request_slice_ns);
    EXPECT_LE(sleeper_ran, window_ns / 3.0 + allowance);
    EXPECT_GE(sleeper_ran, window_ns / 3.0 - allowance);
}

TEST(FairQueue, CreditIsClampedOnReentry)
{
    FairQueue queue;
    FairEntity starved;
    FairEntity hog;
    queue.enqueue(starved, 0);
    queue.enqueue(hog, 0);
    // The queue is charged without picking, as if `hog` ran unopposed for a second (the
    // queue cannot prevent a caller from doing so): starved is owed half a second.
    queue.charge(hog, second_ns);
    EXPECT_NEAR(static_cast<double>(queue.virtual_lag(starved)), 0.5e9, 1.0);

    queue.dequeue(starved, second_ns);
    EXPECT_EQ(starved.saved_virtual_lag(), starved.virtual_lag_limit());
    EXPECT_EQ(starved.virtual_lag_limit(),
        static_cast<std::int64_t>(Scheduling::lag_limit_requests * Scheduling::default_request_slice_ns));

    // A short sleep keeps the (clamped) credit, and the placement restores it exactly even
    // though V moves as the entity joins.
    queue.enqueue(starved, second_ns + millisecond_ns);
    EXPECT_NEAR(static_cast<double>(queue.virtual_lag(starved)),
        static_cast<double>(starved.virtual_lag_limit()), 1.0);
    EXPECT_TRUE(queue.is_eligible(starved));
}

TEST(FairQueue, ClampUsesTheWeightAtReentry)
{
    FairQueue queue;
    FairEntity starved;
    FairEntity hog;
    queue.enqueue(starved, 0);
    queue.enqueue(hog, 0);
    queue.charge(hog, second_ns);
    queue.dequeue(starved, second_ns);
    // Real-time credit stays the same across the nice change, and the limit is the same in
    // real time too, so the credit is still exactly at the (new) limit.
    queue.set_nice(starved, 10);
    EXPECT_NEAR(real_lag_ns(starved, starved.saved_virtual_lag()),
        static_cast<double>(Scheduling::lag_limit_requests * Scheduling::default_request_slice_ns), 1.0);
    queue.enqueue(starved, second_ns);
    EXPECT_LE(queue.virtual_lag(starved), starved.virtual_lag_limit() + 1);
    EXPECT_GE(queue.virtual_lag(starved), starved.virtual_lag_limit() - 1);
}

TEST(FairQueue, ClampOnReentryUsesTheCurrentRequest)
{
    FairQueue queue;
    FairEntity starved;
    FairEntity hog;
    queue.enqueue(starved, 0);
    queue.enqueue(hog, 0);
    queue.charge(hog, second_ns);
    queue.dequeue(starved, second_ns);
    EXPECT_EQ(
        starved.saved_virtual_lag(), static_cast<std::int64_t>(2 * Scheduling::default_request_slice_ns));
    // The request shrank while the entity slept, and with it the credit it may bring back.
    starved.set_request_slice_ns(millisecond_ns);
    queue.enqueue(starved, second_ns);
    EXPECT_EQ(starved.virtual_lag_limit(), static_cast<std::int64_t>(2 * millisecond_ns));
    EXPECT_NEAR(static_cast<double>(queue.virtual_lag(starved)), 2e6, 1.0);
}

TEST(FairQueue, DebtIsKeptAcrossShortSleepAndForgottenAfterLongSleep)
{
    FairQueue queue;
    FairEntity runner;
    FairEntity other;
    queue.enqueue(runner, 0);
    queue.enqueue(other, 0);
    queue.charge(runner, 4 * millisecond_ns);
    // Owes 2 ms (half of the 4 ms it ran, the other half was its share).
    EXPECT_EQ(queue.virtual_lag(runner), -2 * static_cast<std::int64_t>(millisecond_ns));

    queue.dequeue(runner, 4 * millisecond_ns);
    EXPECT_EQ(runner.saved_virtual_lag(), -2 * static_cast<std::int64_t>(millisecond_ns));
    // Blocking briefly does not clear the debt.
    queue.enqueue(runner, 5 * millisecond_ns);
    EXPECT_NEAR(static_cast<double>(queue.virtual_lag(runner)), -2e6, 1.0);
    EXPECT_FALSE(queue.is_eligible(runner));
    EXPECT_EQ(queue.pick_next(), &other);

    // A long sleep does.
    queue.dequeue(runner, 6 * millisecond_ns);
    queue.enqueue(runner, 6 * millisecond_ns + Scheduling::lag_expiry_ns);
    EXPECT_EQ(queue.virtual_lag(runner), 0);
    EXPECT_TRUE(queue.is_eligible(runner));
}

TEST(FairQueue, MigratingEntityKeepsItsLagAndNewcomersStayEligible)
{
    FairQueue source;
    FairEntity migrating(-17);
    FairEntity hog(-17);
    source.enqueue(migrating, 0);
    source.enqueue(hog, 0);
    source.charge(hog, second_ns);
    source.dequeue(migrating, second_ns);
    EXPECT_EQ(migrating.saved_virtual_lag(), migrating.virtual_lag_limit());

    FairQueue destination(5'000'000'000);
    FairEntity resident(18);
    destination.enqueue(resident, 0);
    EXPECT_EQ(destination.pick_next(), &resident);
    // The heavy migrant joins with credit, far behind the light resident: V drops below
    // the resident's virtual runtime, where the queue measures from.
    destination.enqueue(migrating, second_ns);
    EXPECT_NEAR(static_cast<double>(destination.virtual_lag(migrating)),
        static_cast<double>(migrating.virtual_lag_limit()), 1.0);
    EXPECT_LT(
        static_cast<std::int64_t>(destination.average_virtual_runtime() - resident.virtual_runtime()), 0);

    // A newcomer without lag joins at V, rounded down, and so is eligible at once, whatever
    // the weights make of the division.
    std::deque<FairEntity> newcomers;
    for (int nice = Scheduling::minimum_nice; nice <= Scheduling::maximum_nice; ++nice) {
        FairEntity& newcomer = newcomers.emplace_back(nice);
        destination.enqueue(newcomer, second_ns);
        EXPECT_TRUE(destination.is_eligible(newcomer)) << "nice " << nice;
    }
}

TEST(FairQueue, DequeueFromTheMiddle)
{
    Simulation simulation;
    for (int index = 0; index < 5; ++index)
        simulation.add();
    simulation.run(100 * millisecond_ns, millisecond_ns);

    FairEntity& middle = simulation.entities[2];
    simulation.queue.dequeue(middle, simulation.now_ns);
    EXPECT_FALSE(middle.is_queued());
    EXPECT_EQ(simulation.queue.count(), 4u);
    EXPECT_EQ(simulation.queue.total_weight(), 4u * Scheduling::nice_0_weight);

    std::uint64_t middle_ran = middle.total_runtime_ns();
    std::vector<std::uint64_t> before;
    for (const FairEntity& entity : simulation.entities)
        before.push_back(entity.total_runtime_ns());
    simulation.run(4 * second_ns, millisecond_ns);
    EXPECT_EQ(middle.total_runtime_ns(), middle_ran) << "a dequeued entity is never picked";
    for (std::size_t index = 0; index < simulation.entities.size(); ++index) {
        if (index == 2)
            continue;
        EXPECT_NEAR(static_cast<double>(simulation.entities[index].total_runtime_ns() - before[index]), 1e9,
            Scheduling::default_request_slice_ns + millisecond_ns);
    }

    // The ends of the list too, and then back in: the list stays whole.
    simulation.queue.dequeue(simulation.entities[0], simulation.now_ns);
    simulation.queue.dequeue(simulation.entities[4], simulation.now_ns);
    EXPECT_EQ(simulation.queue.count(), 2u);
    simulation.run(10 * millisecond_ns, millisecond_ns);
    simulation.queue.enqueue(middle, simulation.now_ns);
    simulation.queue.enqueue(simulation.entities[0], simulation.now_ns);
    simulation.queue.enqueue(simulation.entities[4], simulation.now_ns);
    EXPECT_EQ(simulation.queue.count(), 5u);
    for (const FairEntity& entity : simulation.entities)
        before[&entity - &simulation.entities[0]] = entity.total_runtime_ns();
    simulation.run(5 * second_ns, millisecond_ns);
    for (std::size_t index = 0; index < simulation.entities.size(); ++index)
        EXPECT_NEAR(static_cast<double>(simulation.entities[index].total_runtime_ns() - before[index]), 1e9,
            2 * Scheduling::lag_limit_requests * Scheduling::default_request_slice_ns);
}

TEST(FairQueue, LastEntityLeavingKeepsVirtualTime)
{
    Simulation simulation;
    FairEntity& first = simulation.add();
    simulation.run(50 * millisecond_ns, millisecond_ns);
    std::uint64_t virtual_time = simulation.queue.average_virtual_runtime();
    simulation.queue.dequeue(first, simulation.now_ns);
    EXPECT_EQ(simulation.queue.average_virtual_runtime(), virtual_time);
    FairEntity& second = simulation.add();
    EXPECT_EQ(second.virtual_runtime(), virtual_time);
}

TEST(FairQueue, NiceChangeKeepsLagAndVirtualTime)
{
    Simulation simulation;
    FairEntity& changing = simulation.add();
    simulation.add();
    simulation.add(3);
    // Stop at an odd point so that lags are not zero.
    simulation.run(1 * second_ns + 1'700'000, 900'000);

    FairQueue& queue = simulation.queue;
    std::uint64_t virtual_time = queue.average_virtual_runtime();
    double lag_before = real_lag_ns(changing, queue.virtual_lag(changing));
    queue.set_nice(changing, 5);
    EXPECT_EQ(changing.nice(), 5);
    EXPECT_EQ(changing.weight(), Scheduling::weight_for_nice(5));
    EXPECT_EQ(queue.total_weight(),
        2u * 1024u + Scheduling::weight_for_nice(3) - 1024u + Scheduling::weight_for_nice(5));
    EXPECT_LE(std::abs(static_cast<std::int64_t>(queue.average_virtual_runtime() - virtual_time)), 1);
    EXPECT_NEAR(real_lag_ns(changing, queue.virtual_lag(changing)), lag_before, 1.0);

    // From here on, shares follow the new weights.
    std::vector<std::uint64_t> before;
    for (const FairEntity& entity : simulation.entities)
        before.push_back(entity.total_runtime_ns());
    simulation.run(30 * second_ns, 900'000);
    double total_weight = static_cast<double>(queue.total_weight());
    for (std::size_t index = 0; index < simulation.entities.size(); ++index) {
        const FairEntity& entity = simulation.entities[index];
        EXPECT_NEAR(static_cast<double>(entity.total_runtime_ns() - before[index]),
            30e9 * entity.weight() / total_weight, 2 * Scheduling::default_request_slice_ns + 900'000)
            << "nice " << entity.nice();
    }
}

TEST(FairQueue, NiceChangeWhileAsleepKeepsRealLag)
{
    FairQueue queue;
    FairEntity sleeper;
    FairEntity other;
    queue.enqueue(sleeper, 0);
    queue.enqueue(other, 0);
    queue.charge(other, 2 * millisecond_ns);
    queue.dequeue(sleeper, 2 * millisecond_ns);
    EXPECT_EQ(sleeper.saved_virtual_lag(), static_cast<std::int64_t>(millisecond_ns));

    queue.set_nice(sleeper, -5);
    EXPECT_FALSE(sleeper.is_queued());
    EXPECT_NEAR(real_lag_ns(sleeper, sleeper.saved_virtual_lag()), 1e6, 1.0);
    EXPECT_EQ(queue.total_weight(), 1024u);
}

TEST(FairQueue, NoOverflowOverAVeryLongRunAcrossTheWrap)
{
    // Start 1 s of virtual time before 2^64, so that virtual times wrap early in the run.
    Simulation simulation(std::numeric_limits<std::uint64_t>::max() - second_ns);
    std::vector<int> nice_levels { -20, 0, 19 };
    double total_weight = 0;
    for (int nice : nice_levels) {
        simulation.add(nice, Scheduling::maximum_request_slice_ns);
        total_weight += Scheduling::weight_for_nice(nice);
    }
    // 10^12 ns in quanta of 1 ms; nice 19's virtual time advances 68 times as fast.
    constexpr std::uint64_t quantum_ns = millisecond_ns;
    constexpr std::uint64_t duration_ns = 1'000'000'000'000;
    std::uint64_t previous_virtual_time = simulation.queue.average_virtual_runtime();
    std::int64_t virtual_time_steps_backwards = 0;
    for (int chunk = 0; chunk < 1000; ++chunk) {
        simulation.run(duration_ns / 1000, quantum_ns);
        std::uint64_t virtual_time = simulation.queue.average_virtual_runtime();
        if (static_cast<std::int64_t>(virtual_time - previous_virtual_time) < 0)
            ++virtual_time_steps_backwards;
        previous_virtual_time = virtual_time;
    }
    EXPECT_EQ(virtual_time_steps_backwards, 0);
    EXPECT_EQ(simulation.now_ns, duration_ns);
    for (const FairEntity& entity : simulation.entities) {
        double expected = duration_ns * (entity.weight() / total_weight);
        EXPECT_NEAR(static_cast<double>(entity.total_runtime_ns()), expected,
            2 * Scheduling::maximum_request_slice_ns + quantum_ns)
            << "nice " << entity.nice();
        EXPECT_LE(std::abs(real_lag_ns(entity, simulation.queue.virtual_lag(entity))),
            2.0 * Scheduling::maximum_request_slice_ns + quantum_ns);
    }
}

TEST(FairQueue, HugeSingleChargesDoNotOverflow)
{
    FairQueue queue(std::numeric_limits<std::uint64_t>::max() - 5);
    FairEntity weak(19);
    FairEntity strong(-20);
    queue.enqueue(weak, 0);
    queue.enqueue(strong, 0);
    // 10^12 ns at nice 19 is 6.8e13 ns of virtual time, weighted by 88818 on the other side.
    queue.charge(weak, 1'000'000'000'000);
    EXPECT_TRUE(queue.is_eligible(strong));
    EXPECT_FALSE(queue.is_eligible(weak));
    EXPECT_EQ(queue.pick_next(), &strong);
    queue.charge(strong, 1'000'000'000'000);
    double expected_weak_lag
        = -(1e12 * 1024 / 15) * 88818 / (88818 + 15) + (1e12 * 1024 / 88818) * 88818 / (88818 + 15);
    EXPECT_NEAR(
        static_cast<double>(queue.virtual_lag(weak)), expected_weak_lag, std::abs(expected_weak_lag) * 1e-5);
    queue.dequeue(weak, 0);
    EXPECT_EQ(weak.saved_virtual_lag(), -weak.virtual_lag_limit());
}

// A brute-force model of EEVDF for the randomized test: V from doubles over all entities,
// the pick by scanning for eligible entities with the earliest deadline.
TEST(FairQueue, RandomOperationsMatchModel)
{
    std::mt19937_64 random(20240531);
    FairQueue queue(std::uint64_t(1) << 63);
    std::deque<FairEntity> entities;
    for (int index = 0; index < 12; ++index)
        entities.emplace_back(static_cast<int>(random() % 40) - 20,
            Scheduling::minimum_request_slice_ns + random() % (20 * millisecond_ns));
    std::uint64_t now_ns = 0;
    const std::uint64_t base = queue.average_virtual_runtime();

    for (int step = 0; step < 200'000; ++step) {
        FairEntity& entity = entities[random() % entities.size()];
        switch (random() % 8) {
        case 0:
            if (entity.is_queued()) {
                queue.dequeue(entity, now_ns);
            } else {
                bool owed_service = entity.saved_virtual_lag() >= 0;
                queue.enqueue(entity, now_ns);
                // Placed at or behind V (which is rounded down to make sure of it).
                if (owed_service)
                    ASSERT_TRUE(queue.is_eligible(entity));
            }
            break;
        case 1:
            queue.set_nice(entity, static_cast<int>(random() % 40) - 20);
            break;
        default: {
            FairEntity* picked = queue.pick_next();
            if (picked == nullptr) {
                ASSERT_EQ(queue.count(), 0u);
                break;
            }
            // The model: V as the exact weighted mean, the earliest deadline among v <= V.
            long double weighted_sum = 0;
            long double weight_sum = 0;
            for (const FairEntity& candidate : entities) {
                if (!candidate.is_queued())
                    continue;
                weighted_sum
                    += static_cast<long double>(static_cast<std::int64_t>(candidate.virtual_runtime() - base))
                    * candidate.weight();
                weight_sum += candidate.weight();
            }
            ASSERT_EQ(weight_sum, static_cast<long double>(queue.total_weight()));
            long double average = weighted_sum / weight_sum;
            long double model_average
                = static_cast<long double>(static_cast<std::int64_t>(queue.average_virtual_runtime() - base));
            ASSERT_NEAR(static_cast<double>(model_average), static_cast<double>(average), 1.0);

            const FairEntity* model_pick = nullptr;
            for (const FairEntity& candidate : entities) {
                if (!candidate.is_queued())
                    continue;
                long double key = static_cast<std::int64_t>(candidate.virtual_runtime() - base);
                // Skip candidates too close to V for long double to decide.
                if (std::abs(static_cast<double>(key - average)) < 1e-3)
                    continue;
                ASSERT_EQ(queue.is_eligible(candidate), key <= average);
                if (key > average)
                    continue;
                if (model_pick == nullptr
                    || static_cast<std::int64_t>(
                           candidate.virtual_deadline() - model_pick->virtual_deadline())
                        < 0)
                    model_pick = &candidate;
            }
            ASSERT_TRUE(queue.is_eligible(*picked));
            if (model_pick != nullptr)
                ASSERT_EQ(
                    static_cast<std::int64_t>(picked->virtual_deadline() - model_pick->virtual_deadline())
                        <= 0,
                    true);
            std::uint64_t ran_ns = 1 + random() % (5 * millisecond_ns);
            queue.charge(*picked, ran_ns);
            now_ns += ran_ns;
            break;
        }
        }
    }
}

TEST(FairQueue, YieldLetsAnotherEligibleEntityGoFirstWithoutCostingShare)
{
    Simulation simulation;
    // Both eligible; the shorter request has the earlier deadline and is picked, and keeps
    // being picked until it yields.
    FairEntity& short_request = simulation.add(0, 3 * millisecond_ns);
    FairEntity& long_request = simulation.add(0, 4 * millisecond_ns);
    EXPECT_EQ(simulation.queue.pick_next(), &short_request);
    EXPECT_EQ(simulation.queue.pick_next(), &short_request);
    const std::uint64_t runtime_before = short_request.virtual_runtime();
    const std::int64_t lag_before = simulation.queue.virtual_lag(short_request);
    simulation.queue.yield(short_request);
    EXPECT_EQ(simulation.queue.pick_next(), &long_request);
    EXPECT_EQ(short_request.virtual_runtime(), runtime_before);
    EXPECT_EQ(simulation.queue.virtual_lag(short_request), lag_before);
    // Over a long run, yielding now and then costs no share: both still get half.
    simulation.run(second_ns, millisecond_ns);
    EXPECT_NEAR(static_cast<double>(short_request.total_runtime_ns()), 0.5 * second_ns, 6.0 * millisecond_ns);
}

TEST(FairQueue, FindFirstReturnsTheFirstMatchInQueueOrder)
{
    Simulation simulation;
    FairEntity& first = simulation.add(0);
    FairEntity& second = simulation.add(5);
    FairEntity& third = simulation.add(5);
    EXPECT_EQ(simulation.queue.find_first([](FairEntity& entity) { return entity.nice() == 5; }), &second);
    EXPECT_EQ(simulation.queue.find_first(
                  [&](FairEntity& entity) { return &entity != &first && &entity != &second; }),
        &third);
    EXPECT_EQ(simulation.queue.find_first([](FairEntity& entity) { return entity.nice() == 19; }), nullptr);
}
