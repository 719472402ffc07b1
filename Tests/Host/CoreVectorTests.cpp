// Host tests for Core/Vector: growth, element lifetimes through growth and moves, and the
// rule that a failed allocation changes nothing. The test allocator (FailingAllocator.h)
// fails on demand and records what is outstanding, so leaks show up as failures.

#include <Core/Vector.h>
#include <Tests/Host/FailingAllocator.h>
#include <gtest/gtest.h>

using Core::ErrorCode;
using TestSupport::FailingAllocator;

namespace {

struct Lifetimes {
    int alive { 0 };
};

class Tracked {
public:
    Tracked(Lifetimes& lifetimes, int payload)
        : m_lifetimes(&lifetimes)
        , m_payload(payload)
    {
        ++m_lifetimes->alive;
    }
    Tracked(const Tracked& other)
        : m_lifetimes(other.m_lifetimes)
        , m_payload(other.m_payload)
    {
        ++m_lifetimes->alive;
    }
    Tracked(Tracked&& other)
        : m_lifetimes(other.m_lifetimes)
        , m_payload(other.m_payload)
    {
        other.m_payload = -1;
        ++m_lifetimes->alive;
    }
    Tracked& operator=(const Tracked&) = delete;
    ~Tracked() { --m_lifetimes->alive; }

    int payload() const { return m_payload; }

private:
    Lifetimes* m_lifetimes;
    int m_payload;
};

} // namespace

TEST(Vector, StartsEmptyWithoutAllocating)
{
    FailingAllocator allocator;
    Core::Vector<int> vector(allocator);
    EXPECT_TRUE(vector.is_empty());
    EXPECT_EQ(vector.size(), 0u);
    EXPECT_EQ(vector.capacity(), 0u);
    EXPECT_EQ(allocator.attempts(), 0);
    EXPECT_EQ(vector.begin(), vector.end());
}

TEST(Vector, AppendsGrowByDoublingAndKeepTheElements)
{
    FailingAllocator allocator;
    {
        Core::Vector<int> vector(allocator);
        for (int value = 0; value < 1000; ++value) {
            ASSERT_FALSE(vector.try_append(value).is_error());
            ASSERT_GE(vector.capacity(), vector.size());
        }
        ASSERT_EQ(vector.size(), 1000u);
        for (int value = 0; value < 1000; ++value)
            ASSERT_EQ(vector[value], value);
        // 4, 8, ..., 1024: nine allocations for a thousand appends.
        EXPECT_EQ(vector.capacity(), 1024u);
        EXPECT_EQ(allocator.attempts(), 9);
        EXPECT_EQ(allocator.outstanding(), 1u);
        EXPECT_EQ(vector.last(), 999);
        int sum = 0;
        for (int value : vector)
            sum += value;
        EXPECT_EQ(sum, 999 * 1000 / 2);
        EXPECT_EQ(vector.span().size(), 1000u);
    }
    EXPECT_EQ(allocator.outstanding(), 0u);
}

TEST(Vector, FailedGrowthChangesNothing)
{
    FailingAllocator allocator;
    Core::Vector<int> vector(allocator);
    for (int value = 0; value < 4; ++value)
        ASSERT_FALSE(vector.try_append(value).is_error());
    ASSERT_EQ(vector.capacity(), 4u);
    allocator.fail_allocation(1);
    auto failed = vector.try_append(4);
    ASSERT_TRUE(failed.is_error());
    EXPECT_EQ(failed.error().code(), ErrorCode::OutOfMemory);
    EXPECT_EQ(vector.size(), 4u);
    EXPECT_EQ(vector.capacity(), 4u);
    for (int value = 0; value < 4; ++value)
        EXPECT_EQ(vector[value], value);
    // The next attempt is allowed again.
    ASSERT_FALSE(vector.try_append(4).is_error());
    EXPECT_EQ(vector[4], 4);
}

TEST(Vector, EnsuredCapacityMakesAppendsInfallible)
{
    FailingAllocator allocator;
    Core::Vector<int> vector(allocator);
    ASSERT_FALSE(vector.try_ensure_capacity(10).is_error());
    EXPECT_EQ(vector.capacity(), 10u);
    allocator.fail_all(true);
    for (int value = 0; value < 10; ++value)
        ASSERT_FALSE(vector.try_append(value).is_error());
    EXPECT_TRUE(vector.try_append(10).is_error());
    EXPECT_TRUE(vector.try_ensure_capacity(11).is_error());
    // A capacity it already has needs no allocation.
    EXPECT_FALSE(vector.try_ensure_capacity(5).is_error());
    EXPECT_EQ(vector.size(), 10u);
    allocator.fail_all(false);
}

TEST(Vector, ByteCountOverflowIsOutOfMemory)
{
    FailingAllocator allocator;
    Core::Vector<Core::u64> vector(allocator);
    auto result = vector.try_ensure_capacity(SIZE_MAX / 4);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ErrorCode::OutOfMemory);
    EXPECT_EQ(allocator.attempts(), 0);
}

