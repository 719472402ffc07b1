#pragma once

// Channels: a pair of endpoints, each a kernel object, carrying messages of bytes and
// handles in both directions (docs/ipc.md). Each direction is a FIFO queue bounded by
// ABI::channel_queue_capacity; what a full queue does to a writer is the channel's QoS
// class (ABI::ChannelQos): park the writer briefly, drop the oldest message, or spill into
// a bounded overflow. Handles travel inside messages as HandleTable entries: the writer's
// table gave them up (remove_for_transfer), the reader's table takes them in.
//
// Endpoints raise Readable (a message waits), Writable (a write would go through at once)
// and PeerClosed (the other endpoint's last handle is gone; what was queued can still be
// read). Closing an endpoint drops the messages queued for it, with their handles.
//
// Locking: one spinlock per channel (LockRank::Channel) guards both queues, the closed
// flags and the counters. Under it the code raises signals (wait-queue locks, a higher
// rank) and never allocates or frees: messages are allocated before it is taken, and those
// leaving the channel (dropped, or the queue of a closed endpoint) are freed after it is
// released, since freeing a message may destroy the objects its handles name.

#include <ABI/Channel.h>
#include <Core/Error.h>
#include <Core/IntrusiveList.h>
#include <Core/RefPtr.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Objects/HandleTable.h>
#include <Kernel/Objects/KernelObject.h>
#include <Kernel/Objects/Signals.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Arch {
struct RegisterState;
}

namespace Kernel::Ipc {

// One message: its bytes and handle entries, in one allocation (create()). Small messages
// (at most small_message_bytes and small_message_handles) get a block of one fixed size,
// which the thread that frees one keeps as its spare for the next it makes: a call and its
// reply then cost no heap work at all.
class Message {
public:
    static constexpr Core::u32 small_message_bytes = 256;
    static constexpr Core::u32 small_message_handles = 4;

    // Room for `byte_count` bytes and `handle_count` entries; OutOfMemory. The entries start
    // empty; the writer fills them (handles()) and the bytes (bytes()). Inline for the
    // common case, a small message in the calling thread's spare block.
    [[nodiscard]] static Core::Result<Message*> create(Core::u32 byte_count, Core::u32 handle_count)
    {
        if (byte_count <= small_message_bytes && handle_count <= small_message_handles) {
            Tasks::Thread& self = Tasks::Scheduler::current();
            if (void* spare = self.m_spare_message) {
                self.m_spare_message = nullptr;
                return construct(spare, byte_count, handle_count, true);
            }
        }
        return create_allocated(byte_count, handle_count);
    }
    // Frees the message, dropping the references of the handles still in it. A small
    // block becomes the calling thread's spare if it has none.
    static void destroy(Message* message)
    {
        for (Core::u32 index = 0; index < message->m_handle_count; ++index)
            message->m_handles[index].~Entry();
        bool is_small = message->m_is_small;
        message->~Message();
        Tasks::Thread& self = Tasks::Scheduler::current();
        if (is_small && !self.m_spare_message) {
            self.m_spare_message = message;
            return;
        }
        free_block(message);
    }

    [[nodiscard]] Core::u32 byte_count() const { return m_byte_count; }
    [[nodiscard]] Core::u32 handle_count() const { return m_handle_count; }
    [[nodiscard]] Core::u8* bytes() { return m_bytes; }
    [[nodiscard]] Core::Span<Objects::HandleTable::Entry> handles() { return { m_handles, m_handle_count }; }

    // The transaction id in the message's header, or 0 when it is too short to have one.
    [[nodiscard]] Core::u64 transaction_id() const;
    // The kernel memory the message holds: its block, bytes and handle entries.
    [[nodiscard]] Core::u64 footprint() const;

