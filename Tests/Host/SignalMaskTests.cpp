// Kernel/Objects/SignalMask.h: which waits an object's signals satisfy, and what a wait
// consumes.

#include <ABI/Signals.h>
#include <Kernel/Objects/SignalMask.h>
#include <gtest/gtest.h>

using Kernel::Objects::SignalMask;

namespace {

constexpr uint32_t signalled = ABI::signal_bits(ABI::Signal::Signalled);
constexpr uint32_t fired = ABI::signal_bits(ABI::Signal::Fired);
constexpr uint32_t triggered = ABI::signal_bits(ABI::Signal::Triggered);

} // namespace

TEST(SignalMask, AWaitIsSatisfiedByAnyWantedBitAndReportsEveryRaisedBit)
{
    SignalMask mask(signalled | fired, 0);
    EXPECT_EQ(mask.observe(signalled), 0u);
    mask.raise(fired);
    EXPECT_EQ(mask.observe(signalled), 0u);
    EXPECT_EQ(mask.observe(signalled | fired), fired);
    mask.raise(signalled);
    EXPECT_EQ(mask.observe(fired), signalled | fired);
    // Without auto-clear bits nothing is consumed: every waiter sees the signals.
    EXPECT_EQ(mask.raised(), signalled | fired);
    mask.clear(fired);
    EXPECT_EQ(mask.observe(fired), 0u);
    EXPECT_EQ(mask.observe(signalled), signalled);
}

TEST(SignalMask, OnlySupportedBitsAreRaised)
{
    SignalMask mask(fired, 0);
    mask.raise(signalled | triggered);
    EXPECT_EQ(mask.raised(), 0u);
    EXPECT_TRUE(mask.can_raise(fired));
    EXPECT_FALSE(mask.can_raise(fired | signalled));
    EXPECT_FALSE(mask.can_raise(triggered));
}

TEST(SignalMask, AutoClearBitsAreConsumedOnlyByWaitsThatAskedForThem)
{
    SignalMask mask(fired | triggered, fired | signalled);
    // The auto-clear set is trimmed to what the object supports.
    EXPECT_EQ(mask.auto_clear(), fired);
    mask.raise(fired | triggered);
    // A wait for Triggered sees Fired but leaves it.
    EXPECT_EQ(mask.observe(triggered), fired | triggered);
    EXPECT_EQ(mask.raised(), fired | triggered);
    // A wait for Fired consumes it, once: the next wait for it alone is not satisfied.
    EXPECT_EQ(mask.observe(fired), fired | triggered);
    EXPECT_EQ(mask.raised(), triggered);
    EXPECT_EQ(mask.observe(fired), 0u);
    mask.raise(fired);
    EXPECT_EQ(mask.observe(fired | triggered), fired | triggered);
    EXPECT_EQ(mask.raised(), triggered);
}

TEST(SignalMask, TheAbiMaskCheckRefusesEmptyAndUnknownMasks)
{
    EXPECT_FALSE(ABI::is_valid_signal_mask(0));
    EXPECT_TRUE(ABI::is_valid_signal_mask(signalled));
    EXPECT_TRUE(ABI::is_valid_signal_mask(signalled | fired | triggered));
    EXPECT_TRUE(ABI::is_valid_signal_mask(ABI::signal_bits(ABI::Signal::Terminated)));
    EXPECT_TRUE(ABI::is_valid_signal_mask(ABI::signal_bits(ABI::Signal::PeerClosed)));
    EXPECT_FALSE(ABI::is_valid_signal_mask(1u << 7));
    EXPECT_FALSE(ABI::is_valid_signal_mask(1ull << 32 | signalled));
    EXPECT_EQ(signalled, 1u);
    EXPECT_EQ(fired, 2u);
    EXPECT_EQ(triggered, 4u);
    EXPECT_EQ(ABI::signal_bits(ABI::Signal::Terminated), 8u);
}
