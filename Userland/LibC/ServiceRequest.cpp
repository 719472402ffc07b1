#include <ABI/Channel.h>
#include <Core/Ipc/MessageHeader.h>
#include <Userland/LibC/ServiceRequest.h>
#include <Userland/Runtime/System.h>

namespace LibC {

bool read_service_request(uint32_t channel, uint8_t* buffer, ServiceRequest& request)
{
    uint32_t handles[ABI::channel_maximum_message_handles];
    ABI::ChannelReadBuffer message { reinterpret_cast<uint64_t>(buffer), ABI::channel_maximum_message_bytes,
        reinterpret_cast<uint64_t>(handles), ABI::channel_maximum_message_handles, 0, 0 };
    if (System::channel_read(channel, &message) != 0)
        return false;
    for (uint64_t index = 0; index < message.handle_count; ++index)
        (void)System::handle_close(handles[index]);
    request.bytes = Core::ReadonlyBytes(buffer, message.byte_count);
    auto header = Core::Ipc::read_header(request.bytes, message.handle_count);
    request.wants_reply = !header.is_error() && header.value().transaction_id != 0
        && !(header.value().flags & Core::Ipc::MessageFlags::reply);
    request.transaction_id = header.is_error() ? 0 : header.value().transaction_id;
    return true;
}

} // namespace LibC