    Core::IntrusiveListNode<Message> m_queue_node;
    // For a call's request: the caller's scheduling rank, lent to the thread that reads it
    // (Tasks::lend_call_priority). 0 for other messages.
    Core::u32 m_caller_rank { 0 };

private:
    // One block: the Message, the entries (aligned for their RefPtr), then the bytes. A small
    // message's block has room for the small maxima whatever it carries, so that any small
    // block can be reused for any small message.
    static constexpr Core::usize entries_offset
        = (sizeof(Core::u64) * 8 + alignof(Objects::HandleTable::Entry) - 1)
        & ~(alignof(Objects::HandleTable::Entry) - 1);
    static constexpr Core::usize block_size(Core::u32 byte_room, Core::u32 handle_room)
    {
        return entries_offset + handle_room * sizeof(Objects::HandleTable::Entry) + byte_room;
    }
    // Builds the message in `block`, of block_size() for the small maxima when `is_small`,
    // else for exactly these sizes.
    static Message* construct(void* block, Core::u32 byte_count, Core::u32 handle_count, bool is_small)
    {
        // The block is large enough for all three parts at those offsets, and the heap aligns
        // it for any kernel type; each part is constructed in place before use.
        auto* storage = static_cast<Core::u8*>(block);
        auto* entries = reinterpret_cast<Objects::HandleTable::Entry*>(storage + entries_offset);
        for (Core::u32 index = 0; index < handle_count; ++index)
            new (&entries[index]) Objects::HandleTable::Entry();
        Core::u32 handle_room = is_small ? small_message_handles : handle_count;
        Core::u8* bytes = storage + entries_offset + handle_room * sizeof(Objects::HandleTable::Entry);
        return new (storage) Message(byte_count, handle_count, entries, bytes, is_small);
    }
    [[nodiscard]] static Core::Result<Message*> create_allocated(
        Core::u32 byte_count, Core::u32 handle_count);
    static void free_block(void* block);

    Message(Core::u32 byte_count, Core::u32 handle_count, Objects::HandleTable::Entry* handles,
        Core::u8* bytes, bool is_small)
        : m_byte_count(byte_count)
        , m_handle_count(handle_count)
        , m_is_small(is_small)
        , m_handles(handles)
        , m_bytes(bytes)
    {
    }

    Core::u32 m_byte_count;
    Core::u32 m_handle_count;
    // The block has the small size (any thread's spare can hold it).
    bool m_is_small;
    Objects::HandleTable::Entry* m_handles;
    Core::u8* m_bytes;
};
static_assert(
    sizeof(Message) <= sizeof(Core::u64) * 8, "Message::entries_offset leaves room for the Message");

class ChannelState;
struct PendingCall;
struct PendingReceive;

class ChannelEndpoint final : public Objects::TypedKernelObject<ABI::ObjectType::Channel> {
public:
    struct Pair {
        Core::RefPtr<ChannelEndpoint> first;
        Core::RefPtr<ChannelEndpoint> second;
    };
    // Two connected endpoints with the given QoS class. OutOfMemory.
    [[nodiscard]] static Core::Result<Pair> create_pair(ABI::ChannelQos qos);
    // Marks this side closed: the peer sees PeerClosed, queued messages for this side go.
    ~ChannelEndpoint() override;

    Objects::Signals* signals() override { return &m_signals; }

    // Queues `message` for the peer, applying the QoS policy when its queue is full. The
    // channel takes the message on success; on failure the caller keeps it. Errors:
    // PeerClosed, TimedOut (latency-sensitive: no room within the park limit), WouldBlock
    // (bulk: the spill is full), Interrupted (the caller's process is terminating).
    //
    // `claimed`, when given, says the writer blocks right after this write, with interrupts
    // off since before it: the thread the message wakes (a reader waiting in receive(), or
    // the caller a reply answers) is then claimed for a hand-off rather than woken, and
    // returned there (or null), for the writer's wait to switch to (Scheduler::hand_off).
    [[nodiscard]] Core::Result<void> write(Message* message, Tasks::Thread** claimed = nullptr);
    // Waits, for a latency-sensitive channel, until the peer's queue has room or the park
    // limit passes (counted as parked). Called before the writer gives up its handles, so
    // that a write that times out leaves them where they were. PeerClosed, TimedOut,
    // Interrupted.
    [[nodiscard, gnu::always_inline]] Core::Result<void> wait_for_room()
    {
        // Inline for the common case: room, or a class that never parks.
        if (!m_writes_may_park
            || __atomic_load_n(m_peer_queue_length, __ATOMIC_ACQUIRE) < ABI::channel_queue_capacity)
            return {};
        return wait_for_room_slow();
    }

