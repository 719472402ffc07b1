#include <ABI/Signals.h>
#include <Core/NoThrow.h>
#include <Core/PlacementNew.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Ipc/Channel.h>
#include <Kernel/Memory/Heap.h>
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
    Tasks::Thread* caller;
    // Set, under the channel's lock, by the write that answers it.
    Message* reply { nullptr };
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
    Core::IntrusiveListNode<PendingReceive> m_node;
};
using PendingReceives = Core::IntrusiveList<PendingReceive, &PendingReceive::m_node>;

// Under the channel's lock: wakes a waiter a write has served (a reader or a caller), or,
// when the writer is about to block (`claimed` given), claims it for the writer's hand-off
// (Scheduler::hand_off). Under the lock, because the waiter takes it before it looks at its
// record: so it cannot have left this wait (and entered another) before the wake-up lands.
void wake_or_claim(Tasks::Thread& thread, Tasks::Thread** claimed)
{
    if (claimed && !*claimed && Tasks::Scheduler::claim_for_hand_off(thread)) {
        *claimed = &thread;
        return;
    }
    Tasks::Scheduler::wake(thread);
}

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

void ChannelEndpoint::dispose_now(MessageQueue& messages)
{
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

Core::Result<Message*> Message::create_allocated(Core::u32 byte_count, Core::u32 handle_count)
{
    bool is_small = byte_count <= small_message_bytes && handle_count <= small_message_handles;
    Core::usize size = is_small ? block_size(small_message_bytes, small_message_handles)
                                : block_size(byte_count, handle_count);
    void* block = TRY(Memory::allocate(size));
    return construct(block, byte_count, handle_count, is_small);
}

void Message::free_block(void* block)
{
    Memory::free(block);
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
    // The field is little-endian (docs/ipc-schemas.md), as x86-64 is.
    Core::u64 value = 0;
    __builtin_memcpy(&value, m_bytes + ABI::channel_transaction_id_offset, sizeof(value));
    return value;
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
};

ChannelEndpoint::ChannelEndpoint(Core::RefPtr<ChannelState> state, Core::u32 side)
    : m_state(Core::move(state))
    , m_side(side)
    , m_writes_may_park(m_state->qos == ABI::ChannelQos::LatencySensitive)
    , m_peer_queue_length(&m_state->queued[1 - side])
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
        // The peer's waiting callers learn that nobody is left to answer, and its waiting
        // readers that nothing more will come (each sees this side closed).
        Core::u32 peer_side = 1 - m_side;
        for (PendingCall* call = m_state->pending_calls[peer_side].first(); call;
             call = PendingCalls::next(*call))
            Tasks::Scheduler::wake(*call->caller);
        for (PendingReceive* reader = m_state->receivers[peer_side].first(); reader;
             reader = PendingReceives::next(*reader))
            Tasks::Scheduler::wake(*reader->reader);
    }
    // Parked writers of the peer learn that there is nobody to write to.
    m_state->room_waiters.wake_all();
    dispose(unread);
}

ChannelEndpoint* ChannelEndpoint::peer() const
{
    return m_state->endpoints[1 - m_side];
}

Core::Result<void> ChannelEndpoint::wait_for_room_slow()
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

ChannelEndpoint::WriteStatus ChannelEndpoint::write_locked(
    Message* message, Core::u64 transaction, Tasks::Thread** claimed, MessageQueue& dropped)
{
    ChannelState& state = *m_state;
    Core::u32 target = 1 - m_side;
    if (state.closed[target])
        return WriteStatus::PeerClosed;
    // A reply goes straight to its waiting caller, past the queue and its limits.
    if (transaction & ABI::channel_kernel_transaction_bit) {
        if (PendingCall* call = find_call(state.pending_calls[target], transaction)) {
            state.pending_calls[target].remove(*call);
            call->reply = message;
            ++state.counters.sent;
            wake_or_claim(*call->caller, claimed);
            return WriteStatus::Written;
        }
    }
    MessageQueue& queue = state.queues[target];
    // Nothing queued and a reader waiting: the message goes straight to it, if it fits.
    // Otherwise it is queued, and the first waiting reader woken to find it (and learn the
    // sizes) or whatever waits before it.
    PendingReceive* reader = state.receivers[target].first();
    if (reader && queue.is_empty() && message->byte_count() <= reader->bytes_capacity
        && message->handle_count() <= reader->handles_capacity) {
        state.receivers[target].remove(*reader);
        reader->message = message;
        ++state.counters.sent;
        wake_or_claim(*reader->reader, claimed);
        return WriteStatus::Written;
    }
    if (queue.size() >= ABI::channel_queue_capacity) {
        switch (state.qos) {
        case ABI::ChannelQos::LatencySensitive:
            return WriteStatus::NoRoom;
        case ABI::ChannelQos::BestEffort: {
            Message* oldest = queue.first();
            queue.remove(*oldest);
            dropped.push_back(*oldest);
            ++state.counters.dropped;
            break;
        }
        case ABI::ChannelQos::Bulk: {
            // Charged at what the message really holds, so that empty messages (or ones
            // full of handles) cannot spill without bound.
            Core::u64 charge = message->footprint();
            if (state.spilled_bytes[target] + charge > ABI::channel_spill_limit_bytes)
                return WriteStatus::SpillFull;
            state.spilled_bytes[target] += charge;
            ++state.counters.spilled;
            break;
        }
        }
    }
    queue.push_back(*message);
    state.set_queued(target, static_cast<Core::u32>(queue.size()));
    ++state.counters.sent;
    state.update_signals();
    if (reader)
        Tasks::Scheduler::wake(*reader->reader);
    return WriteStatus::Written;
}

