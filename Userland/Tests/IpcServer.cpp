// The server of the IPC benchmarks (IpcBenchmark.cpp, which carries this image): serves the
// channel endpoint it was started with through channel_serve, echoing each call's request as
// its reply and taking other messages without answering, until the client closes its end.
//
// Argument: bits 0-31, a CPU mask to restrict itself to (thread_set_affinity), or 0 for
// none; bit 63 (ipc_server_in_registers), serve with channel_serve_registers instead
// (docs/ipc.md#register-form).

#include <ABI/Channel.h>
#include <ABI/Process.h>
#include <Userland/Runtime/System.h>

namespace {

bool is_call(uint64_t byte_count, const void* bytes)
{
    // A call's request carries a kernel transaction id (ABI/Channel.h).
    uint64_t transaction = 0;
    if (byte_count >= ABI::channel_call_minimum_bytes)
        __builtin_memcpy(&transaction,
            static_cast<const uint8_t*>(bytes) + ABI::channel_transaction_id_offset, sizeof(transaction));
    return (transaction & ABI::channel_kernel_transaction_bit) != 0;
}

// The same loop in the register form: the request comes back as the reply, word for word.
int64_t serve_in_registers(uint32_t channel)
{
    System::RegisterMessage message {};
    for (;;) {
        bool reply_sent = false;
        int64_t served = System::channel_serve_registers(channel, message, reply_sent);
        if (served == System::failure(ABI::ErrorCode::PeerClosed))
            return 0;
        if (served != 0)
            return 3;
        if (!is_call(message.byte_count, message.words))
            message.byte_count = 0;
    }
}

} // namespace

extern "C" int64_t main(uint64_t argument, uint64_t, const ABI::StartupHandles* startup)
{
    if (startup->count != 1)
        return 1;
    uint64_t cpu_mask = argument & 0xFFFFFFFF;
    if (cpu_mask != 0 && System::thread_set_affinity(cpu_mask) != 0)
        return 2;
    uint32_t channel = startup->handles[0];
    if (argument & (1ull << 63))
        return serve_in_registers(channel);
    uint8_t message[64];
    ABI::ChannelServeArguments serve {};
    serve.request.bytes_address = reinterpret_cast<uint64_t>(message);
    serve.request.bytes_capacity = sizeof(message);
    serve.deadline_ns = ABI::no_deadline;
    for (;;) {
        int64_t served = System::channel_serve(channel, &serve);
        if (served == System::failure(ABI::ErrorCode::PeerClosed))
            return 0;
        if (served != 0)
            return 3;
        // The request of a call, header and id included, comes back as the reply. Other
        // messages get none.
        serve.reply_bytes_address = reinterpret_cast<uint64_t>(message);
        serve.reply_byte_count = serve.request.byte_count;
        serve.flags = is_call(serve.request.byte_count, message)
            ? static_cast<uint64_t>(ABI::ChannelServeFlag::Reply)
            : 0;
    }
}