    // The first message queued for this side, taken off the queue, if it fits the given
    // capacities. Otherwise BufferTooSmall with the sizes it needs in `needed_*` (the
    // message stays). WouldBlock when nothing is queued; PeerClosed when nothing is queued
    // and the peer is closed.
    [[nodiscard]] Core::Result<Message*> take(Core::u64 bytes_capacity, Core::u64 handles_capacity,
        Core::u32& needed_bytes, Core::u32& needed_handles);
    // Puts a taken message back at the head (a read that could not deliver it).
    void put_back(Message* message);
    // take(), waiting until `deadline_ns` for a message when none is queued. A reader that
    // waits is handed the next message written to this side directly, past the queue, when
    // it fits the capacities. `hand_off_target` is as for WaitQueue::wait_until_interruptible
    // (a thread claimed by the write that came just before, in the same interrupts-off
    // stretch). Errors: take()'s but WouldBlock, TimedOut, Interrupted.
    //
    // `registers`, when given, is the reader's saved system-call frame, for a reader in the
    // register form: a call in the register form made while it waits puts its request
    // there directly, and receive() then returns null.
    [[nodiscard]] Core::Result<Message*> receive(Core::u64 bytes_capacity, Core::u64 handles_capacity,
        Core::u64 deadline_ns, Tasks::Thread* hand_off_target, Core::u32& needed_bytes,
        Core::u32& needed_handles, Arch::RegisterState* registers = nullptr);

    // A synchronous call: gives `request` a transaction id, sends it as write() does, and
    // waits until the peer writes a message carrying the same id, which it returns
    // without queueing. The channel takes the request in every case. A thread that reads
    // the request runs at least at the caller's rank until it replies. Errors: write()'s,
    // TimedOut at `deadline_ns` (a reply that comes later is queued as a message),
    // Interrupted.
    [[nodiscard]] Core::Result<Message*> call(Message* request, Core::u64 deadline_ns);

    // The register form (docs/ipc.md#register-form), on the calling thread's saved
    // system-call frame `registers` (Arch/MessageRegisters.h), whose message the system call
    // has checked (its size). call() with the request taken from, and the reply put into,
    // the frame. When the server waits in serve_in_registers() the request is copied
    // straight into its frame, and a reply from there straight into this one, with no
    // Message made. A reply that has handles or too many bytes stays queued:
    // BufferTooSmall, with its sizes in the frame (Arch::set_needed_sizes). Errors:
    // call()'s, OutOfMemory.
    // Inline, in ChannelRegisterForm.h.
    [[nodiscard]] inline Core::Result<void> call_in_registers(
        Arch::RegisterState& registers, Core::u64 deadline_ns);
    // A server's turn in the register form: with `replies`, writes the frame's message as
    // the reply (straight into the frame of a caller in the register form that waits for
    // it), and marks the frame when it went out (Arch::set_reply_sent; the system call
    // cleared it); then receive()s the next message into the frame. Errors: write()'s
    // (nothing read), receive()'s (BufferTooSmall for a message with handles or too many
    // bytes, which stays queued, its sizes in the frame), OutOfMemory.
    // Inline, in ChannelRegisterForm.h.
    [[nodiscard]] inline Core::Result<void> serve_in_registers(
        Arch::RegisterState& registers, bool replies, Core::u64 deadline_ns);
    // wait_for_room(), except for a message that answers a call waiting on the peer: such a
    // write neither waits for room nor queues.
    [[nodiscard, gnu::always_inline]] Core::Result<void> wait_for_room_unless_reply(const Message& message)
    {
        if (!m_writes_may_park
            || __atomic_load_n(m_peer_queue_length, __ATOMIC_ACQUIRE) < ABI::channel_queue_capacity)
            return {};
        return wait_for_room_unless_reply_slow(message);
    }

    // Frees messages that leave a channel unread (dropped, refused, or queued for a closed
    // endpoint), with their handles, without recursing: see Channel.cpp.
    static void dispose(Message* message);
    // Ends the priority the calling thread borrowed for the call `transaction`, if it did
    // (a reply written, delivered or not).
    static void finish_serving(Core::u64 transaction);

