// Host tests for Kernel/Scheduling/DeadlineAdmission: fixed-point bandwidths rounded up,
// exact boundary cases at the cap (including the documented rejection of three 1/3 shares on
// a 100% cap), releasing capacity, validation, and placement on the least-loaded CPU.

#include <Kernel/Scheduling/DeadlineAdmission.h>
#include <Kernel/Scheduling/DeadlineServer.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <vector>

using Core::ErrorCode;
using Kernel::Scheduling::bandwidth_for;
using Kernel::Scheduling::bandwidth_from_percent;
using Kernel::Scheduling::bandwidth_unit;
using Kernel::Scheduling::choose_cpu_for_deadline_server;
using Kernel::Scheduling::DeadlineAdmission;
using Kernel::Scheduling::default_deadline_bandwidth_cap;
using Kernel::Scheduling::maximum_deadline_period_ns;

namespace {

DeadlineAdmission make_admission(std::uint64_t cap_parts)
{
    auto admission = DeadlineAdmission::create(cap_parts);
    EXPECT_FALSE(admission.is_error());
    return admission.release_value();
}

std::uint64_t bandwidth(std::uint64_t runtime_ns, std::uint64_t period_ns)
{
    auto result = bandwidth_for(runtime_ns, period_ns);
    EXPECT_FALSE(result.is_error());
    return result.is_error() ? 0 : result.value();
}

ErrorCode admit_error(DeadlineAdmission& admission, std::uint64_t runtime_ns, std::uint64_t period_ns)
{
    auto result = admission.admit(runtime_ns, period_ns);
    return result.is_error() ? result.error().code() : ErrorCode::Count;
}

bool admitted(DeadlineAdmission& admission, std::uint64_t runtime_ns, std::uint64_t period_ns)
{
    return !admission.admit(runtime_ns, period_ns).is_error();
}

} // namespace

