// Host tests for Core/SampleSummary.h.

#include <Core/SampleSummary.h>
#include <algorithm>
#include <cstdint>
#include <gtest/gtest.h>
#include <limits>
#include <random>
#include <vector>

namespace {

Core::SampleSummary summarize(std::vector<std::uint64_t>& samples)
{
    return Core::summarize_samples(Core::Span<Core::u64>(samples.data(), samples.size()));
}

} // namespace

TEST(SampleSummary, EmptySetIsAllZero)
{
    std::vector<std::uint64_t> samples;
    auto summary = summarize(samples);
    EXPECT_EQ(summary.count, 0u);
    EXPECT_EQ(summary.maximum, 0u);
    EXPECT_EQ(summary.mean, 0u);
}

TEST(SampleSummary, OneSampleIsEveryStatistic)
{
    std::vector<std::uint64_t> samples { 42 };
    auto summary = summarize(samples);
    EXPECT_EQ(summary.minimum, 42u);
    EXPECT_EQ(summary.median, 42u);
    EXPECT_EQ(summary.percentile_99, 42u);
    EXPECT_EQ(summary.maximum, 42u);
    EXPECT_EQ(summary.mean, 42u);
}

TEST(SampleSummary, HundredSamplesGiveNearestRankPercentiles)
{
    std::vector<std::uint64_t> samples;
    for (std::uint64_t value = 100; value >= 1; --value)
        samples.push_back(value);
    auto summary = summarize(samples);
    EXPECT_EQ(summary.count, 100u);
    EXPECT_EQ(summary.minimum, 1u);
    EXPECT_EQ(summary.median, 50u);
    EXPECT_EQ(summary.percentile_99, 99u);
    EXPECT_EQ(summary.maximum, 100u);
    EXPECT_EQ(summary.mean, 50u); // 50.5 rounded down
    EXPECT_TRUE(std::is_sorted(samples.begin(), samples.end()));
}

TEST(SampleSummary, OneOutlierInAThousandShowsOnlyInTheMaximum)
{
    std::vector<std::uint64_t> samples(1000, 10);
    samples[500] = 1'000'000;
    auto summary = summarize(samples);
    EXPECT_EQ(summary.median, 10u);
    EXPECT_EQ(summary.percentile_99, 10u);
    EXPECT_EQ(summary.maximum, 1'000'000u);
}

TEST(SampleSummary, MeanDoesNotOverflowNearTheTopOfTheRange)
{
    constexpr std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
    std::vector<std::uint64_t> samples { top, top, top - 2 };
    auto summary = summarize(samples);
    EXPECT_EQ(summary.mean, top - 1);
}

TEST(SampleSummary, RandomSetsMatchAReferenceSort)
{
    std::mt19937_64 random(7);
    for (int round = 0; round < 200; ++round) {
        std::vector<std::uint64_t> samples(1 + random() % 300);
        for (auto& value : samples)
            value = random() % 1000;
        std::vector<std::uint64_t> reference = samples;
        std::sort(reference.begin(), reference.end());
        auto summary = summarize(samples);
        ASSERT_EQ(samples, reference);
        std::size_t count = reference.size();
        EXPECT_EQ(summary.median, reference[(count - 1) / 2]);
        EXPECT_EQ(summary.percentile_99, reference[(count * 99 + 99) / 100 - 1]);
        unsigned __int128 total = 0;
        for (auto value : reference)
            total += value;
        EXPECT_EQ(summary.mean, static_cast<std::uint64_t>(total / count));
    }
}
