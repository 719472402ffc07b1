#pragma once

// One request and its reply on a file system channel (any of the three protocols): encode,
// channel_call, and the reply's bytes and its handle, if it carried one. What the VFS and
// the C library share.

#include <Core/Ipc/Schema.h>
#include <Userland/Runtime/System.h>

namespace FileSystem {

struct CallResult {
    // 0, or the channel_call's failure (negative): PeerClosed when the service is gone.
    Core::i64 failure { 0 };
    Core::usize reply_length { 0 };
    // The reply's handle (an open file, a namespace), 0 when it had none. The caller owns it.
    Core::u32 handle { 0 };
};

// Sends `message` on `channel` and waits for its reply in `reply` (capacity bytes, at least
// ABI::channel_maximum_message_bytes to be sure to fit), until `deadline_ns` (TimedOut).
// `request` is scratch space for the encoding (maximum_encoded_size<Message> bytes).
template<typename Message>
CallResult call(Core::u32 channel, const Message& message, Core::Bytes request, Core::Bytes reply,
    Core::u64 deadline_ns = ABI::no_deadline)
{
    CallResult result;
    // The transaction id is the kernel's to route the reply; any non-zero one encodes.
    auto encoded = Core::Ipc::encode(message, 1, request, {});
    if (encoded.is_error()) {
        result.failure = -static_cast<Core::i64>(encoded.error().code());
        return result;
    }
    Core::u32 reply_handles[1] = { 0 };
    ABI::ChannelCallArguments arguments = System::call_arguments(
        request.data(), encoded.value().byte_count, reply.data(), reply.size(), deadline_ns);
    arguments.reply.handles_address = reinterpret_cast<Core::u64>(reply_handles);
    arguments.reply.handles_capacity = 1;
    result.failure = System::channel_call(channel, &arguments);
    if (result.failure != 0)
        return result;
    result.reply_length = arguments.reply.byte_count;
    result.handle = arguments.reply.handle_count == 1 ? reply_handles[0] : 0;
    return result;
}

// The reply's message tag (0 for bytes too short to hold a header).
inline Core::u16 reply_tag(Core::ReadonlyBytes reply)
{
    if (reply.size() < 8)
        return 0;
    return static_cast<Core::u16>(reply[4] | (reply[5] << 8));
}

} // namespace FileSystem
