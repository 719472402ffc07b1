#include <ABI/Signals.h>
#include <Core/NoThrow.h>
#include <Core/PlacementNew.h>
#include <Kernel/Ipc/Channel.h>
#include <Kernel/Tasks/Mutex.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Ipc {

namespace {

constexpr Core::u32 readable = ABI::signal_bits(ABI::Signal::Readable);
constexpr Core::u32 writable = ABI::signal_bits(ABI::Signal::Writable);
constexpr Core::u32 peer_closed = ABI::signal_bits(ABI::Signal::PeerClosed);

using MessageQueue = Core::IntrusiveList<Message, &Message::m_queue_node>;

// A caller waiting in ChannelEndpoint::call, on its own stack for the length of the call.
struct PendingCall {
    Core::u64 transaction_id;
    // Set, under the channel's lock, by the write that answers it.
    Message* reply { nullptr };
    Core::IntrusiveListNode<PendingCall> m_node;
};
using PendingCalls = Core::IntrusiveList<PendingCall, &PendingCall::m_node>;

PendingCall* find_call(PendingCalls& calls, Core::u64 transaction_id)
{
    for (PendingCall* call = calls.first(); call; call = PendingCalls::next(*call)) {
        if (call->transaction_id == transaction_id)
            return call;
    }
    return nullptr;
}

// Messages waiting to be freed by ChannelEndpoint::dispose. Leaf: nothing is taken under it.
Locking::SpinlockProtected<MessageQueue> s_doomed_messages { "doomed messages", Locking::LockRank::Leaf };

} // namespace

void ChannelEndpoint::dispose(MessageQueue& messages)
{
    if (messages.is_empty())
        return;
    s_doomed_messages.with([&](MessageQueue& doomed) {
        while (Message* message = messages.first()) {
            messages.remove(*message);
            doomed.push_back(*message);
        }
    });
    // Freeing a message may close the last handle to another endpoint, whose own queue then
    // comes here: a thread already freeing messages only hands them over, and its loop
    // below frees them too. So the depth stays at one level however deeply endpoints sit
    // inside each other's messages.
    Tasks::Thread& self = Tasks::Scheduler::current();
    if (self.m_disposing_messages)
        return;
    self.m_disposing_messages = true;
    for (;;) {
        Message* message = nullptr;
        s_doomed_messages.with([&](MessageQueue& doomed) {
            message = doomed.first();
            if (message)
                doomed.remove(*message);
        });
        if (!message)
            break;
        Message::destroy(message);
    }
    self.m_disposing_messages = false;
}

void ChannelEndpoint::dispose(Message* message)
{
    MessageQueue single;
    single.push_back(*message);
    dispose(single);
}

Core::Result<Message*> Message::create(Core::u32 byte_count, Core::u32 handle_count)
{
    // One block: the Message, the entries (aligned for their RefPtr), then the bytes.
    Core::usize entries_offset = (sizeof(Message) + alignof(Objects::HandleTable::Entry) - 1)
        & ~(alignof(Objects::HandleTable::Entry) - 1);
    Core::usize bytes_offset = entries_offset + handle_count * sizeof(Objects::HandleTable::Entry);
    auto* storage = new (Core::nothrow) Core::u8[bytes_offset + byte_count];
    if (!storage)
        return Core::ErrorCode::OutOfMemory;
    // The block is large enough for all three parts at those offsets, and the heap aligns
    // it for any kernel type; each part is constructed in place before use.
    auto* entries = reinterpret_cast<Objects::HandleTable::Entry*>(storage + entries_offset);
    for (Core::u32 index = 0; index < handle_count; ++index)
        new (&entries[index]) Objects::HandleTable::Entry();
    return new (storage) Message(byte_count, handle_count, entries, storage + bytes_offset);
}

Core::u64 Message::footprint() const
{
    return sizeof(Message) + m_byte_count
        + static_cast<Core::u64>(m_handle_count) * sizeof(Objects::HandleTable::Entry);
}