Core::Result<void> ChannelEndpoint::write_status_result(WriteStatus status)
{
    switch (status) {
    case WriteStatus::Written:
        return {};
    case WriteStatus::PeerClosed:
        return Core::ErrorCode::PeerClosed;
    case WriteStatus::SpillFull:
        return Core::ErrorCode::WouldBlock;
    case WriteStatus::NoRoom:
        break;
    }
    return Core::ErrorCode::TimedOut;
}

Core::Result<void> ChannelEndpoint::write(Message* message, Tasks::Thread** claimed)
{
    ChannelState& state = *m_state;
    MessageQueue dropped;
    Core::u64 transaction = message->transaction_id();
    WriteStatus status = WriteStatus::NoRoom;
    for (;;) {
        {
            Locking::SpinlockLocker locker(state.lock);
            status = write_locked(message, transaction, claimed, dropped);
        }
        // Another writer took the room this one waited for: wait again.
        if (status != WriteStatus::NoRoom)
            break;
        TRY(wait_for_room());
    }
    dispose(dropped);
    TRY(write_status_result(status));
    finish_serving(transaction);
    // A reader or caller woken on this CPU may be due now (with interrupts on).
    Tasks::Scheduler::yield_if_due();
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

Core::Result<void> ChannelEndpoint::wait_for_room_unless_reply_slow(const Message& message)
{
    // Room (or any QoS but latency-sensitive) means no wait, reply or not.
    ChannelState& state = *m_state;
    if (state.qos != ABI::ChannelQos::LatencySensitive || state.has_room(1 - m_side))
        return {};
    Core::u64 transaction = message.transaction_id();
    if (transaction & ABI::channel_kernel_transaction_bit) {
        Locking::SpinlockLocker locker(state.lock);
        if (find_call(state.pending_calls[1 - m_side], transaction))
            return {};
    }
    return wait_for_room();
}

Core::Result<Message*> ChannelEndpoint::call(Message* request, Core::u64 deadline_ns)
{
    ChannelState& state = *m_state;
    Tasks::Thread& self = Tasks::Scheduler::current();
    PendingCall pending { 0, &self, nullptr, {} };
    request->m_caller_rank = Tasks::call_priority_of(self);
    Core::u32 peer_side = 1 - m_side;
    MessageQueue dropped;
    // From the write to the wait, interrupts stay off: a server thread the request reaches
    // on this CPU is claimed by the write and switched to by the block, directly
    // (docs/ipc.md#fast-path).
    Arch::InterruptsDisabled interrupts_disabled;
    Tasks::Thread* server = nullptr;
    Core::u64 saved_flags = state.lock.lock();
    WriteStatus status = WriteStatus::NoRoom;
    for (;;) {
        pending.transaction_id = ++state.next_transaction | ABI::channel_kernel_transaction_bit;
        // The id goes into the request's header, little-endian as x86-64 is
        // (Message::transaction_id).
        __builtin_memcpy(request->bytes() + ABI::channel_transaction_id_offset, &pending.transaction_id,
            sizeof(pending.transaction_id));
        status = write_locked(request, pending.transaction_id, &server, dropped);
        if (status != WriteStatus::NoRoom)
            break;
        // Another writer took the room the syscall waited for: wait again.
        state.lock.unlock(saved_flags);
        auto room = wait_for_room();
        if (room.is_error()) {
            dispose(request);
            return room.error();
        }
        saved_flags = state.lock.lock();
    }
    if (status != WriteStatus::Written) {
        state.lock.unlock(saved_flags);
        dispose(dropped);
        dispose(request);
        return write_status_result(status).error();
    }
    // Recorded before the lock goes: no reply can come sooner.
    state.pending_calls[m_side].push_back(pending);
    Core::Result<void> waited = {};
    while (state.pending_calls[m_side].contains(pending) && !state.closed[peer_side]) {
        waited = Tasks::Scheduler::block_under(state.lock, saved_flags, deadline_ns, server);
        server = nullptr;
        if (waited.is_error())
            break;
    }
    // Unanswered (timed out, interrupted, the server gone): a later reply finds no caller
    // and is queued like any message.
    if (state.pending_calls[m_side].contains(pending))
        state.pending_calls[m_side].remove(pending);
    Message* reply = pending.reply;
    state.lock.unlock(saved_flags);
    dispose(dropped);
    if (reply)
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
        if (needed_bytes > bytes_capacity || needed_handles > handles_capacity) {
            // The message stays: a waiting reader with larger buffers may take it.
            state.wake_first_reader(m_side);
            return Core::ErrorCode::BufferTooSmall;
        }
        queue.remove(*message);
        Core::u32 count = static_cast<Core::u32>(queue.size());
        state.set_queued(m_side, count);
        // More left: a waiting reader takes the next one.
        if (count > 0)
            state.wake_first_reader(m_side);
        // The spill drains as the queue does: once back under the capacity nothing is
        // beyond it any more.
        if (count < ABI::channel_queue_capacity)
            state.spilled_bytes[m_side] = 0;
        state.update_signals();
    }
    state.room_waiters.wake_all();
    accept(*message);
    return message;
}

