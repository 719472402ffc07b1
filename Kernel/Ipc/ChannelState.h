#pragma once

// The inside of a channel (Channel.h): what its two endpoints share, and the records of the
// threads waiting on it. Only Channel.cpp and the inline fast paths of the register form
// (ChannelRegisterForm.h) use it; everything else goes through ChannelEndpoint.

#include <ABI/Channel.h>
#include <ABI/Signals.h>
#include <Core/IntrusiveList.h>
#include <Core/RefCounted.h>
#include <Kernel/Arch/x86_64/RegisterState.h>
#include <Kernel/Ipc/Channel.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Ipc {

inline constexpr Core::u32 readable = ABI::signal_bits(ABI::Signal::Readable);
inline constexpr Core::u32 writable = ABI::signal_bits(ABI::Signal::Writable);
inline constexpr Core::u32 peer_closed = ABI::signal_bits(ABI::Signal::PeerClosed);

using MessageQueue = Core::IntrusiveList<Message, &Message::m_queue_node>;

// A caller waiting in ChannelEndpoint::call, on its own stack for the length of the call.
struct PendingCall {
    Core::u64 transaction_id;
    Tasks::Thread* caller;
    // Set, under the channel's lock, by the write that answers it.
    Message* reply { nullptr };
    // The caller's saved system-call frame, for a call in the register form: a reply in the
    // register form goes straight there, and sets answered_in_registers.
    Arch::RegisterState* registers { nullptr };
    bool answered_in_registers { false };
    // Set when the answering write claimed the caller for a hand-off (wake_or_claim).
    bool handed_off { false };
    Core::IntrusiveListNode<PendingCall> m_node;
};
using PendingCalls = Core::IntrusiveList<PendingCall, &PendingCall::m_node>;

// A reader waiting in ChannelEndpoint::receive, on its own stack while it waits.
struct PendingReceive {
    Tasks::Thread* reader;
    Core::u64 bytes_capacity;
    Core::u64 handles_capacity;
    // Set, under the channel's lock, by a write that hands its message over directly.
    Message* message { nullptr };
    // The reader's saved system-call frame, for a reader in the register form: a call in
    // the register form puts its request straight there, sets filled_in_registers, and
    // leaves the rank it lends and its transaction id (ChannelEndpoint::accept).
    Arch::RegisterState* registers { nullptr };
    bool filled_in_registers { false };
    Core::u32 caller_rank { 0 };
    Core::u64 transaction { 0 };
    // Set when the write that served the reader claimed it for a hand-off (wake_or_claim).
    bool handed_off { false };
    Core::IntrusiveListNode<PendingReceive> m_node;
};
using PendingReceives = Core::IntrusiveList<PendingReceive, &PendingReceive::m_node>;

// Under the channel's lock: wakes a waiter a write has served (a reader or a caller), or,
// when the writer is about to block (`claimed` given), claims it for the writer's hand-off
// (Scheduler::hand_off) and marks its record so (`handed_off`). Under the lock, because a
// woken waiter takes it before it looks at its record: so it cannot have left this wait
// (and entered another) before the wake-up lands. A claimed waiter needs no lock to read
// its record: the writer is done with it by the claim, and the waiter runs again only
// after the writer's CPU, which is its own, has switched away from the writer.
inline void wake_or_claim(Tasks::Thread& thread, Tasks::Thread** claimed, bool& handed_off)
{
    if (claimed && !*claimed && Tasks::Scheduler::claim_for_hand_off(thread)) {
        *claimed = &thread;
        handed_off = true;
        return;
    }
    Tasks::Scheduler::wake(thread);
}

inline PendingCall* find_call(PendingCalls& calls, Core::u64 transaction_id)
{
    for (PendingCall* call = calls.first(); call; call = PendingCalls::next(*call)) {
        if (call->transaction_id == transaction_id)
            return call;
    }
    return nullptr;
}

// What the two endpoints share. Side s reads queue[s]; the other side writes it.
class ChannelState final : public Core::RefCounted<ChannelState> {
public:
    explicit ChannelState(ABI::ChannelQos qos)
        : qos(qos)
    {
    }

