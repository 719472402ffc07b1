#pragma once

// The block-device protocol (docs/devices.md#block-devices), in the typed schema of
// Core/Ipc: what every disk driver (virtio-blk, AHCI, NVMe) serves on its channel, and what
// the device manager hands its clients a channel for. Data travels inside the messages, at
// most maximum_transfer_bytes a request; blocks are the device's (block_size bytes).

#include <Core/Ipc/Schema.h>
#include <Core/Types.h>

namespace Block {

namespace Ipc = Core::Ipc;
namespace Field = Core::Ipc::Field;

inline constexpr Core::u32 protocol_id = 0x00040001;
// The most bytes one read or write moves: 32 KiB, well inside a 64 KiB message.
inline constexpr Core::u32 maximum_transfer_bytes = 32 * 1024;

enum class Status : Core::u16 {
    Ok = 0,
    // The device reported a failure, or did not answer in time.
    DeviceError = 1,
    // Blocks past the end of the device.
    OutOfRange = 2,
    // A write to a device that refuses writes.
    ReadOnly = 3,
    // A count of zero, over maximum_transfer_bytes, or data that is not whole blocks.
    InvalidRequest = 4,
};

struct GeometryRequest {
    static constexpr Core::u32 protocol_id = Block::protocol_id;
    static constexpr Core::u16 message_tag = 1;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    using Fields = Ipc::FieldList<>;
};

struct GeometryReply {
    static constexpr Core::u32 protocol_id = Block::protocol_id;
    static constexpr Core::u16 message_tag = 2;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    Core::u64 block_count { 0 };
    Core::u32 block_size { 0 };
    // How many requests the device can hold at once.
    Core::u16 queue_depth { 0 };
    bool read_only { false };
    // Whether the device has a volatile write cache, which FlushRequest empties.
    bool write_cache { false };
    // The driver's name for the controller ("virtio-blk", "ahci", "nvme").
    Ipc::BoundedString<16> driver;

    using Fields = Ipc::FieldList<Field::Integer<&GeometryReply::block_count>,
        Field::Integer<&GeometryReply::block_size>, Field::Integer<&GeometryReply::queue_depth>,
        Field::Boolean<&GeometryReply::read_only>, Field::Boolean<&GeometryReply::write_cache>,
        Field::BoundedString<&GeometryReply::driver>>;
};

struct ReadRequest {
    static constexpr Core::u32 protocol_id = Block::protocol_id;
    static constexpr Core::u16 message_tag = 3;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    Core::u64 first_block { 0 };
    Core::u32 block_count { 0 };

    using Fields = Ipc::FieldList<Field::Integer<&ReadRequest::first_block>,
        Field::Integer<&ReadRequest::block_count>>;
};

// The blocks read, all of them or none: `data` is empty unless `status` is Ok.
struct ReadReply {
    static constexpr Core::u32 protocol_id = Block::protocol_id;
    static constexpr Core::u16 message_tag = 4;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    Status status { Status::Ok };
    Ipc::BoundedBytes<maximum_transfer_bytes> data;

    using Fields = Ipc::FieldList<Field::Enumeration<&ReadReply::status, Status::Ok, Status::DeviceError,
                                      Status::OutOfRange, Status::ReadOnly, Status::InvalidRequest>,
        Field::BoundedBytes<&ReadReply::data>>;
};

// Writes `data` (whole blocks) from `first_block` on.
struct WriteRequest {
    static constexpr Core::u32 protocol_id = Block::protocol_id;
    static constexpr Core::u16 message_tag = 5;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    Core::u64 first_block { 0 };
    Ipc::BoundedBytes<maximum_transfer_bytes> data;

    using Fields = Ipc::FieldList<Field::Integer<&WriteRequest::first_block>,
        Field::BoundedBytes<&WriteRequest::data>>;
};

// Returns once everything written before it is on stable storage.
struct FlushRequest {
    static constexpr Core::u32 protocol_id = Block::protocol_id;
    static constexpr Core::u16 message_tag = 6;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    using Fields = Ipc::FieldList<>;
};

// The answer to a write or a flush (and to a request the driver does not know:
// InvalidRequest).
struct CompletionReply {
    static constexpr Core::u32 protocol_id = Block::protocol_id;
    static constexpr Core::u16 message_tag = 7;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    Status status { Status::Ok };
    Core::u32 blocks_done { 0 };

    using Fields
        = Ipc::FieldList<Field::Enumeration<&CompletionReply::status, Status::Ok, Status::DeviceError,
                             Status::OutOfRange, Status::ReadOnly, Status::InvalidRequest>,
            Field::Integer<&CompletionReply::blocks_done>>;
};

} // namespace Block