    [[nodiscard]] ABI::ChannelStatistics statistics() const;
    // Whether `object` is either endpoint of this channel. A channel cannot carry those:
    // a message holding a handle to the endpoint it waits in would keep that endpoint
    // alive, and with it the message, for ever.
    [[nodiscard]] bool is_end_of_same_channel(const Objects::KernelObject& object) const;

private:
    using MessageQueue = Core::IntrusiveList<Message, &Message::m_queue_node>;
    enum class WriteStatus : Core::u8 {
        Written,
        PeerClosed,
        NoRoom, // latency-sensitive, full: the writer waits for room and tries again
        SpillFull, // bulk, the spill at its limit
    };
    // write()'s work under the channel's lock: hands the message to a waiting caller or
    // reader, or queues it by the QoS policy (messages dropped for it go to `dropped`, to
    // be freed after the lock). `claimed` as for write().
    WriteStatus write_locked(
        Message* message, Core::u64 transaction, Tasks::Thread** claimed, MessageQueue& dropped);
    static Core::Result<void> write_status_result(WriteStatus status);
    // Inline for the common case, nothing to free.
    static void dispose(MessageQueue& messages)
    {
        if (!messages.is_empty())
            dispose_now(messages);
    }
    static void dispose_now(MessageQueue& messages);
    // A call's request reaching the thread that will serve it: that thread runs at least at
    // the caller's rank until it replies (write() ends the loan); a later request replaces
    // the loan.
    static void accept(Core::u32 caller_rank, Core::u64 transaction)
    {
        // Inline for the common case: no loan to take or end.
        if (caller_rank != 0 || Tasks::Scheduler::current().m_call_loan_transaction != 0)
            change_loan(caller_rank, transaction);
    }
    static void change_loan(Core::u32 caller_rank, Core::u64 transaction);
    // The register form's parts beyond its fast paths (Channel.cpp). Puts a message this
    // side received into the frame and frees it, or, when it has handles or too many
    // bytes, puts it back (BufferTooSmall, its sizes in the frame).
    Core::Result<void> deliver_to_registers(Message* message, Arch::RegisterState& registers);
    // A call whose server does not wait in the register form: as call(), with a Message.
    Core::Result<void> call_in_registers_slow(Arch::RegisterState& registers, Core::u64 deadline_ns);
    // The rest of a fast call woken other than by a reply in registers handed back to it.
    Core::Result<void> finish_call_in_registers(
        PendingCall& pending, Arch::RegisterState& registers, Core::u64 saved_flags, Core::u64 deadline_ns);
    // receive() into the frame.
    Core::Result<void> receive_into_registers(
        Arch::RegisterState& registers, Core::u64 deadline_ns, Tasks::Thread* hand_off_target);
    // The rest of a fast serve woken other than by a call in registers handing it the CPU.
    Core::Result<void> finish_serve_in_registers(PendingReceive& pending, Arch::RegisterState& registers,
        Core::u64 saved_flags, Core::u64 deadline_ns);
    // A reply that must travel as a Message (no caller in the register form waits for it),
    // then receive_into_registers().
    Core::Result<void> serve_in_registers_slow(
        Arch::RegisterState& registers, Core::u64 transaction, Core::u64 deadline_ns);
    // Under the lock: copies the reply in the frame straight into the frame of the caller in
    // the register form that waits for it, if there is one, and wakes it or claims it as
    // write() does. False when the reply must travel as a Message. Inline, in
    // ChannelRegisterForm.h.
    inline bool reply_in_registers_locked(
        Arch::RegisterState& registers, Core::u64 transaction, Tasks::Thread** claimed);
    ChannelEndpoint(Core::RefPtr<ChannelState> state, Core::u32 side);
    [[nodiscard]] Core::Result<void> wait_for_room_slow();
    [[nodiscard]] Core::Result<void> wait_for_room_unless_reply_slow(const Message& message);
    ChannelEndpoint* peer() const;
    friend class ChannelState;

    Core::RefPtr<ChannelState> m_state;
    Core::u32 m_side;
    // Whether the channel is latency-sensitive, and how many messages wait in the peer's
    // queue (the state's counter, read without the lock): what wait_for_room looks at.
    bool m_writes_may_park;
    const Core::u32* m_peer_queue_length;
    Objects::Signals m_signals;
};

} // namespace Kernel::Ipc
