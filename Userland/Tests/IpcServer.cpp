// The server of the IPC benchmarks (IpcBenchmark.cpp, which carries this image): serves the
// channel endpoint it was started with through channel_serve, echoing each call's request as
// its reply and taking other messages without answering, until the client closes its end.
//
// Argument: a CPU mask to restrict itself to (thread_set_affinity), or 0 for none.

#include <ABI/Channel.h>
#include <ABI/Process.h>
#include <Userland/Runtime/System.h>

extern "C" int64_t main(uint64_t cpu_mask, uint64_t, const ABI::StartupHandles* startup)
{
    if (startup->count != 1)
        return 1;
    if (cpu_mask != 0 && System::thread_set_affinity(cpu_mask) != 0)
        return 2;
    uint32_t channel = startup->handles[0];
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
        // A call's request carries a kernel transaction id (ABI/Channel.h); the request,
        // header and id included, comes back as the reply. Other messages get none.
        uint64_t transaction = 0;
        if (serve.request.byte_count >= ABI::channel_call_minimum_bytes)
            __builtin_memcpy(&transaction, message + ABI::channel_transaction_id_offset, sizeof(transaction));
        bool is_call = (transaction & ABI::channel_kernel_transaction_bit) != 0;
        serve.reply_bytes_address = reinterpret_cast<uint64_t>(message);
        serve.reply_byte_count = serve.request.byte_count;
        serve.flags = is_call ? static_cast<uint64_t>(ABI::ChannelServeFlag::Reply) : 0;
    }
}
