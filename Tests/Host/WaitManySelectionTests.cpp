// Kernel/Objects/WaitManySelection.h: which item an object_wait_many ends with, and whose
// auto-clear signals it consumes.

#include <ABI/Signals.h>
#include <Kernel/Objects/SignalMask.h>
#include <Kernel/Objects/WaitManySelection.h>
#include <gtest/gtest.h>
#include <vector>

using Kernel::Objects::first_satisfied_item;
using Kernel::Objects::SignalMask;

namespace {

constexpr uint32_t signalled = ABI::signal_bits(ABI::Signal::Signalled);
constexpr uint32_t fired = ABI::signal_bits(ABI::Signal::Fired);

struct Item {
    SignalMask mask;
    uint32_t wanted;
};

auto select(std::vector<Item>& items)
{
    return first_satisfied_item(static_cast<uint32_t>(items.size()),
        [&](uint32_t index) { return items[index].mask.observe(items[index].wanted); });
}

} // namespace

TEST(WaitManySelection, NothingRaisedSelectsNothing)
{
    std::vector<Item> items { { SignalMask(signalled, 0), signalled }, { SignalMask(fired, fired), fired } };
    EXPECT_FALSE(select(items).has_value());
}

TEST(WaitManySelection, TheLowestSatisfiedIndexWinsWithEveryRaisedBit)
{
    std::vector<Item> items {
        { SignalMask(signalled, 0), signalled },
        { SignalMask(signalled | fired, 0), fired },
        { SignalMask(signalled, 0), signalled },
    };
    items[1].mask.raise(signalled);
    // Raised, but not wanted by item 1.
    items[2].mask.raise(signalled);
    auto chosen = select(items);
    ASSERT_TRUE(chosen.has_value());
    EXPECT_EQ(chosen.value().index, 2u);
    items[1].mask.raise(fired);
    chosen = select(items);
    ASSERT_TRUE(chosen.has_value());
    EXPECT_EQ(chosen.value().index, 1u);
    EXPECT_EQ(chosen.value().observed, signalled | fired);
}

TEST(WaitManySelection, OnlyTheWinnerLosesItsAutoClearBits)
{
    std::vector<Item> items {
        { SignalMask(fired, fired), fired },
        { SignalMask(fired, fired), fired },
    };
    items[0].mask.raise(fired);
    items[1].mask.raise(fired);
    auto chosen = select(items);
    ASSERT_TRUE(chosen.has_value());
    EXPECT_EQ(chosen.value().index, 0u);
    EXPECT_EQ(items[0].mask.raised(), 0u);
    EXPECT_EQ(items[1].mask.raised(), fired);
    // The next wait takes the other one.
    chosen = select(items);
    ASSERT_TRUE(chosen.has_value());
    EXPECT_EQ(chosen.value().index, 1u);
    EXPECT_FALSE(select(items).has_value());
}