    Locking::Spinlock lock { "channel", Locking::LockRank::Channel };
    const ABI::ChannelQos qos;
    MessageQueue queues[2];
    // Bytes queued beyond the capacity (bulk), per queue.
    Core::u64 spilled_bytes[2] {};
    // Set when the side's endpoint is gone (its last handle closed).
    bool closed[2] {};
    // The live endpoints, cleared by their destructors under the lock.
    ChannelEndpoint* endpoints[2] {};
    // Messages queued per queue, readable without the lock by room waiters.
    Core::u32 queued[2] {};
    // Writers of a latency-sensitive channel waiting for room.
    Tasks::WaitQueue room_waiters;
    // Calls made through side s, waiting for their replies, which arrive in queue s. The
    // callers block under this lock (Scheduler::block_under).
    PendingCalls pending_calls[2];
    // Readers waiting in receive() on side s, oldest first; they block as callers do.
    PendingReceives receivers[2];
    Core::u64 next_transaction { 0 };
    ABI::ChannelStatistics counters {};

    [[nodiscard]] bool has_room(Core::u32 queue) const
    {
        return __atomic_load_n(&queued[queue], __ATOMIC_ACQUIRE) < ABI::channel_queue_capacity;
    }
    [[nodiscard]] bool is_closed(Core::u32 side) const
    {
        return __atomic_load_n(&closed[side], __ATOMIC_ACQUIRE);
    }

    // Whether a write into `queue` would go through now, for the writer's Writable signal.
    [[nodiscard]] bool accepts_write(Core::u32 queue) const
    {
        switch (qos) {
        case ABI::ChannelQos::LatencySensitive:
            return has_room(queue);
        case ABI::ChannelQos::BestEffort:
            return true;
        case ABI::ChannelQos::Bulk:
            // Room for at least an empty message (Message::footprint).
            return has_room(queue)
                || spilled_bytes[queue] + sizeof(Message) <= ABI::channel_spill_limit_bytes;
        }
        return false;
    }

    // Brings the signals of both endpoints up to date. The lock is held.
    void update_signals()
    {
        for (Core::u32 side = 0; side < 2; ++side) {
            ChannelEndpoint* endpoint = endpoints[side];
            if (!endpoint)
                continue;
            Core::u32 raise = 0;
            Core::u32 clear = 0;
            (queues[side].is_empty() ? clear : raise) |= readable;
            bool peer_gone = closed[1 - side];
            (peer_gone ? raise : clear) |= peer_closed;
            (!peer_gone && accepts_write(1 - side) ? raise : clear) |= writable;
            endpoint->m_signals.clear(clear);
            endpoint->m_signals.raise(raise);
        }
    }

    // Wakes the oldest reader waiting on `side`, if any; its record stays, and it finds the
    // queue as it is when it runs. The lock is held.
    void wake_first_reader(Core::u32 side)
    {
        if (PendingReceive* reader = receivers[side].first())
            Tasks::Scheduler::wake(*reader->reader);
    }

    void set_queued(Core::u32 queue, Core::u32 count)
    {
        __atomic_store_n(&queued[queue], count, __ATOMIC_RELEASE);
    }

    // The rest of a call's wait for its reply, after its first block (whose result is
    // `waited`): the record `pending` sits in pending_calls[side] unless answered, and the
    // lock is held (lock() returned `saved_flags`). Blocks again after a wake-up that was
    // not the answer. Returns with the lock released: the reply, null when it came in
    // registers (into the caller's frame), or why none came. Unanswered (timed out,
    // interrupted, the server gone), the record goes, and a later reply finds no caller and
    // is queued like any message.
    [[gnu::always_inline]] Core::Result<Message*> await_reply(Core::u32 side, PendingCall& pending,
        Core::u64 saved_flags, Core::u64 deadline_ns, Core::Result<void> waited)
    {
        while (!waited.is_error() && pending_calls[side].contains(pending) && !closed[1 - side])
            waited = Tasks::Scheduler::block_under(lock, saved_flags, deadline_ns, nullptr);
        if (pending_calls[side].contains(pending))
            pending_calls[side].remove(pending);
        Message* reply = pending.reply;
        bool answered = reply || pending.answered_in_registers;
        lock.unlock(saved_flags);
        if (answered)
            return reply;
        if (waited.is_error())
            return waited.error();
        return Core::ErrorCode::PeerClosed;
    }
};

} // namespace Kernel::Ipc