Core::u64 Message::transaction_id() const
{
    if (m_byte_count < ABI::channel_call_minimum_bytes)
        return 0;
    Core::u64 value = 0;
    for (Core::u32 index = 0; index < 8; ++index)
        value |= static_cast<Core::u64>(m_bytes[ABI::channel_transaction_id_offset + index]) << (8 * index);
    return value;
}

void Message::destroy(Message* message)
{
    for (Core::u32 index = 0; index < message->m_handle_count; ++index)
        message->m_handles[index].~Entry();
    message->~Message();
    // The block came from create()'s array new.
    delete[] reinterpret_cast<Core::u8*>(message);
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
    // Calls made through side s, waiting for their replies, which arrive in queue s.
    PendingCalls pending_calls[2];
    Tasks::WaitQueue reply_waiters;
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

    void set_queued(Core::u32 queue, Core::u32 count)
    {
        __atomic_store_n(&queued[queue], count, __ATOMIC_RELEASE);
    }
};

ChannelEndpoint::ChannelEndpoint(Core::RefPtr<ChannelState> state, Core::u32 side)
    : m_state(Core::move(state))
    , m_side(side)
    , m_signals(readable | writable | peer_closed)
{
}

Core::Result<ChannelEndpoint::Pair> ChannelEndpoint::create_pair(ABI::ChannelQos qos)
{
    auto* raw_state = new (Core::nothrow) ChannelState(qos);
    if (!raw_state)
        return Core::ErrorCode::OutOfMemory;
    auto state = Core::RefPtr<ChannelState>::adopt(raw_state);
    state->counters.qos = static_cast<Core::u64>(qos);
    auto* first = new (Core::nothrow) ChannelEndpoint(state, 0);
    if (!first)
        return Core::ErrorCode::OutOfMemory;
    auto first_reference = Core::RefPtr<ChannelEndpoint>::adopt(first);
    auto* second = new (Core::nothrow) ChannelEndpoint(state, 1);
    if (!second) {
        // The first endpoint closes a channel whose other side never existed.
        state->closed[1] = true;
        return Core::ErrorCode::OutOfMemory;
    }
    auto second_reference = Core::RefPtr<ChannelEndpoint>::adopt(second);
    {
        Locking::SpinlockLocker locker(state->lock);
        state->endpoints[0] = first;
        state->endpoints[1] = second;
        state->update_signals();
    }
    return Pair { Core::move(first_reference), Core::move(second_reference) };
}

ChannelEndpoint::~ChannelEndpoint()
{
    MessageQueue unread;
    {
        Locking::SpinlockLocker locker(m_state->lock);
        __atomic_store_n(&m_state->closed[m_side], true, __ATOMIC_RELEASE);
        m_state->endpoints[m_side] = nullptr;
        // Nobody will read these any more.
        while (Message* message = m_state->queues[m_side].first()) {
            m_state->queues[m_side].remove(*message);
            unread.push_back(*message);
        }
        m_state->spilled_bytes[m_side] = 0;
        m_state->set_queued(m_side, 0);
        m_state->update_signals();
    }
    // Parked writers of the peer learn that there is nobody to write to.
    m_state->room_waiters.wake_all();
    // Parked writers and waiting callers of the peer learn that nobody is left to answer.
    m_state->reply_waiters.wake_all();
    dispose(unread);
}

ChannelEndpoint* ChannelEndpoint::peer() const
{
    return m_state->endpoints[1 - m_side];
}

