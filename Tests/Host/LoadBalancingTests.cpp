// Host tests for Kernel/Scheduling/LoadBalancing: CpuMask set operations (also at compile
// time), the pull decision (the strict-improvement threshold, ties by weight then index,
// offline CPUs on either side), placement of a runnable thread (fewest runnable, the preferred
// CPU on ties, masks, offline CPUs), and a randomized run of repeated pulls that must end
// balanced.

#include <Kernel/Scheduling/LoadBalancing.h>
#include <algorithm>
#include <cstdint>
#include <gtest/gtest.h>
#include <random>
#include <vector>

using Kernel::Scheduling::choose_cpu_for_thread;
using Kernel::Scheduling::choose_cpu_to_pull_from;
using Kernel::Scheduling::CpuLoad;
using Kernel::Scheduling::CpuMask;
using Kernel::Scheduling::load_balance_interval_ns;

namespace {

constexpr std::uint64_t nice_0 = 1024;

CpuLoad online(std::uint32_t runnable_count, std::uint64_t total_weight = 0)
{
    return CpuLoad { runnable_count, total_weight == 0 ? runnable_count * nice_0 : total_weight, true };
}

CpuLoad offline(std::uint32_t runnable_count = 0)
{
    return CpuLoad { runnable_count, runnable_count * nice_0, false };
}

// -1 for "no CPU", so results compare with EXPECT_EQ and print readably.
long long pull_from(const std::vector<CpuLoad>& loads, std::uint32_t puller)
{
    auto cpu = choose_cpu_to_pull_from(Core::Span<const CpuLoad>(loads.data(), loads.size()), puller);
    return cpu.has_value() ? static_cast<long long>(cpu.value()) : -1;
}

long long place(const std::vector<CpuLoad>& loads, CpuMask allowed, Core::Optional<Core::u32> preferred = {})
{
    auto cpu
        = choose_cpu_for_thread(Core::Span<const CpuLoad>(loads.data(), loads.size()), allowed, preferred);
    return cpu.has_value() ? static_cast<long long>(cpu.value()) : -1;
}

} // namespace

static_assert(load_balance_interval_ns == 20'000'000);

// The mask is usable in constant expressions.
static_assert(CpuMask().is_empty());
static_assert(CpuMask::all().count() == 64);
static_assert(CpuMask::only(5).contains(5) && !CpuMask::only(5).contains(4));
static_assert(CpuMask::only(63).first() == 63);
static_assert(CpuMask::from_bits(0b1010).intersection(CpuMask::from_bits(0b0110)) == CpuMask::only(1));

TEST(CpuMask, EmptyAndAll)
{
    CpuMask empty;
    EXPECT_TRUE(empty.is_empty());
    EXPECT_EQ(empty.count(), 0u);
    EXPECT_EQ(empty.bits(), 0u);
    for (std::uint32_t cpu = 0; cpu < 70; ++cpu)
        EXPECT_FALSE(empty.contains(cpu));

    CpuMask all = CpuMask::all();
    EXPECT_FALSE(all.is_empty());
    EXPECT_EQ(all.count(), CpuMask::capacity);
    EXPECT_EQ(all.bits(), ~std::uint64_t(0));
    EXPECT_EQ(all.first(), 0u);
    for (std::uint32_t cpu = 0; cpu < 64; ++cpu)
        EXPECT_TRUE(all.contains(cpu));
    EXPECT_FALSE(all.contains(64)) << "no mask holds a CPU beyond its capacity";
    EXPECT_FALSE(all.contains(0xffffffffu));
}

TEST(CpuMask, AddRemoveAndFirst)
{
    CpuMask mask = CpuMask::only(63);
    EXPECT_EQ(mask.bits(), std::uint64_t(1) << 63);
    EXPECT_EQ(mask.first(), 63u);
    mask.add(0);
    mask.add(31);
    mask.add(32);
    mask.add(31);
    EXPECT_EQ(mask.count(), 4u) << "adding twice adds once";
    EXPECT_EQ(mask.first(), 0u);
    mask.remove(0);
    EXPECT_EQ(mask.first(), 31u);
    mask.remove(0);
    EXPECT_EQ(mask.count(), 3u) << "removing an absent CPU changes nothing";
    mask.remove(31);
    mask.remove(32);
    EXPECT_EQ(mask, CpuMask::only(63));
    mask.remove(63);
    EXPECT_TRUE(mask.is_empty());
}

