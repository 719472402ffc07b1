#include <ABI/Signals.h>
#include <Core/Ipc/Schema.h>
#include <Userland/Drivers/Common/BlockServer.h>
#include <Userland/Drivers/Common/DeviceResources.h>
#include <Userland/LibC/ServiceRequest.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/DeviceManager/Protocol.h>
#include <string.h>

namespace Drivers {

namespace {

uint8_t s_request_bytes[ABI::channel_maximum_message_bytes];
uint8_t s_reply[ABI::channel_maximum_message_bytes];
// Static: each holds up to a transfer's worth of data, too much for the stack.
Core::Ipc::Received<Block::WriteRequest> s_write;
Block::ReadReply s_read_reply;

template<typename Reply> void send(uint32_t channel, const Reply& reply, uint64_t transaction_id)
{
    auto encoded = Core::Ipc::encode(reply, transaction_id, Core::Bytes(s_reply, sizeof(s_reply)), {});
    if (!encoded.is_error())
        (void)System::channel_write(channel, s_reply, encoded.value().byte_count);
}

bool in_range(const Block::GeometryReply& geometry, uint64_t first, uint64_t count)
{
    return first <= geometry.block_count && count <= geometry.block_count - first;
}

void serve_one(BlockDevice& device, uint32_t channel)
{
    LibC::ServiceRequest request;
    if (!LibC::read_service_request(channel, s_request_bytes, request) || !request.wants_reply)
        return;
    Block::GeometryReply geometry = device.geometry();
    if (!Core::Ipc::decode<Block::GeometryRequest>(request.bytes, {}).is_error()) {
        send(channel, geometry, request.transaction_id);
        return;
    }
    if (auto read = Core::Ipc::decode<Block::ReadRequest>(request.bytes, {}); !read.is_error()) {
        const Block::ReadRequest& message = read.value().message;
        (void)s_read_reply.data.assign(Core::ReadonlyBytes());
        uint64_t bytes = static_cast<uint64_t>(message.block_count) * geometry.block_size;
        if (message.block_count == 0 || bytes > Block::maximum_transfer_bytes) {
            s_read_reply.status = Block::Status::InvalidRequest;
        } else if (!in_range(geometry, message.first_block, message.block_count)) {
            s_read_reply.status = Block::Status::OutOfRange;
        } else {
            s_read_reply.status = device.read(message.first_block, message.block_count);
            if (s_read_reply.status == Block::Status::Ok)
                (void)s_read_reply.data.assign(Core::ReadonlyBytes(device.data_buffer(), bytes));
        }
        send(channel, s_read_reply, request.transaction_id);
        return;
    }
    if (!Core::Ipc::decode_into(request.bytes, {}, s_write).is_error()) {
        Core::ReadonlyBytes data = s_write.message.data.bytes();
        Block::CompletionReply completion;
        uint64_t count = data.size() / geometry.block_size;
        if (data.size() == 0 || data.size() % geometry.block_size != 0) {
            completion.status = Block::Status::InvalidRequest;
        } else if (geometry.read_only) {
            completion.status = Block::Status::ReadOnly;
        } else if (!in_range(geometry, s_write.message.first_block, count)) {
            completion.status = Block::Status::OutOfRange;
        } else {
            memcpy(device.data_buffer(), data.data(), data.size());
            completion.status = device.write(s_write.message.first_block, static_cast<uint32_t>(count));
            completion.blocks_done
                = completion.status == Block::Status::Ok ? static_cast<uint32_t>(count) : 0;
        }
        send(channel, completion, request.transaction_id);
        return;
    }
    Block::CompletionReply completion;
    completion.status = Core::Ipc::decode<Block::FlushRequest>(request.bytes, {}).is_error()
        ? Block::Status::InvalidRequest
        : device.flush();
    send(channel, completion, request.transaction_id);
}

// Answers the device manager's health checks waiting on `health`: each with its sequence.
void answer_health_checks(uint32_t health)
{
    for (;;) {
        uint8_t bytes[64];
        ABI::ChannelReadBuffer buffer { reinterpret_cast<uint64_t>(bytes), sizeof(bytes), 0, 0, 0, 0 };
        if (System::channel_read(health, &buffer) != 0)
            return;
        auto check = Core::Ipc::decode<DeviceManager::HealthCheck>(
            Core::ReadonlyBytes(bytes, buffer.byte_count), {});
        if (check.is_error())
            continue;
        DeviceManager::HealthAnswer answer { check.value().message.sequence };
        uint8_t reply[64];
        auto encoded = Core::Ipc::encode(answer, 0, Core::Bytes(reply, sizeof(reply)), {});
        if (!encoded.is_error())
            (void)System::channel_write(health, reply, encoded.value().byte_count);
    }
}

} // namespace

Block::Status to_status(const Device& device, Outcome outcome)
{
    if (outcome == Outcome::TimedOut || outcome == Outcome::Desynchronised) {
        log(device, "%s; exiting to be restarted",
            outcome == Outcome::TimedOut ? "the device did not complete a command in time"
                                         : "the device completed a command that was not in flight");
        System::process_exit(3);
    }
    return outcome == Outcome::Done ? Block::Status::Ok : Block::Status::DeviceError;
}

void serve_block_device(BlockDevice& device, uint32_t channel)
{
    constexpr uint32_t readable = ABI::signal_bits(ABI::Signal::Readable);
    constexpr uint32_t peer_closed = ABI::signal_bits(ABI::Signal::PeerClosed);
    const LibC::StartupHandle* health = LibC::startup_handle(LibC::HandleRole::DriverHealth);
    ABI::WaitItem items[2]
        = { { channel, readable | peer_closed, 0 }, { health ? health->handle : 0, readable, 0 } };
    for (;;) {
        if (System::object_wait_many(items, health ? 2 : 1, ABI::no_deadline) < 0)
            return;
        if (health && (items[1].observed & readable))
            answer_health_checks(health->handle);
        uint32_t observed = items[0].observed;
        if (!(observed & readable) && (observed & peer_closed))
            return; // the device manager and its clients are gone
        if (observed & readable)
            serve_one(device, channel);
    }
}

} // namespace Drivers
