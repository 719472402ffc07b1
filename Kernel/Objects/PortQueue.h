#pragma once

// The packet queue of a port and the rule of when a binding queues a packet, apart from
// locking and waiting, so that host tests can check them (Tests/Host/PortQueueTests.cpp).
// Not synchronised: Port keeps the queue under its wait queue's lock.
//
// The queue is one FIFO of entries that live elsewhere: user packets in entries the port
// allocates per port_queue (bounded by the user capacity), signal packets in the one entry
// each binding embeds. A binding that triggers while its entry is still queued folds the
// trigger into that packet (coalescing) instead of queueing a second one, so signal
// packets need no allocation in the raise path (an interrupt handler) and are never
// refused: a full queue of user packets cannot hide a signal.

#include <ABI/Port.h>
#include <Core/Error.h>
#include <Core/IntrusiveList.h>
#include <Core/Types.h>

namespace Kernel::Objects {

struct PortQueueEntry {
    explicit PortQueueEntry(bool is_user_packet)
        : is_user(is_user_packet)
    {
    }

    // A user packet's entry belongs to the queue's consumer once taken (it frees it); a
    // binding's stays part of the binding.
    const bool is_user;
    ABI::PortPacket packet {};
    Core::IntrusiveListNode<PortQueueEntry> m_queue_node;
};

class PortQueue {
public:
    explicit constexpr PortQueue(Core::u64 user_capacity)
        : m_user_capacity(user_capacity)
    {
    }

    // Appends a user entry whose packet the caller has filled; OutOfRange when the user
    // capacity is reached (the entry is left alone).
    [[nodiscard]] Core::Result<void> push_user(PortQueueEntry& entry)
    {
        if (m_user_count >= m_user_capacity)
            return Core::ErrorCode::OutOfRange;
        m_entries.push_back(entry);
        ++m_user_count;
        return {};
    }

    // A binding's trigger with its entry `slot`: queues a fresh Signal packet at the back,
    // or, if the slot is queued already, folds the trigger into it in place: the signals
    // become the latest, the count grows, the key and first timestamp stay.
    void post_signal(PortQueueEntry& slot, Core::u64 key, Core::u32 signals, Core::u64 now_ns)
    {
        if (m_entries.contains(slot)) {
            slot.packet.signals = signals;
            ++slot.packet.count;
            return;
        }
        slot.packet = ABI::PortPacket {};
        slot.packet.key = key;
        slot.packet.type = ABI::PortPacketType::Signal;
        slot.packet.signals = signals;
        slot.packet.count = 1;
        slot.packet.timestamp_ns = now_ns;
        m_entries.push_back(slot);
    }

    // The oldest entry, unlinked, or null when the queue is empty.
    [[nodiscard]] PortQueueEntry* pop()
    {
        PortQueueEntry* entry = m_entries.first();
        if (!entry)
            return nullptr;
        m_entries.remove(*entry);
        if (entry->is_user)
            --m_user_count;
        return entry;
    }

    [[nodiscard]] bool is_empty() const { return m_entries.is_empty(); }
    [[nodiscard]] Core::u64 size() const { return m_entries.size(); }
    [[nodiscard]] Core::u64 user_count() const { return m_user_count; }
    [[nodiscard]] bool contains(const PortQueueEntry& entry) const { return m_entries.contains(entry); }

private:
    Core::u64 m_user_capacity;
    Core::u64 m_user_count { 0 };
    Core::IntrusiveList<PortQueueEntry, &PortQueueEntry::m_queue_node> m_entries;
};

// What a binding does when the object's signals change (Signals' observer callback).
struct BindingTrigger {
    // Queue (or fold into) the binding's packet.
    bool queue_packet { false };
    // Auto-clear bits the packet takes, as a wait would: the next raise of them is a rise
    // from clear again (an auto-reset periodic timer gives a packet per expiry).
    Core::u32 consumed { 0 };
    // A one-shot binding has triggered and is done.
    bool finished { false };
};

// One-shot: triggers while any watched bit is raised (level; at bind time too), once.
// Persistent: triggers when a watched bit goes from clear to raised (edge), and at bind
// time when one is raised already; a bit that stays raised gives no further packets until
// it is cleared (event_reset, timer_set, a consuming wait) and raised again.
[[nodiscard]] constexpr BindingTrigger decide_binding_trigger(
    bool persistent, Core::u32 watched, Core::u32 current, Core::u32 newly_raised, Core::u32 auto_clear)
{
    Core::u32 cause = (persistent ? newly_raised : current) & watched;
    if (cause == 0)
        return {};
    return BindingTrigger { true, current & watched & auto_clear, !persistent };
}

} // namespace Kernel::Objects