TEST(CpuMask, BitsAndIntersection)
{
    CpuMask mask = CpuMask::from_bits(0x8000'0000'0000'0105ull);
    EXPECT_EQ(mask.bits(), 0x8000'0000'0000'0105ull);
    EXPECT_EQ(mask.count(), 4u);
    EXPECT_TRUE(mask.contains(0));
    EXPECT_TRUE(mask.contains(2));
    EXPECT_TRUE(mask.contains(8));
    EXPECT_TRUE(mask.contains(63));
    EXPECT_FALSE(mask.contains(1));

    CpuMask other = CpuMask::from_bits(0x0000'0000'0000'0f0full);
    EXPECT_EQ(mask.intersection(other).bits(), 0x105ull);
    EXPECT_EQ(other.intersection(mask), mask.intersection(other));
    EXPECT_TRUE(mask.intersection(CpuMask()).is_empty());
    EXPECT_EQ(mask.intersection(CpuMask::all()), mask);
}

TEST(CpuMask, OutOfRangeCpusAreBugs)
{
    EXPECT_DEATH((void)CpuMask::only(64), "VERIFY");
    EXPECT_DEATH(
        {
            CpuMask mask;
            mask.add(100);
        },
        "VERIFY");
    EXPECT_DEATH(
        {
            CpuMask mask = CpuMask::all();
            mask.remove(64);
        },
        "VERIFY");
    EXPECT_DEATH((void)CpuMask().first(), "VERIFY");
}

TEST(LoadBalancing, PullsFromTheBusiestWhenThatImprovesBalance)
{
    EXPECT_EQ(pull_from({ online(0), online(3), online(5), online(2) }, 0), 2);
    EXPECT_EQ(pull_from({ online(0), online(3), online(5), online(2) }, 3), 2);
    EXPECT_EQ(pull_from({ online(1), online(3), online(5), online(2) }, 1), 2);
}

TEST(LoadBalancing, ThresholdIsTwoMoreThanThePuller)
{
    // Puller idle: a CPU running one thread has nothing waiting to give.
    EXPECT_EQ(pull_from({ online(0), online(1) }, 0), -1);
    EXPECT_EQ(pull_from({ online(0), online(2) }, 0), 1);
    // Puller busy: one more than the puller would only swap which CPU is the busier.
    EXPECT_EQ(pull_from({ online(3), online(4) }, 0), -1);
    EXPECT_EQ(pull_from({ online(3), online(5) }, 0), 1);
    // Balanced, or the puller is itself the busiest.
    EXPECT_EQ(pull_from({ online(2), online(2), online(2) }, 1), -1);
    EXPECT_EQ(pull_from({ online(9), online(2), online(1) }, 0), -1);
    // Huge counts do not wrap.
    EXPECT_EQ(pull_from({ online(0xffffffffu), online(0xfffffffeu) }, 1), -1);
    EXPECT_EQ(pull_from({ online(0xfffffffdu), online(0xffffffffu) }, 0), 1);
    EXPECT_EQ(pull_from({ online(0xffffffffu), online(0) }, 0), -1);
}

TEST(LoadBalancing, PullTiesGoToMoreWeightThenTheLowestIndex)
{
    // Equal counts: the heavier CPU is busier.
    EXPECT_EQ(pull_from({ online(0), online(4, 4 * nice_0), online(4, 4 * nice_0 + 1) }, 0), 2);
    EXPECT_EQ(pull_from({ online(0), online(4, 9000), online(4, 3000) }, 0), 1);
    // Equal counts and weights: the lowest index.
    EXPECT_EQ(pull_from({ online(4), online(0), online(4), online(4) }, 1), 0);
    EXPECT_EQ(pull_from({ online(0), online(1), online(4), online(4) }, 0), 2);
    // Weight never outranks count: a lighter CPU with more threads is busier.
    EXPECT_EQ(pull_from({ online(0), online(3, 100000), online(4, 400) }, 0), 2);
}

TEST(LoadBalancing, OfflineCpusNeitherGiveNorTake)
{
    // The busiest CPU is offline: the next busiest online one is chosen.
    EXPECT_EQ(pull_from({ online(0), offline(9), online(3) }, 0), 2);
    EXPECT_EQ(pull_from({ online(0), offline(9), online(1) }, 0), -1);
    // An offline puller takes nothing.
    EXPECT_EQ(pull_from({ offline(0), online(8) }, 0), -1);
    // Nobody else online, or nobody else at all.
    EXPECT_EQ(pull_from({ online(0), offline(5), offline(5) }, 0), -1);
    EXPECT_EQ(pull_from({ online(0) }, 0), -1);
}

TEST(LoadBalancing, PullerMustBeInTheSnapshot)
{
    std::vector<CpuLoad> loads { online(0), online(5) };
    EXPECT_DEATH((void)pull_from(loads, 2), "VERIFY");
}

TEST(LoadBalancing, PlacesOnTheCpuWithFewestRunnable)
{
    std::vector<CpuLoad> loads { online(3), online(1), online(2), online(1) };
    EXPECT_EQ(place(loads, CpuMask::all()), 1) << "ties without a preference: lowest index";
    // Fewest runnable, whatever the weights.
    EXPECT_EQ(place({ online(2, 100), online(1, 88000) }, CpuMask::all()), 1);
}

TEST(LoadBalancing, PreferredCpuWinsTiesOnly)
{
    std::vector<CpuLoad> loads { online(3), online(1), online(2), online(1) };
    EXPECT_EQ(place(loads, CpuMask::all(), 3u), 3) << "tied for fewest: the preferred CPU";
    EXPECT_EQ(place(loads, CpuMask::all(), 1u), 1);
    EXPECT_EQ(place(loads, CpuMask::all(), 2u), 1) << "not tied: the least loaded";
    EXPECT_EQ(place(loads, CpuMask::all(), 0u), 1);
}

TEST(LoadBalancing, PreferredCpuThatMayNotBeUsedIsIgnored)
{
    std::vector<CpuLoad> loads { online(3), online(1), offline(1), online(1) };
    // Offline, though it reports as few runnable as the least loaded.
    EXPECT_EQ(place(loads, CpuMask::all(), 2u), 1);
    // Not allowed.
    CpuMask without_three = CpuMask::all();
    without_three.remove(3);
    EXPECT_EQ(place(loads, without_three, 3u), 1);
    // Out of range of the snapshot or of any mask.
    EXPECT_EQ(place(loads, CpuMask::all(), 4u), 1);
    EXPECT_EQ(place(loads, CpuMask::all(), 64u), 1);
    EXPECT_EQ(place(loads, CpuMask::all(), 0xffffffffu), 1);
}

TEST(LoadBalancing, PlacementRespectsTheMask)
{
    std::vector<CpuLoad> loads { online(0), online(4), online(2), online(6) };
    EXPECT_EQ(place(loads, CpuMask::only(3)), 3) << "the only allowed CPU, however busy";
    EXPECT_EQ(place(loads, CpuMask::from_bits(0b1010)), 1);
    EXPECT_EQ(place(loads, CpuMask::from_bits(0b1110), 3u), 2);
    // A mask naming CPUs beyond the snapshot: only those in it count.
    EXPECT_EQ(place(loads, CpuMask::from_bits(0xff00ull | 0b1000)), 3);
    EXPECT_EQ(place(loads, CpuMask::from_bits(0xff00ull)), -1);
}

TEST(LoadBalancing, NoAllowedOnlineCpu)
{
    std::vector<CpuLoad> loads { offline(), online(2), offline(), online(1) };
    EXPECT_EQ(place(loads, CpuMask::from_bits(0b0101)), -1);
    EXPECT_EQ(place(loads, CpuMask::from_bits(0b0101), 0u), -1);
    EXPECT_EQ(place(loads, CpuMask()), -1);
    EXPECT_EQ(place({}, CpuMask::all()), -1);
    EXPECT_EQ(place(loads, CpuMask::all()), 3) << "offline CPUs are skipped, even with no threads";
}

TEST(LoadBalancing, CpusBeyondTheMaskCapacityAreNeverChosen)
{
    std::vector<CpuLoad> loads(70, online(5));
    loads[66] = online(0);
    loads[40] = online(3);
    EXPECT_EQ(place(loads, CpuMask::all()), 40);
    EXPECT_EQ(place(loads, CpuMask::all(), 66u), 40);
}

// Every online CPU pulls whenever the decision says so, one thread at a time, the way idle and
// periodic balancing would. Whatever the start, it must stop, and stop balanced: the online
// CPUs' counts differ by at most one, and no thread was lost or made up.
TEST(LoadBalancing, RepeatedPullsEndBalanced)
{
    std::mt19937 generator(77);
    std::uniform_int_distribution<int> pick_count(0, 40);
    std::uniform_int_distribution<int> pick_cpu_count(1, 16);
    std::bernoulli_distribution is_online(0.8);

    for (int round = 0; round < 200; ++round) {
        std::vector<CpuLoad> loads(static_cast<std::size_t>(pick_cpu_count(generator)));
        std::uint64_t total_runnable = 0;
        for (auto& load : loads) {
            load = is_online(generator) ? online(static_cast<std::uint32_t>(pick_count(generator)))
                                        : offline(static_cast<std::uint32_t>(pick_count(generator)));
            total_runnable += load.runnable_count;
        }

        int moves = 0;
        bool moved = true;
        while (moved) {
            moved = false;
            for (std::uint32_t puller = 0; puller < loads.size(); ++puller) {
                long long source = pull_from(loads, puller);
                if (source < 0)
                    continue;
                CpuLoad& giver = loads[static_cast<std::size_t>(source)];
                ASSERT_TRUE(giver.online);
                ASSERT_NE(static_cast<std::uint32_t>(source), puller);
                ASSERT_GE(giver.runnable_count, loads[puller].runnable_count + 2);
                --giver.runnable_count;
                giver.total_weight -= nice_0;
                ++loads[puller].runnable_count;
                loads[puller].total_weight += nice_0;
                moved = true;
                ASSERT_LT(++moves, 10000) << "balancing must converge";
            }
        }

        std::uint64_t after_runnable = 0;
        std::uint32_t lowest = 0xffffffffu;
        std::uint32_t highest = 0;
        for (auto& load : loads) {
            after_runnable += load.runnable_count;
            if (!load.online)
                continue;
            lowest = std::min(lowest, load.runnable_count);
            highest = std::max(highest, load.runnable_count);
        }
        EXPECT_EQ(after_runnable, total_runnable) << "round " << round;
        if (highest >= lowest)
            EXPECT_LE(highest - lowest, 1u) << "round " << round;
    }
}
