// The server of the IPC benchmark (IpcBenchmark.cpp, which carries this image): answers
// calls on the channel endpoint it was started with, echoing each request, until the
// client closes its end.

#include <ABI/Channel.h>
#include <ABI/Process.h>
#include <ABI/Signals.h>
#include <Userland/Runtime/System.h>

extern "C" int64_t main(uint64_t, uint64_t, const ABI::StartupHandles* startup)
{
    if (startup->count != 1)
        return 1;
    uint32_t channel = startup->handles[0];
    uint8_t message[64];
    for (;;) {
        ABI::ChannelReadBuffer buffer {};
        buffer.bytes_address = reinterpret_cast<uint64_t>(message);
        buffer.bytes_capacity = sizeof(message);
        int64_t read = System::channel_read(channel, &buffer);
        if (read == System::failure(ABI::ErrorCode::WouldBlock)) {
            if (System::object_wait(channel,
                    ABI::signal_bits(ABI::Signal::Readable) | ABI::signal_bits(ABI::Signal::PeerClosed),
                    ABI::no_deadline)
                < 0)
                return 2;
            continue;
        }
        if (read == System::failure(ABI::ErrorCode::PeerClosed))
            return 0;
        if (read != 0)
            return 3;
        // The request's header, transaction id included, comes back as the reply's.
        if (System::channel_write(channel, message, buffer.byte_count) != 0)
            return 4;
    }
}
