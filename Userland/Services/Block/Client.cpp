#include <Core/Ipc/Schema.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Block/Client.h>
#include <string.h>

namespace Block {

namespace {

uint8_t s_request[ABI::channel_maximum_message_bytes];
uint8_t s_reply[ABI::channel_maximum_message_bytes];
// How long a client waits for a driver: longer than a driver waits for its device, so
// that a device that hangs shows as the driver's error, not as a lost answer.
constexpr uint64_t call_timeout_ns = 10'000'000'000;

// Sends `message` and waits for the reply; its bytes in s_reply. The transaction id is the
// kernel's; any non-zero one encodes. `handle` receives the reply's handle, if it has one.
template<typename Message>
bool call(uint32_t channel, const Message& message, size_t& reply_length, uint32_t* handle = nullptr)
{
    auto encoded = Core::Ipc::encode(message, 1, Core::Bytes(s_request, sizeof(s_request)), {});
    if (encoded.is_error())
        return false;
    uint32_t reply_handles[1] = { 0 };
    ABI::ChannelCallArguments arguments = System::call_arguments(s_request, encoded.value().byte_count,
        s_reply, sizeof(s_reply), System::clock_monotonic() + call_timeout_ns);
    arguments.reply.handles_address = reinterpret_cast<uint64_t>(reply_handles);
    arguments.reply.handles_capacity = handle ? 1 : 0;
    if (System::channel_call(channel, &arguments) != 0)
        return false;
    reply_length = arguments.reply.byte_count;
    if (handle)
        *handle = arguments.reply.handle_count == 1 ? reply_handles[0] : 0;
    return true;
}

} // namespace

int list_devices(uint32_t device_manager, DeviceManager::BlockDeviceRecord* records, int capacity)
{
    size_t length = 0;
    if (!call(device_manager, DeviceManager::ListBlockDevicesRequest {}, length))
        return -1;
    static Core::Ipc::Received<DeviceManager::BlockDeviceList> list;
    if (Core::Ipc::decode_into(Core::ReadonlyBytes(s_reply, length), {}, list).is_error()
        || list.message.records.bytes().size() % sizeof(DeviceManager::BlockDeviceRecord) != 0)
        return -1;
    int count
        = static_cast<int>(list.message.records.bytes().size() / sizeof(DeviceManager::BlockDeviceRecord));
    if (count > capacity)
        count = capacity;
    memcpy(records, list.message.records.bytes().data(), static_cast<size_t>(count) * sizeof(records[0]));
    return count;
}

uint32_t open_device(uint32_t device_manager, const char* name)
{
    DeviceManager::OpenBlockDeviceRequest request;
    if (request.name.assign(Core::StringView(name, strlen(name))).is_error())
        return 0;
    size_t length = 0;
    uint32_t handle = 0;
    if (!call(device_manager, request, length, &handle))
        return 0;
    ABI::HandleValue delivered[1] = { handle };
    auto reply = Core::Ipc::decode<DeviceManager::BlockDeviceChannel>(
        Core::ReadonlyBytes(s_reply, length), Core::Span<const ABI::HandleValue>(delivered, handle ? 1 : 0));
    if (reply.is_error()) {
        if (handle)
            (void)System::handle_close(handle);
        return 0;
    }
    return reply.value().message.channel.value;
}

bool geometry(uint32_t channel, GeometryReply& reply)
{
    size_t length = 0;
    if (!call(channel, GeometryRequest {}, length))
        return false;
    auto decoded = Core::Ipc::decode<GeometryReply>(Core::ReadonlyBytes(s_reply, length), {});
    if (decoded.is_error())
        return false;
    reply = decoded.value().message;
    return true;
}

bool read(uint32_t channel, uint64_t first_block, uint32_t block_count, uint32_t block_size, uint8_t* buffer,
    Status& status)
{
    size_t length = 0;
    if (!call(channel, ReadRequest { first_block, block_count }, length))
        return false;
    static Core::Ipc::Received<ReadReply> reply;
    (void)reply.message.data.assign(Core::ReadonlyBytes());
    if (Core::Ipc::decode_into(Core::ReadonlyBytes(s_reply, length), {}, reply).is_error())
        return false;
    status = reply.message.status;
    if (status == Status::Ok) {
        if (reply.message.data.bytes().size() != static_cast<size_t>(block_count) * block_size)
            return false;
        memcpy(buffer, reply.message.data.bytes().data(), reply.message.data.bytes().size());
    }
    return true;
}

bool write(uint32_t channel, uint64_t first_block, const uint8_t* data, size_t length, Status& status)
{
    static WriteRequest request;
    request.first_block = first_block;
    if (request.data.assign(Core::ReadonlyBytes(data, length)).is_error())
        return false;
    size_t reply_length = 0;
    if (!call(channel, request, reply_length))
        return false;
    auto decoded = Core::Ipc::decode<CompletionReply>(Core::ReadonlyBytes(s_reply, reply_length), {});
    if (decoded.is_error())
        return false;
    status = decoded.value().message.status;
    return true;
}

bool flush(uint32_t channel, Status& status)
{
    size_t length = 0;
    if (!call(channel, FlushRequest {}, length))
        return false;
    auto decoded = Core::Ipc::decode<CompletionReply>(Core::ReadonlyBytes(s_reply, length), {});
    if (decoded.is_error())
        return false;
    status = decoded.value().message.status;
    return true;
}

} // namespace Block