Core::Result<void> ChannelEndpoint::wait_for_room()
{
    ChannelState& state = *m_state;
    Core::u32 target = 1 - m_side;
    if (state.qos != ABI::ChannelQos::LatencySensitive || state.has_room(target) || state.is_closed(target))
        return {};
    {
        Locking::SpinlockLocker locker(state.lock);
        ++state.counters.parked;
    }
    Core::u64 deadline = Time::monotonic_nanoseconds() + ABI::channel_park_limit_ns;
    auto waited = state.room_waiters.wait_until_interruptible(
        [&] { return state.has_room(target) || state.is_closed(target); }, deadline);
    if (waited.is_error()) {
        if (waited.error().code() == Core::ErrorCode::TimedOut) {
            Locking::SpinlockLocker locker(state.lock);
            ++state.counters.timed_out;
        }
        return waited.error();
    }
    if (state.is_closed(target))
        return Core::ErrorCode::PeerClosed;
    return {};
}

Core::Result<void> ChannelEndpoint::write(Message* message)
{
    ChannelState& state = *m_state;
    Core::u32 target = 1 - m_side;
    MessageQueue dropped;
    Core::u64 transaction = message->transaction_id();
    bool answered = false;
    for (;;) {
        {
            Locking::SpinlockLocker locker(state.lock);
            if (state.closed[target])
                return Core::ErrorCode::PeerClosed;
            // A reply goes straight to its waiting caller, past the queue and its limits.
            if (transaction & ABI::channel_kernel_transaction_bit) {
                if (PendingCall* call = find_call(state.pending_calls[target], transaction)) {
                    state.pending_calls[target].remove(*call);
                    call->reply = message;
                    ++state.counters.sent;
                    answered = true;
                    break;
                }
            }
            MessageQueue& queue = state.queues[target];
            bool full = queue.size() >= ABI::channel_queue_capacity;
            bool queued = true;
            if (full) {
                switch (state.qos) {
                case ABI::ChannelQos::LatencySensitive:
                    // Another writer took the room this one waited for: wait again.
                    queued = false;
                    break;
                case ABI::ChannelQos::BestEffort: {
                    Message* oldest = queue.first();
                    queue.remove(*oldest);
                    dropped.push_back(*oldest);
                    ++state.counters.dropped;
                    break;
                }
                case ABI::ChannelQos::Bulk: {
                    // Charged at what the message really holds, so that empty messages
                    // (or ones full of handles) cannot spill without bound.
                    Core::u64 charge = message->footprint();
                    if (state.spilled_bytes[target] + charge > ABI::channel_spill_limit_bytes)
                        return Core::ErrorCode::WouldBlock;
                    state.spilled_bytes[target] += charge;
                    ++state.counters.spilled;
                    break;
                }
                }
            }
            if (queued) {
                queue.push_back(*message);
                state.set_queued(target, static_cast<Core::u32>(queue.size()));
                ++state.counters.sent;
                state.update_signals();
                break;
            }
        }
        TRY(wait_for_room());
    }
    dispose(dropped);
    finish_serving(transaction);
    if (answered)
        state.reply_waiters.wake_all();
    return {};
}

void ChannelEndpoint::finish_serving(Core::u64 transaction)
{
    if (!(transaction & ABI::channel_kernel_transaction_bit))
        return;
    // The writer served that call: the rank its caller lent it ends with the reply.
    Tasks::Thread& self = Tasks::Scheduler::current();
    if (self.m_call_loan_transaction != transaction)
        return;
    self.m_call_loan_transaction = 0;
    Tasks::end_call_priority_loan(self);
    // Lowered, it may no longer be the thread that should run.
    Tasks::Scheduler::yield_if_due();
}

bool ChannelEndpoint::is_reply_to_waiting_call(const Message& message) const
{
    Core::u64 transaction = message.transaction_id();
    if (!(transaction & ABI::channel_kernel_transaction_bit))
        return false;
    Locking::SpinlockLocker locker(m_state->lock);
    return find_call(m_state->pending_calls[1 - m_side], transaction) != nullptr;
}