void ChannelEndpoint::accept(Message& message)
{
    Tasks::Thread& self = Tasks::Scheduler::current();
    if (message.m_caller_rank != 0 || self.m_call_loan_transaction != 0) {
        self.m_call_loan_transaction = message.m_caller_rank != 0 ? message.transaction_id() : 0;
        Tasks::lend_call_priority(self, message.m_caller_rank);
    }
}

Core::Result<Message*> ChannelEndpoint::receive(Core::u64 bytes_capacity, Core::u64 handles_capacity,
    Core::u64 deadline_ns, Tasks::Thread* hand_off_target, Core::u32& needed_bytes, Core::u32& needed_handles)
{
    ChannelState& state = *m_state;
    Core::u32 peer_side = 1 - m_side;
    PendingReceive pending { &Tasks::Scheduler::current(), bytes_capacity, handles_capacity, nullptr, {} };
    // Interrupts stay off so that a thread claimed by the caller's write can be handed the
    // CPU by the block below.
    Arch::InterruptsDisabled interrupts_disabled;
    for (;;) {
        Core::Result<void> waited = {};
        Core::u64 saved_flags = state.lock.lock();
        MessageQueue& queue = state.queues[m_side];
        // Waits only while nothing is queued and the peer lives; writes from then on see
        // this reader.
        if (queue.is_empty() && !state.closed[peer_side]) {
            pending.message = nullptr;
            state.receivers[m_side].push_back(pending);
            while (
                state.receivers[m_side].contains(pending) && queue.is_empty() && !state.closed[peer_side]) {
                waited = Tasks::Scheduler::block_under(state.lock, saved_flags, deadline_ns, hand_off_target);
                hand_off_target = nullptr;
                if (waited.is_error())
                    break;
            }
            if (state.receivers[m_side].contains(pending))
                state.receivers[m_side].remove(pending);
        }
        Message* message = pending.message;
        state.lock.unlock(saved_flags);
        // Nothing to wait for: the claimed thread still needs its CPU.
        if (hand_off_target) {
            Tasks::Scheduler::run_claimed(*hand_off_target);
            hand_off_target = nullptr;
        }
        // Handed over: it is this reader's whatever else happened meanwhile.
        if (message) {
            needed_bytes = message->byte_count();
            needed_handles = message->handle_count();
            accept(*message);
            return message;
        }
        auto taken = take(bytes_capacity, handles_capacity, needed_bytes, needed_handles);
        if (!taken.is_error() || taken.error().code() != Core::ErrorCode::WouldBlock)
            return taken;
        if (waited.is_error())
            return waited.error();
        // Another reader took what woke this one: wait again.
    }
}

void ChannelEndpoint::put_back(Message* message)
{
    ChannelState& state = *m_state;
    Locking::SpinlockLocker locker(state.lock);
    MessageQueue& queue = state.queues[m_side];
    queue.push_front(*message);
    state.set_queued(m_side, static_cast<Core::u32>(queue.size()));
    state.update_signals();
    // Writes wake a waiting reader only for what they add: one waiting now would otherwise
    // sleep past a message that is back.
    state.wake_first_reader(m_side);
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
