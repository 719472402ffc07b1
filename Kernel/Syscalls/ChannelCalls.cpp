// channel_create, channel_write, channel_read, channel_call, channel_serve,
// channel_statistics, and the register forms channel_call_registers and
// channel_serve_registers (docs/ipc.md).

#include <ABI/Channel.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/MessageRegisters.h>
#include <Kernel/Ipc/Channel.h>
#include <Kernel/Ipc/ChannelRegisterForm.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Syscalls/Calls.h>

namespace Kernel::Syscalls {

namespace {

// What each endpoint's handle allows: reading and writing messages, waiting for its
// signals, passing it on. Manage is left out: nothing about a channel can be reconfigured.
constexpr ABI::Rights endpoint_rights
    = ABI::Right::Read | ABI::Right::Write | ABI::Right::Wait | ABI::Right::Duplicate | ABI::Right::Transfer;

} // namespace

CallResult channel_create(const Arguments& arguments)
{
    Core::u64 qos_value = arguments.first();
    Core::u64 handles_address = arguments.second();
    if (qos_value >= ABI::channel_qos_count)
        return Core::ErrorCode::InvalidArgument;
    // The destination is checked before anything is made, so that a bad pointer leaves
    // no channel behind.
    Objects::HandleValue values[2] = {};
    TRY(Memory::copy_to_user(handles_address, values, sizeof(values)));
    Tasks::Process* process = TRY(calling_process());
    auto pair = TRY(Ipc::ChannelEndpoint::create_pair(static_cast<ABI::ChannelQos>(qos_value)));
    TRY(process->with_handles([&](Objects::HandleTable& table) -> Core::Result<void> {
        TRY(table.reserve(2));
        values[0] = TRY(table.add(Core::RefPtr<Objects::KernelObject>(pair.first), endpoint_rights));
        values[1] = TRY(table.add(Core::RefPtr<Objects::KernelObject>(pair.second), endpoint_rights));
        return {};
    }));
    auto copied = Memory::copy_to_user(handles_address, values, sizeof(values));
    if (copied.is_error()) {
        // Unmapped since the check above, by another thread: the handles could not be
        // named, so they go.
        (void)process->with_handles([&](Objects::HandleTable& table) {
            (void)table.close(values[0]);
            return table.close(values[1]);
        });
        return copied.error();
    }
    return 0;
}

namespace {

// A message being sent: made and filled from the caller's memory, its handles checked but
// still in the caller's table until move_handles_into().
struct OutgoingMessage {
    Ipc::Message* message { nullptr };
    Objects::HandleValue handles[ABI::channel_maximum_message_handles];
    Core::u64 handle_count { 0 };
};

Core::Result<void> prepare_outgoing(Tasks::Process& process, Ipc::ChannelEndpoint& endpoint,
    Core::u64 bytes_address, Core::u64 byte_count, Core::u64 handles_address, Core::u64 handle_count,
    OutgoingMessage& outgoing)
{
    if (byte_count > ABI::channel_maximum_message_bytes
        || handle_count > ABI::channel_maximum_message_handles)
        return Core::ErrorCode::InvalidArgument;
    Objects::HandleValue* handles = outgoing.handles;
    if (handle_count > 0)
        TRY(Memory::copy_from_user(handles, handles_address, handle_count * sizeof(Objects::HandleValue)));
    for (Core::u64 index = 0; index < handle_count; ++index) {
        for (Core::u64 other = index + 1; other < handle_count; ++other) {
            if (handles[index] == handles[other])
                return Core::ErrorCode::InvalidArgument;
        }
    }
    // Each handle must be movable, and none may be an endpoint of this channel (Channel.h).
    // A refusal is audited after the table's lock is released (auditing reads the table).
    if (handle_count > 0) {
        Core::u64 refused_index = 0;
        auto checked = process.with_handles([&](Objects::HandleTable& table) -> Core::Result<void> {
            for (Core::u64 index = 0; index < handle_count; ++index) {
                refused_index = index;
                TRY(table.check_transfer(handles[index]));
                auto object = TRY(table.lookup<Objects::KernelObject>(handles[index], ABI::no_rights));
                if (endpoint.is_end_of_same_channel(*object))
                    return Core::ErrorCode::InvalidArgument;
            }
            return {};
        });
        TRY(audited(process, handles[refused_index], ABI::Right::Transfer, checked));
    }
    Ipc::Message* message
        = TRY(Ipc::Message::create(static_cast<Core::u32>(byte_count), static_cast<Core::u32>(handle_count)));
    auto copied = Memory::copy_from_user(message->bytes(), bytes_address, byte_count);
    if (copied.is_error()) {
        Ipc::Message::destroy(message);
        return copied.error();
    }
    outgoing.message = message;
    outgoing.handle_count = handle_count;
    return {};
}

// Moves the handles into the message: checked again and taken all at once under the
// table's lock, then audited.
[[gnu::noinline]] Core::Result<void> move_handles_into_now(Tasks::Process& process, OutgoingMessage& outgoing)
{
    TRY(process.with_handles([&](Objects::HandleTable& table) -> Core::Result<void> {
        for (Core::u64 index = 0; index < outgoing.handle_count; ++index)
            TRY(table.check_transfer(outgoing.handles[index]));
        for (Core::u64 index = 0; index < outgoing.handle_count; ++index)
            outgoing.message->handles().data()[index]
                = TRY(table.remove_for_transfer(outgoing.handles[index]));
        return {};
    }));
    for (Core::u64 index = 0; index < outgoing.handle_count; ++index)
        Security::audit(ABI::AuditEvent::HandleTransferred, process.name(), process.audit_budget(),
            outgoing.handles[index], outgoing.message->handles().data()[index].rights, ABI::no_rights);
    return {};
}

// The sizes of a delivered message, written into the two out fields of the caller's
// ChannelReadBuffer at `buffer_address` (its other fields are the caller's and unchanged).
Core::Result<void> report_sizes(Core::u64 buffer_address, Core::u64 byte_count, Core::u64 handle_count)
{
    static_assert(__builtin_offsetof(ABI::ChannelReadBuffer, handle_count)
        == __builtin_offsetof(ABI::ChannelReadBuffer, byte_count) + sizeof(Core::u64));
    Core::u64 sizes[2] = { byte_count, handle_count };
    return Memory::copy_to_user(
        buffer_address + __builtin_offsetof(ABI::ChannelReadBuffer, byte_count), sizes, sizeof(sizes));
}

// move_handles_into_now, inline for messages without handles.
[[gnu::always_inline]] inline Core::Result<void> move_handles_into(
    Tasks::Process& process, OutgoingMessage& outgoing)
{
    if (outgoing.handle_count == 0)
        return {};
    return move_handles_into_now(process, outgoing);
}

// Hands a message taken from `endpoint` to the calling program: its bytes, then its
// handles into the caller's table, then the sizes into `buffer` at `buffer_address`. A
// message that cannot be delivered whole goes back to the head of the queue, except when
// only the handle values cannot be written out (docs/ipc.md).
Core::Result<void> deliver(Tasks::Process& process, Ipc::ChannelEndpoint& endpoint, Ipc::Message* message,
    ABI::ChannelReadBuffer& buffer, Core::u64 buffer_address)
{
    // The bytes first: a buffer that cannot take them leaves the message queued.
    auto copied = Memory::copy_to_user(buffer.bytes_address, message->bytes(), message->byte_count());
    if (copied.is_error()) {
        endpoint.put_back(message);
        return copied.error();
    }
    // Bytes alone (most messages): nothing to add to the table.
    if (message->handle_count() == 0) {
        Core::u32 byte_count = message->byte_count();
        Ipc::Message::destroy(message);
        return report_sizes(buffer_address, byte_count, 0);
    }
    // Then the handles, into room reserved first so that adding cannot fail halfway.
    Objects::HandleValue values[ABI::channel_maximum_message_handles];
    auto added = process.with_handles([&](Objects::HandleTable& table) -> Core::Result<void> {
        TRY(table.reserve(message->handle_count()));
        for (Core::u32 index = 0; index < message->handle_count(); ++index) {
            auto& entry = message->handles().data()[index];
            values[index] = TRY(table.add(Core::move(entry.object), entry.rights));
        }
        return {};
    });
    if (added.is_error()) {
        // reserve() failed before anything moved: the message waits for a later read.
        endpoint.put_back(message);
        return added.error();
    }
    buffer.byte_count = message->byte_count();
    buffer.handle_count = message->handle_count();
    Core::u32 handle_count = message->handle_count();
    Ipc::Message::destroy(message);
    auto reported = [&]() -> Core::Result<void> {
        if (handle_count > 0)
            TRY(Memory::copy_to_user(
                buffer.handles_address, values, handle_count * sizeof(Objects::HandleValue)));
        return report_sizes(buffer_address, buffer.byte_count, buffer.handle_count);
    }();
    if (reported.is_error()) {
        // The handles are in the table but the program cannot learn their values: closed,
        // rather than left where nothing can reach them.
        process.with_handles([&](Objects::HandleTable& table) {
            for (Core::u32 index = 0; index < handle_count; ++index)
                (void)table.close(values[index]);
        });
        return reported.error();
    }
    return {};
}

} // namespace

CallResult channel_write(const Arguments& arguments)
{
    TRY(check_flags(arguments.sixth(), 0));
    auto endpoint = TRY(lookup_handle<Ipc::ChannelEndpoint>(arguments.first(), ABI::Right::Write));
    Tasks::Process* process = TRY(calling_process());
    OutgoingMessage outgoing;
    TRY(prepare_outgoing(*process, *endpoint, arguments.second(), arguments.third(), arguments.fourth(),
        arguments.fifth(), outgoing));
    // A latency-sensitive writer waits for room before its handles leave its table, so
    // that a write that times out leaves them where they were. A reply to a waiting call
    // never waits: it goes to its caller, not into the queue.
    auto room = endpoint->wait_for_room_unless_reply(*outgoing.message);
    if (room.is_error()) {
        Ipc::Message::destroy(outgoing.message);
        return room.error();
    }
    auto moved = move_handles_into(*process, outgoing);
    if (moved.is_error()) {
        Ipc::Message::destroy(outgoing.message);
        return moved.error();
    }
    Core::u64 transaction = outgoing.message->transaction_id();
    auto written = endpoint->write(outgoing.message);
    // A reply ends the priority its caller lent, whether it reached the caller or not.
    Ipc::ChannelEndpoint::finish_serving(transaction);
    if (written.is_error()) {
        // The handles have left the writer's table and cannot come back under their old
        // values: they are closed with the message (docs/ipc.md).
        Ipc::ChannelEndpoint::dispose(outgoing.message);
        return written.error();
    }
    return 0;
}

CallResult channel_read(const Arguments& arguments)
{
    Core::u64 buffer_address = arguments.second();
    TRY(check_flags(arguments.third(), 0));
    ABI::ChannelReadBuffer buffer;
    TRY(Memory::copy_from_user(&buffer, buffer_address, sizeof(buffer)));
    auto endpoint = TRY(lookup_handle<Ipc::ChannelEndpoint>(arguments.first(), ABI::Right::Read));
    Tasks::Process* process = TRY(calling_process());
    Core::u32 needed_bytes = 0;
    Core::u32 needed_handles = 0;
    auto taken = endpoint->take(buffer.bytes_capacity, buffer.handles_capacity, needed_bytes, needed_handles);
    if (taken.is_error()) {
        if (taken.error().code() == Core::ErrorCode::BufferTooSmall) {
            buffer.byte_count = needed_bytes;
            buffer.handle_count = needed_handles;
            TRY(Memory::copy_to_user(buffer_address, &buffer, sizeof(buffer)));
        }
        return taken.error();
    }
    TRY(deliver(*process, *endpoint, taken.value(), buffer, buffer_address));
    return 0;
}

CallResult channel_call(const Arguments& arguments)
{
    Core::u64 arguments_address = arguments.second();
    ABI::ChannelCallArguments call;
    TRY(Memory::copy_from_user(&call, arguments_address, sizeof(call)));
    TRY(check_flags(call.flags, 0));
    // The transaction id lives in the request's header (ABI::channel_transaction_id_offset).
    if (call.byte_count < ABI::channel_call_minimum_bytes)
        return Core::ErrorCode::InvalidArgument;
    auto endpoint
        = TRY(lookup_handle<Ipc::ChannelEndpoint>(arguments.first(), ABI::Right::Read | ABI::Right::Write));
    Tasks::Process* process = TRY(calling_process());
    OutgoingMessage outgoing;
    TRY(prepare_outgoing(*process, *endpoint, call.bytes_address, call.byte_count, call.handles_address,
        call.handle_count, outgoing));
    auto room = endpoint->wait_for_room();
    if (room.is_error()) {
        Ipc::Message::destroy(outgoing.message);
        return room.error();
    }
    auto moved = move_handles_into(*process, outgoing);
    if (moved.is_error()) {
        Ipc::Message::destroy(outgoing.message);
        return moved.error();
    }
    // The channel takes the request whatever happens: not sent (its handles go with it) or
    // sent and unanswered in time.
    auto reply = TRY(endpoint->call(outgoing.message, call.deadline_ns));
    // The reply is this caller's: if it does not fit, it waits in the queue for a read
    // with larger buffers, and the sizes say how large.
    Ipc::Message* message = reply;
    if (message->byte_count() > call.reply.bytes_capacity
        || message->handle_count() > call.reply.handles_capacity) {
        call.reply.byte_count = message->byte_count();
        call.reply.handle_count = message->handle_count();
        endpoint->put_back(message);
        TRY(Memory::copy_to_user(arguments_address, &call, sizeof(call)));
        return Core::ErrorCode::BufferTooSmall;
    }
    TRY(deliver(*process, *endpoint, message, call.reply,
        arguments_address + __builtin_offsetof(ABI::ChannelCallArguments, reply)));
    return 0;
}

CallResult channel_serve(const Arguments& arguments)
{
    Core::u64 arguments_address = arguments.second();
    ABI::ChannelServeArguments serve;
    TRY(Memory::copy_from_user(&serve, arguments_address, sizeof(serve)));
    // From here on a failure says whether the reply went out (the block is known to be
    // readable, and a write that fails now is the program's own doing).
    auto report_reply = [&](bool sent) {
        Core::u64 value = sent ? 1 : 0;
        return Memory::copy_to_user(
            arguments_address + __builtin_offsetof(ABI::ChannelServeArguments, reply_sent), &value,
            sizeof(value));
    };
    constexpr Core::u64 reply_flag = static_cast<Core::u64>(ABI::ChannelServeFlag::Reply);
    bool replies = (serve.flags & reply_flag) != 0;
    auto decoded = [&]() -> Core::Result<Core::RefPtr<Ipc::ChannelEndpoint>> {
        TRY(check_flags(serve.flags, reply_flag));
        return lookup_handle<Ipc::ChannelEndpoint>(arguments.first(),
            replies ? ABI::Right::Read | ABI::Right::Write : ABI::Rights(ABI::Right::Read));
    }();
    if (decoded.is_error()) {
        (void)report_reply(false);
        return decoded.error();
    }
    auto endpoint = decoded.release_value();
    Tasks::Process* process = TRY(calling_process());
    // The reply is made, checked and its handles moved as channel_write does, before the
    // stretch with interrupts off.
    OutgoingMessage outgoing;
    if (replies) {
        auto prepared = [&]() -> Core::Result<void> {
            TRY(prepare_outgoing(*process, *endpoint, serve.reply_bytes_address, serve.reply_byte_count,
                serve.reply_handles_address, serve.reply_handle_count, outgoing));
            auto room = endpoint->wait_for_room_unless_reply(*outgoing.message);
            if (!room.is_error())
                room = move_handles_into(*process, outgoing);
            if (room.is_error()) {
                Ipc::Message::destroy(outgoing.message);
                outgoing.message = nullptr;
            }
            return room;
        }();
        if (prepared.is_error()) {
            (void)report_reply(false);
            return prepared.error();
        }
    }
    Core::Result<void> written = {};
    Core::u32 needed_bytes = 0;
    Core::u32 needed_handles = 0;
    auto received = [&]() -> Core::Result<Ipc::Message*> {
        // From the reply to the wait: a caller the reply answers on this CPU is claimed by
        // the write and switched to by the wait, directly (docs/ipc.md#fast-path).
        Arch::InterruptsDisabled interrupts_disabled;
        Tasks::Thread* caller = nullptr;
        if (replies) {
            Core::u64 transaction = outgoing.message->transaction_id();
            written = endpoint->write(outgoing.message, &caller);
            // A reply ends the priority its caller lent, whether it reached the caller or not.
            Ipc::ChannelEndpoint::finish_serving(transaction);
            if (written.is_error())
                return written.error();
        }
        return endpoint->receive(serve.request.bytes_capacity, serve.request.handles_capacity,
            serve.deadline_ns, caller, needed_bytes, needed_handles);
    }();
    if (written.is_error()) {
        // As for channel_write: the handles have left the table, and go with the message.
        Ipc::ChannelEndpoint::dispose(outgoing.message);
        (void)report_reply(false);
        return written.error();
    }
    Core::u64 request_address = arguments_address + __builtin_offsetof(ABI::ChannelServeArguments, request);
    if (received.is_error()) {
        if (received.error().code() == Core::ErrorCode::BufferTooSmall) {
            serve.request.byte_count = needed_bytes;
            serve.request.handle_count = needed_handles;
            (void)Memory::copy_to_user(request_address, &serve.request, sizeof(serve.request));
        }
        (void)report_reply(replies);
        return received.error();
    }
    auto delivered = deliver(*process, *endpoint, received.value(), serve.request, request_address);
    if (delivered.is_error()) {
        (void)report_reply(replies);
        return delivered.error();
    }
    return 0;
}

// No canary: -fstack-protector-strong gives one to every function with a local array, and
// Core::Result<T> keeps its value in one, but this fast-path function has no stack buffer
// for a canary to guard (its only locals are scalars, Results and wait records).
__attribute__((no_stack_protector)) CallResult channel_call_registers(const Arguments& arguments)
{
    Arch::RegisterState& registers = *arguments.frame;
    Core::u64 byte_count = Arch::message_byte_count(registers);
    if (byte_count < ABI::channel_call_minimum_bytes || byte_count > ABI::channel_register_message_bytes)
        return Core::ErrorCode::InvalidArgument;
    auto endpoint = TRY(lookup_handle<Ipc::ChannelEndpoint>(
        Arch::register_call_handle(registers), ABI::Right::Read | ABI::Right::Write));
    TRY(endpoint->call_in_registers(registers, Arch::register_call_deadline(registers)));
    return 0;
}

// No canary: -fstack-protector-strong gives one to every function with a local array, and
// Core::Result<T> keeps its value in one, but this fast-path function has no stack buffer
// for a canary to guard (its only locals are scalars, Results and wait records).
__attribute__((no_stack_protector)) CallResult channel_serve_registers(const Arguments& arguments)
{
    Arch::RegisterState& registers = *arguments.frame;
    Core::u64 handle = Arch::register_call_handle(registers);
    Core::u64 reply_bytes = Arch::message_byte_count(registers);
    bool replies = reply_bytes != 0;
    // Until a reply goes out, the report says none did (it takes the handle's register).
    Arch::set_reply_sent(registers, false);
    if (reply_bytes > ABI::channel_register_message_bytes)
        return Core::ErrorCode::InvalidArgument;
    auto endpoint = TRY(lookup_handle<Ipc::ChannelEndpoint>(
        handle, replies ? ABI::Right::Read | ABI::Right::Write : ABI::Rights(ABI::Right::Read)));
    TRY(endpoint->serve_in_registers(registers, replies, Arch::register_call_deadline(registers)));
    return 0;
}

CallResult channel_statistics(const Arguments& arguments)
{
    Core::u64 statistics_address = arguments.third();
    // The privilege to read system diagnostics is the audit log's Read right, which only
    // process 1 holds; the channel is named by any handle to either endpoint.
    (void)TRY(lookup_handle<Security::AuditLogObject>(arguments.first(), ABI::Right::Read));
    auto endpoint = TRY(lookup_handle<Ipc::ChannelEndpoint>(arguments.second(), ABI::no_rights));
    ABI::ChannelStatistics statistics = endpoint->statistics();
    TRY(Memory::copy_to_user(statistics_address, &statistics, sizeof(statistics)));
    return 0;
}

} // namespace Kernel::Syscalls