Core::Result<Message*> ChannelEndpoint::call(Message* request, Core::u64 deadline_ns)
{
    ChannelState& state = *m_state;
    PendingCall pending;
    {
        Locking::SpinlockLocker locker(state.lock);
        pending.transaction_id = ++state.next_transaction | ABI::channel_kernel_transaction_bit;
        state.pending_calls[m_side].push_back(pending);
    }
    // The id goes into the request's header, little-endian (Message::transaction_id).
    for (Core::u32 index = 0; index < 8; ++index)
        request->bytes()[ABI::channel_transaction_id_offset + index]
            = static_cast<Core::u8>(pending.transaction_id >> (8 * index));
    request->m_caller_rank = Tasks::call_priority_of(Tasks::Scheduler::current());
    auto forget = [&] {
        Locking::SpinlockLocker locker(state.lock);
        if (state.pending_calls[m_side].contains(pending))
            state.pending_calls[m_side].remove(pending);
        return pending.reply;
    };
    auto written = write(request);
    if (written.is_error()) {
        (void)forget();
        dispose(request);
        return written.error();
    }
    Core::u32 peer_side = 1 - m_side;
    auto waited = state.reply_waiters.wait_until_interruptible(
        [&] {
            return __atomic_load_n(&pending.reply, __ATOMIC_ACQUIRE) != nullptr || state.is_closed(peer_side);
        },
        deadline_ns);
    // The reply may have come as the wait ended; if not, a later one finds no caller and
    // is queued like any message.
    if (Message* reply = forget())
        return reply;
    if (waited.is_error())
        return waited.error();
    return Core::ErrorCode::PeerClosed;
}

Core::Result<Message*> ChannelEndpoint::take(
    Core::u64 bytes_capacity, Core::u64 handles_capacity, Core::u32& needed_bytes, Core::u32& needed_handles)
{
    ChannelState& state = *m_state;
    Message* message = nullptr;
    {
        Locking::SpinlockLocker locker(state.lock);
        MessageQueue& queue = state.queues[m_side];
        message = queue.first();
        if (!message)
            return state.closed[1 - m_side] ? Core::ErrorCode::PeerClosed : Core::ErrorCode::WouldBlock;
        needed_bytes = message->byte_count();
        needed_handles = message->handle_count();
        if (needed_bytes > bytes_capacity || needed_handles > handles_capacity)
            return Core::ErrorCode::BufferTooSmall;
        queue.remove(*message);
        Core::u32 count = static_cast<Core::u32>(queue.size());
        state.set_queued(m_side, count);
        // The spill drains as the queue does: once back under the capacity nothing is
        // beyond it any more.
        if (count < ABI::channel_queue_capacity)
            state.spilled_bytes[m_side] = 0;
        state.update_signals();
    }
    state.room_waiters.wake_all();
    // A call's request: the reader serves it at least at its caller's rank until it
    // replies (write() ends the loan); a later request replaces the loan.
    Tasks::Thread& self = Tasks::Scheduler::current();
    if (message->m_caller_rank != 0 || self.m_call_loan_transaction != 0) {
        self.m_call_loan_transaction = message->m_caller_rank != 0 ? message->transaction_id() : 0;
        Tasks::lend_call_priority(self, message->m_caller_rank);
    }
    return message;
}

void ChannelEndpoint::put_back(Message* message)
{
    ChannelState& state = *m_state;
    Locking::SpinlockLocker locker(state.lock);
    MessageQueue& queue = state.queues[m_side];
    queue.push_front(*message);
    state.set_queued(m_side, static_cast<Core::u32>(queue.size()));
    state.update_signals();
}

bool ChannelEndpoint::is_end_of_same_channel(const Objects::KernelObject& object) const
{
    // Only a ChannelEndpoint has this type (KernelObject.h), so the cast is exact.
    return object.type() == ABI::ObjectType::Channel
        && static_cast<const ChannelEndpoint&>(object).m_state.get() == m_state.get();
}

ABI::ChannelStatistics ChannelEndpoint::statistics() const
{
    Locking::SpinlockLocker locker(m_state->lock);
    return m_state->counters;
}

} // namespace Kernel::Ipc