TEST(DeadlineAdmission, BandwidthsRoundUp)
{
    EXPECT_EQ(bandwidth_unit, 1u << 20);
    EXPECT_EQ(bandwidth(1, 4), bandwidth_unit / 4) << "exact fractions stay exact";
    EXPECT_EQ(bandwidth(1, 3), 349'526u) << "2^20 / 3 = 349525.33 rounds up";
    EXPECT_EQ(bandwidth(2, 3), 699'051u) << "2^21 / 3 = 699050.67 rounds up";
    EXPECT_EQ(bandwidth(100, 100), bandwidth_unit);
    EXPECT_EQ(bandwidth(1, maximum_deadline_period_ns), 1u) << "a tiny share is never free";
    EXPECT_EQ(bandwidth(maximum_deadline_period_ns, maximum_deadline_period_ns), bandwidth_unit);

    EXPECT_TRUE(bandwidth_for(0, 10).is_error());
    EXPECT_TRUE(bandwidth_for(11, 10).is_error());
    EXPECT_TRUE(bandwidth_for(1, maximum_deadline_period_ns + 1).is_error());
}

TEST(DeadlineAdmission, CapFromPercentRoundsDown)
{
    // 0.95 * 2^20 = 996147.2.
    EXPECT_EQ(default_deadline_bandwidth_cap, 996'147u);
    EXPECT_EQ(bandwidth_from_percent(100), bandwidth_unit);
    EXPECT_EQ(bandwidth_from_percent(0), 0u);
    EXPECT_EQ(bandwidth_from_percent(250), bandwidth_unit);

    DeadlineAdmission admission;
    EXPECT_EQ(admission.cap(), default_deadline_bandwidth_cap);
    EXPECT_EQ(admission.utilization(), 0u);
    EXPECT_EQ(admission.admitted_count(), 0u);
}

TEST(DeadlineAdmission, CreateRejectsCapsAboveOneCpu)
{
    auto too_large = DeadlineAdmission::create(bandwidth_unit + 1);
    ASSERT_TRUE(too_large.is_error());
    EXPECT_EQ(too_large.error().code(), ErrorCode::InvalidArgument);
    EXPECT_FALSE(DeadlineAdmission::create(bandwidth_unit).is_error());
    EXPECT_FALSE(DeadlineAdmission::create(0).is_error());
}

TEST(DeadlineAdmission, ThreeThirdsOnAFullCpuAreRejectedBecauseOfRoundingUp)
{
    auto admission = make_admission(bandwidth_unit);
    EXPECT_TRUE(admitted(admission, 1, 3));
    EXPECT_TRUE(admitted(admission, 1, 3));
    // 3 * 349526 = 2^20 + 2 parts: the conservative rounding refuses the exact fit.
    EXPECT_EQ(admit_error(admission, 1, 3), ErrorCode::Busy);
    EXPECT_EQ(admission.utilization(), 2 * 349'526u);
    EXPECT_EQ(admission.admitted_count(), 2u);
    // What remains is exactly 2^20 - 2 * 349526 = 349524 parts.
    EXPECT_TRUE(admitted(admission, 349'524, bandwidth_unit));
    EXPECT_EQ(admission.utilization(), bandwidth_unit);
}

TEST(DeadlineAdmission, ExactFractionsFillTheCapExactly)
{
    auto admission = make_admission(bandwidth_unit);
    for (int quarter = 0; quarter < 4; ++quarter)
        EXPECT_TRUE(admitted(admission, 250, 1000)) << "quarter " << quarter;
    EXPECT_EQ(admission.utilization(), bandwidth_unit);
    EXPECT_EQ(admit_error(admission, 1, maximum_deadline_period_ns), ErrorCode::Busy)
        << "not even the smallest share fits a full CPU";
    EXPECT_EQ(admission.admitted_count(), 4u);
}

TEST(DeadlineAdmission, DefaultCapBoundaries)
{
    DeadlineAdmission admission;
    // 95% rounds up to 996148 parts, one more than the rounded-down cap: rejected, so the
    // reservations can never add up to more than the configured 95%.
    EXPECT_EQ(admit_error(admission, 95, 100), ErrorCode::Busy);
    EXPECT_EQ(admission.utilization(), 0u) << "a rejected admission changes nothing";

    // Exactly the cap, expressed in parts, fits; one part more does not.
    EXPECT_EQ(admit_error(admission, default_deadline_bandwidth_cap + 1, bandwidth_unit), ErrorCode::Busy);
    EXPECT_TRUE(admitted(admission, default_deadline_bandwidth_cap, bandwidth_unit));
    EXPECT_EQ(admission.utilization(), admission.cap());
    EXPECT_EQ(admit_error(admission, 1, maximum_deadline_period_ns), ErrorCode::Busy);
}

TEST(DeadlineAdmission, ZeroCapAdmitsNothing)
{
    auto admission = make_admission(0);
    EXPECT_EQ(admit_error(admission, 1, maximum_deadline_period_ns), ErrorCode::Busy);
    EXPECT_FALSE(admission.fits(1, 1000));
}

TEST(DeadlineAdmission, InvalidParametersAreRejectedNotAdmitted)
{
    DeadlineAdmission admission;
    EXPECT_EQ(admit_error(admission, 0, 100), ErrorCode::InvalidArgument);
    EXPECT_EQ(admit_error(admission, 200, 100), ErrorCode::InvalidArgument);
    EXPECT_EQ(admit_error(admission, 1, 0), ErrorCode::InvalidArgument);
    EXPECT_FALSE(admission.fits(0, 100));
    EXPECT_EQ(admission.utilization(), 0u);
    EXPECT_EQ(admission.admitted_count(), 0u);
}

TEST(DeadlineAdmission, ReleaseReturnsCapacity)
{
    auto admission = make_admission(bandwidth_unit);
    ASSERT_TRUE(admitted(admission, 1, 3));
    ASSERT_TRUE(admitted(admission, 1, 3));
    ASSERT_TRUE(admitted(admission, 1, 4));
    EXPECT_FALSE(admission.fits(1, 3));

    admission.release(1, 4);
    EXPECT_EQ(admission.utilization(), 2 * 349'526u);
    EXPECT_TRUE(admission.fits(1, 4));
    EXPECT_TRUE(admitted(admission, 1, 4));

    admission.release(1, 3);
    admission.release(1, 3);
    admission.release(1, 4);
    EXPECT_EQ(admission.utilization(), 0u);
    EXPECT_EQ(admission.admitted_count(), 0u);
    for (int quarter = 0; quarter < 4; ++quarter)
        EXPECT_TRUE(admitted(admission, 1, 4));
}

TEST(DeadlineAdmission, ReleasingWhatWasNeverAdmittedIsABug)
{
    EXPECT_DEATH(
        {
            DeadlineAdmission admission;
            admission.release(1, 4);
        },
        "VERIFY");
    EXPECT_DEATH(
        {
            DeadlineAdmission admission;
            (void)admission.admit(1, 100);
            admission.release(50, 100);
        },
        "VERIFY");
    EXPECT_DEATH(
        {
            DeadlineAdmission admission;
            (void)admission.admit(1, 100);
            admission.release(0, 100);
        },
        "VERIFY");
}

TEST(DeadlineAdmission, PlacementPicksTheLeastLoadedCpuThatFits)
{
    std::vector<DeadlineAdmission> cpus(4);
    ASSERT_TRUE(admitted(cpus[0], 50, 100));
    ASSERT_TRUE(admitted(cpus[1], 20, 100));
    ASSERT_TRUE(admitted(cpus[2], 10, 100));
    ASSERT_TRUE(admitted(cpus[3], 30, 100));
    Core::Span<const DeadlineAdmission> view(cpus.data(), cpus.size());

    auto choice = choose_cpu_for_deadline_server(view, 10, 100);
    ASSERT_FALSE(choice.is_error());
    EXPECT_EQ(choice.value(), 2u);

    // Fill CPU 2 so it no longer has the least load.
    ASSERT_TRUE(admitted(cpus[2], 30, 100));
    auto next_choice = choose_cpu_for_deadline_server(view, 10, 100);
    ASSERT_FALSE(next_choice.is_error());
    EXPECT_EQ(next_choice.value(), 1u);
}

TEST(DeadlineAdmission, PlacementSkipsCpusWithoutRoomAndBreaksTiesByIndex)
{
    std::vector<DeadlineAdmission> cpus;
    cpus.push_back(make_admission(bandwidth_from_percent(10))); // least loaded, but too small a cap
    cpus.push_back(make_admission(bandwidth_unit));
    cpus.push_back(make_admission(bandwidth_unit));
    ASSERT_TRUE(admitted(cpus[1], 40, 100));
    ASSERT_TRUE(admitted(cpus[2], 40, 100));
    Core::Span<const DeadlineAdmission> view(cpus.data(), cpus.size());

    auto choice = choose_cpu_for_deadline_server(view, 50, 100);
    ASSERT_FALSE(choice.is_error());
    EXPECT_EQ(choice.value(), 1u) << "equal loads go to the lowest index";

    auto too_big = choose_cpu_for_deadline_server(view, 70, 100);
    ASSERT_TRUE(too_big.is_error());
    EXPECT_EQ(too_big.error().code(), ErrorCode::Busy);

    auto small = choose_cpu_for_deadline_server(view, 5, 100);
    ASSERT_FALSE(small.is_error());
    EXPECT_EQ(small.value(), 0u);

    auto invalid = choose_cpu_for_deadline_server(view, 0, 100);
    ASSERT_TRUE(invalid.is_error());
    EXPECT_EQ(invalid.error().code(), ErrorCode::InvalidArgument);

    auto no_cpus = choose_cpu_for_deadline_server({}, 5, 100);
    ASSERT_TRUE(no_cpus.is_error());
    EXPECT_EQ(no_cpus.error().code(), ErrorCode::Busy);
}