TEST(Vector, ElementsLiveExactlyAsLongAsTheyAreIn)
{
    FailingAllocator allocator;
    Lifetimes lifetimes;
    {
        Core::Vector<Tracked> vector(allocator);
        for (int value = 0; value < 20; ++value)
            ASSERT_FALSE(vector.try_append(Tracked(lifetimes, value)).is_error());
        // Growth moved the elements and destroyed the moved-from ones.
        EXPECT_EQ(lifetimes.alive, 20);
        for (int value = 0; value < 20; ++value)
            EXPECT_EQ(vector[value].payload(), value);
        vector.remove_last();
        EXPECT_EQ(lifetimes.alive, 19);
        vector.clear();
        EXPECT_EQ(lifetimes.alive, 0);
        EXPECT_GE(vector.capacity(), 20u);
        ASSERT_FALSE(vector.try_append(Tracked(lifetimes, 5)).is_error());
    }
    EXPECT_EQ(lifetimes.alive, 0);
    EXPECT_EQ(allocator.outstanding(), 0u);
    EXPECT_EQ(allocator.foreign_frees(), 0);
}

TEST(Vector, AppendingAnOwnElementSurvivesGrowth)
{
    FailingAllocator allocator;
    Lifetimes lifetimes;
    {
        Core::Vector<Tracked> vector(allocator);
        for (int value = 0; value < 4; ++value)
            ASSERT_FALSE(vector.try_append(Tracked(lifetimes, value)).is_error());
        ASSERT_EQ(vector.size(), vector.capacity());
        // The argument names storage the append is about to replace.
        ASSERT_FALSE(vector.try_append(vector[1]).is_error());
        EXPECT_EQ(vector[4].payload(), 1);
        EXPECT_EQ(vector[1].payload(), 1);
    }
    EXPECT_EQ(lifetimes.alive, 0);
}

TEST(Vector, MovingHandsTheStorageOver)
{
    FailingAllocator allocator;
    Lifetimes lifetimes;
    {
        Core::Vector<Tracked> source(allocator);
        ASSERT_FALSE(source.try_append(Tracked(lifetimes, 1)).is_error());
        ASSERT_FALSE(source.try_append(Tracked(lifetimes, 2)).is_error());
        Core::Vector<Tracked> moved(Core::move(source));
        EXPECT_TRUE(source.is_empty());
        EXPECT_EQ(source.capacity(), 0u);
        ASSERT_EQ(moved.size(), 2u);
        EXPECT_EQ(moved[1].payload(), 2);
        EXPECT_EQ(allocator.outstanding(), 1u);

        Core::Vector<Tracked> assigned(allocator);
        ASSERT_FALSE(assigned.try_append(Tracked(lifetimes, 9)).is_error());
        assigned = Core::move(moved);
        EXPECT_EQ(lifetimes.alive, 2);
        ASSERT_EQ(assigned.size(), 2u);
        EXPECT_EQ(assigned[0].payload(), 1);
        EXPECT_EQ(allocator.outstanding(), 1u);
        auto& alias = assigned;
        assigned = Core::move(alias);
        EXPECT_EQ(assigned.size(), 2u);
    }
    EXPECT_EQ(lifetimes.alive, 0);
    EXPECT_EQ(allocator.outstanding(), 0u);
    EXPECT_EQ(allocator.foreign_frees(), 0);
}

TEST(Vector, DefaultAllocatorIsTheHeap)
{
    Core::Vector<int> vector;
    for (int value = 0; value < 100; ++value)
        ASSERT_FALSE(vector.try_append(value).is_error());
    EXPECT_EQ(vector[99], 99);
}

TEST(VectorDeathTest, IndexPastSizeAborts)
{
    Core::Vector<int> vector;
    ASSERT_FALSE(vector.try_append(1).is_error());
    EXPECT_DEATH((void)vector[1], "VERIFY\\(index < m_size\\) failed");
    Core::Vector<int> empty;
    EXPECT_DEATH(empty.remove_last(), "VERIFY\\(m_size > 0\\) failed");
}

TEST(Vector, ResizeFillsGrowsShrinksAndFailsWithoutChange)
{
    FailingAllocator allocator;
    Core::Vector<int> vector(allocator);
    ASSERT_FALSE(vector.try_resize(5, 7).is_error());
    ASSERT_EQ(vector.size(), 5u);
    for (int value : vector)
        EXPECT_EQ(value, 7);
    EXPECT_EQ(vector.data(), vector.begin());
    ASSERT_FALSE(vector.try_resize(2).is_error());
    EXPECT_EQ(vector.size(), 2u);
    EXPECT_EQ(vector[1], 7);
    allocator.fail_allocation(1);
    auto failed = vector.try_resize(1000);
    ASSERT_TRUE(failed.is_error());
    EXPECT_EQ(vector.size(), 2u);
    // Elements live exactly as long as the vector holds them.
    Lifetimes lifetimes;
    {
        Core::Vector<Tracked> tracked(allocator);
        ASSERT_FALSE(tracked.try_resize(3, Tracked(lifetimes, 9)).is_error());
        EXPECT_EQ(lifetimes.alive, 3);
        EXPECT_EQ(tracked[2].payload(), 9);
        ASSERT_FALSE(tracked.try_resize(1, Tracked(lifetimes, 0)).is_error());
        EXPECT_EQ(lifetimes.alive, 1);
    }
    EXPECT_EQ(lifetimes.alive, 0);
}
