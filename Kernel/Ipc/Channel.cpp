#include <ABI/Signals.h>
#include <Core/NoThrow.h>
#include <Core/PlacementNew.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/MessageRegisters.h>
#include <Kernel/Ipc/Channel.h>
#include <Kernel/Ipc/ChannelState.h>
#include <Kernel/Memory/Heap.h>
#include <Kernel/Tasks/Mutex.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Ipc {

namespace {

using MessageQueue = Core::IntrusiveList<Message, &Message::m_queue_node>;

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
            wake_or_claim(*call->caller, claimed, call->handed_off);
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
        wake_or_claim(*reader->reader, claimed, reader->handed_off);
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
    PendingCall pending { 0, &self, nullptr, nullptr, false, false, {} };
    request->m_caller_rank = Tasks::call_priority_of(self);
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
    // The peer is alive (the request was just written under this lock): the first block
    // always happens.
    auto waited = Tasks::Scheduler::block_under(state.lock, saved_flags, deadline_ns, server);
    auto reply = state.await_reply(m_side, pending, saved_flags, deadline_ns, waited);
    dispose(dropped);
    return reply;
}

Core::Result<void> ChannelEndpoint::call_in_registers_slow(
    Arch::RegisterState& registers, Core::u64 deadline_ns)
{
    // The request becomes a Message and goes as channel_call's does.
    Core::u64 byte_count = Arch::message_byte_count(registers);
    Message* request = TRY(Message::create(static_cast<Core::u32>(byte_count), 0));
    Arch::store_message(request->bytes(), registers);
    auto room = wait_for_room();
    if (room.is_error()) {
        Message::destroy(request);
        return room.error();
    }
    Message* reply = TRY(call(request, deadline_ns));
    return deliver_to_registers(reply, registers);
}

Core::Result<void> ChannelEndpoint::finish_call_in_registers(
    PendingCall& pending, Arch::RegisterState& registers, Core::u64 saved_flags, Core::u64 deadline_ns)
{
    ChannelState& state = *m_state;
    // Interrupts are off (the fast path's), so the flags this returns add nothing.
    (void)state.lock.lock();
    auto waited = Tasks::Scheduler::wait_outcome(deadline_ns);
    Message* reply = TRY(state.await_reply(m_side, pending, saved_flags, deadline_ns, waited));
    if (!reply)
        return {};
    return deliver_to_registers(reply, registers);
}

Core::Result<void> ChannelEndpoint::deliver_to_registers(Message* message, Arch::RegisterState& registers)
{
    if (message->byte_count() > ABI::channel_register_message_bytes || message->handle_count() != 0) {
        Arch::set_needed_sizes(registers, message->byte_count(), message->handle_count());
        put_back(message);
        return Core::ErrorCode::BufferTooSmall;
    }
    Arch::load_message(registers, message->bytes(), message->byte_count());
    Message::destroy(message);
    return {};
}

Core::Result<void> ChannelEndpoint::receive_into_registers(
    Arch::RegisterState& registers, Core::u64 deadline_ns, Tasks::Thread* hand_off_target)
{
    Core::u32 needed_bytes = 0;
    Core::u32 needed_handles = 0;
    auto received = receive(ABI::channel_register_message_bytes, 0, deadline_ns, hand_off_target,
        needed_bytes, needed_handles, &registers);
    if (received.is_error()) {
        if (received.error().code() == Core::ErrorCode::BufferTooSmall)
            Arch::set_needed_sizes(registers, needed_bytes, needed_handles);
        return received.error();
    }
    if (!received.value())
        return {};
    return deliver_to_registers(received.value(), registers);
}

Core::Result<void> ChannelEndpoint::finish_serve_in_registers(
    PendingReceive& pending, Arch::RegisterState& registers, Core::u64 saved_flags, Core::u64 deadline_ns)
{
    ChannelState& state = *m_state;
    // Interrupts are off (the fast path's), so the flags this returns add nothing.
    (void)state.lock.lock();
    if (pending.filled_in_registers) {
        state.lock.unlock(saved_flags);
        accept(pending.caller_rank, pending.transaction);
        return {};
    }
    // Anything else (a Message handed over, one queued, the peer gone, the deadline,
    // termination, a stray wake-up) is the general wait's to sort out.
    if (state.receivers[m_side].contains(pending))
        state.receivers[m_side].remove(pending);
    Message* message = pending.message;
    state.lock.unlock(saved_flags);
    if (message) {
        accept(message->m_caller_rank, message->transaction_id());
        return deliver_to_registers(message, registers);
    }
    return receive_into_registers(registers, deadline_ns, nullptr);
}

Core::Result<void> ChannelEndpoint::serve_in_registers_slow(
    Arch::RegisterState& registers, Core::u64 transaction, Core::u64 deadline_ns)
{
    // The reply becomes a Message and goes as channel_serve's does.
    Message* reply = TRY(Message::create(static_cast<Core::u32>(Arch::message_byte_count(registers)), 0));
    Arch::store_message(reply->bytes(), registers);
    auto room = wait_for_room_unless_reply(*reply);
    if (room.is_error()) {
        Message::destroy(reply);
        return room.error();
    }
    auto written = write(reply);
    // A reply ends the priority its caller lent, whether it reached the caller or not.
    finish_serving(transaction);
    if (written.is_error()) {
        Message::destroy(reply);
        return written.error();
    }
    Arch::set_reply_sent(registers, true);
    return receive_into_registers(registers, deadline_ns, nullptr);
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
    accept(message->m_caller_rank, message->transaction_id());
    return message;
}

void ChannelEndpoint::change_loan(Core::u32 caller_rank, Core::u64 transaction)
{
    Tasks::Thread& self = Tasks::Scheduler::current();
    self.m_call_loan_transaction = caller_rank != 0 ? transaction : 0;
    Tasks::lend_call_priority(self, caller_rank);
}

Core::Result<Message*> ChannelEndpoint::receive(Core::u64 bytes_capacity, Core::u64 handles_capacity,
    Core::u64 deadline_ns, Tasks::Thread* hand_off_target, Core::u32& needed_bytes, Core::u32& needed_handles,
    Arch::RegisterState* registers)
{
    ChannelState& state = *m_state;
    Core::u32 peer_side = 1 - m_side;
    PendingReceive pending { &Tasks::Scheduler::current(), bytes_capacity, handles_capacity, nullptr,
        registers, false, 0, 0, false, {} };
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
        bool filled_in_registers = pending.filled_in_registers;
        state.lock.unlock(saved_flags);
        // Nothing to wait for: the claimed thread still needs its CPU.
        if (hand_off_target) {
            Tasks::Scheduler::run_claimed(*hand_off_target);
            hand_off_target = nullptr;
        }
        // Handed over: it is this reader's whatever else happened meanwhile.
        if (filled_in_registers) {
            accept(pending.caller_rank, pending.transaction);
            return nullptr;
        }
        if (message) {
            needed_bytes = message->byte_count();
            needed_handles = message->handle_count();
            accept(message->m_caller_rank, message->transaction_id());
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
