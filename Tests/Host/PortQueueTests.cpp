// Kernel/Objects/PortQueue.h: the bound on user packets, coalescing of a binding's signal
// packets, FIFO order, and when a binding triggers.

#include <ABI/Port.h>
#include <ABI/Signals.h>
#include <Kernel/Objects/PortQueue.h>
#include <gtest/gtest.h>
#include <memory>
#include <vector>

using Kernel::Objects::decide_binding_trigger;
using Kernel::Objects::PortQueue;
using Kernel::Objects::PortQueueEntry;

namespace {

constexpr uint32_t signalled = ABI::signal_bits(ABI::Signal::Signalled);
constexpr uint32_t fired = ABI::signal_bits(ABI::Signal::Fired);

std::unique_ptr<PortQueueEntry> user_entry(uint64_t key)
{
    auto entry = std::make_unique<PortQueueEntry>(true);
    entry->packet.key = key;
    entry->packet.type = ABI::PortPacketType::User;
    return entry;
}

} // namespace

TEST(PortQueue, UserPacketsStopAtTheCapacityAndFreeASlotWhenTaken)
{
    PortQueue queue(3);
    std::vector<std::unique_ptr<PortQueueEntry>> entries;
    for (uint64_t key = 0; key < 4; ++key)
        entries.push_back(user_entry(key));
    for (uint64_t key = 0; key < 3; ++key)
        EXPECT_FALSE(queue.push_user(*entries[key]).is_error());
    auto refused = queue.push_user(*entries[3]);
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().code(), Core::ErrorCode::OutOfRange);
    EXPECT_FALSE(queue.contains(*entries[3]));
    EXPECT_EQ(queue.user_count(), 3u);
    PortQueueEntry* first = queue.pop();
    ASSERT_EQ(first, entries[0].get());
    EXPECT_EQ(queue.user_count(), 2u);
    EXPECT_FALSE(queue.push_user(*entries[3]).is_error());
}

TEST(PortQueue, SignalPacketsAreNotCountedAgainstTheUserCapacity)
{
    PortQueue queue(1);
    auto user = user_entry(1);
    PortQueueEntry first_binding(false);
    PortQueueEntry second_binding(false);
    EXPECT_FALSE(queue.push_user(*user).is_error());
    queue.post_signal(first_binding, 10, signalled, 100);
    queue.post_signal(second_binding, 20, fired, 200);
    EXPECT_EQ(queue.size(), 3u);
    EXPECT_EQ(queue.user_count(), 1u);
}

TEST(PortQueue, ATriggerWhileQueuedFoldsIntoThePacketInPlace)
{
    PortQueue queue(8);
    PortQueueEntry binding(false);
    auto user = user_entry(5);
    queue.post_signal(binding, 7, signalled, 100);
    EXPECT_FALSE(queue.push_user(*user).is_error());
    queue.post_signal(binding, 7, signalled | fired, 300);
    EXPECT_EQ(queue.size(), 2u);
    PortQueueEntry* first = queue.pop();
    ASSERT_EQ(first, &binding);
    EXPECT_EQ(first->packet.key, 7u);
    EXPECT_EQ(first->packet.type, ABI::PortPacketType::Signal);
    EXPECT_EQ(first->packet.count, 2u);
    EXPECT_EQ(first->packet.signals, signalled | fired);
    // The time of the first trigger stays.
    EXPECT_EQ(first->packet.timestamp_ns, 100u);
    EXPECT_EQ(queue.pop(), user.get());
    // Taken, the next trigger is a fresh packet at the back.
    queue.post_signal(binding, 7, signalled, 400);
    PortQueueEntry* again = queue.pop();
    ASSERT_EQ(again, &binding);
    EXPECT_EQ(again->packet.count, 1u);
    EXPECT_EQ(again->packet.timestamp_ns, 400u);
    EXPECT_EQ(queue.pop(), nullptr);
    EXPECT_TRUE(queue.is_empty());
}

TEST(PortQueue, PacketsComeOutInArrivalOrder)
{
    PortQueue queue(8);
    auto first = user_entry(1);
    PortQueueEntry binding(false);
    auto third = user_entry(3);
    EXPECT_FALSE(queue.push_user(*first).is_error());
    queue.post_signal(binding, 2, signalled, 0);
    EXPECT_FALSE(queue.push_user(*third).is_error());
    EXPECT_EQ(queue.pop()->packet.key, 1u);
    EXPECT_EQ(queue.pop()->packet.key, 2u);
    EXPECT_EQ(queue.pop()->packet.key, 3u);
}

TEST(BindingTrigger, OneShotIsLevelTriggeredAndFinishes)
{
    // Raised at bind time (current), or by a raise of a bit already raised.
    auto at_bind = decide_binding_trigger(false, signalled, signalled, signalled, 0);
    EXPECT_TRUE(at_bind.queue_packet);
    EXPECT_TRUE(at_bind.finished);
    auto repeated = decide_binding_trigger(false, signalled, signalled, 0, 0);
    EXPECT_TRUE(repeated.queue_packet);
    auto unwatched = decide_binding_trigger(false, signalled, fired, fired, 0);
    EXPECT_FALSE(unwatched.queue_packet);
    EXPECT_FALSE(unwatched.finished);
}

TEST(BindingTrigger, PersistentIsEdgeTriggeredAndStays)
{
    auto rise = decide_binding_trigger(true, signalled, signalled, signalled, 0);
    EXPECT_TRUE(rise.queue_packet);
    EXPECT_FALSE(rise.finished);
    // Raised again while raised: no edge, no packet.
    auto still_raised = decide_binding_trigger(true, signalled, signalled, 0, 0);
    EXPECT_FALSE(still_raised.queue_packet);
    // Another bit rising does not count unless watched.
    auto other_bit = decide_binding_trigger(true, signalled, signalled | fired, fired, 0);
    EXPECT_FALSE(other_bit.queue_packet);
}

TEST(BindingTrigger, APacketConsumesWatchedAutoClearBitsOnly)
{
    auto tick = decide_binding_trigger(true, fired, fired | signalled, fired, fired | signalled);
    EXPECT_TRUE(tick.queue_packet);
    // Signalled is auto-clear here but not watched: not the binding's to take.
    EXPECT_EQ(tick.consumed, fired);
    auto level = decide_binding_trigger(true, fired, fired, fired, 0);
    EXPECT_EQ(level.consumed, 0u);
}
