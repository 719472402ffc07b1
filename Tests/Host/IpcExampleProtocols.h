#pragma once

// The example protocols of docs/ipc-schemas.md, shared by the schema's host tests
// (IpcSchemaTests.cpp) and its fuzzer (Tests/Fuzz/IpcSchemaFuzzer.cpp).
//
// BlockDevice is the protocol a block-device service could speak: geometry, read, write,
// flush, and one completion reply. Data moves through a memory object whose handle travels
// with the request, so messages stay small. FieldSampler is not a protocol: it holds one
// field of every kind, and fields of three versions, so that the tests and the fuzzer
// reach every descriptor.

#include <Core/Ipc/Schema.h>

namespace IpcExamples {

using namespace Core;
using Core::Ipc::FieldList;
using Core::Ipc::MessageKind;
using Core::Ipc::Since;
namespace Field = Core::Ipc::Field;

namespace BlockDevice {

inline constexpr u32 protocol_id = 0x00010001;

namespace Tag {
inline constexpr u16 geometry_request = 1;
inline constexpr u16 geometry_reply = 2;
inline constexpr u16 read_request = 3;
inline constexpr u16 write_request = 4;
inline constexpr u16 flush_request = 5;
inline constexpr u16 completion_reply = 6;
} // namespace Tag

namespace Feature {
inline constexpr u32 read_only = 1 << 0;
inline constexpr u32 volatile_cache = 1 << 1;
inline constexpr u32 known = read_only | volatile_cache;
} // namespace Feature

struct GeometryRequest {
    static constexpr u32 protocol_id = BlockDevice::protocol_id;
    static constexpr u16 message_tag = Tag::geometry_request;
    static constexpr u16 version = 1;
    static constexpr MessageKind kind = MessageKind::Request;

    using Fields = FieldList<>;
    bool operator==(const GeometryRequest&) const = default;
};

struct GeometryReply {
    static constexpr u32 protocol_id = BlockDevice::protocol_id;
    static constexpr u16 message_tag = Tag::geometry_reply;
    static constexpr u16 version = 2;
    static constexpr MessageKind kind = MessageKind::Reply;

    u64 block_count { 0 };
    u32 block_size { 0 };
    u32 features { 0 };
    Ipc::FixedBytes<16> device_id;
    Ipc::BoundedString<64> model;
    // Version 2: whether the medium can go away; version 1 senders leave it false.
    bool removable { false };

    using Fields = FieldList<Field::Integer<&GeometryReply::block_count>,
        Field::Integer<&GeometryReply::block_size>, Field::BitSet<&GeometryReply::features, Feature::known>,
        Field::FixedBytes<&GeometryReply::device_id>, Field::BoundedString<&GeometryReply::model>,
        Since<2, Field::Boolean<&GeometryReply::removable>>>;
    bool operator==(const GeometryReply&) const = default;
};

struct ReadRequest {
    static constexpr u32 protocol_id = BlockDevice::protocol_id;
    static constexpr u16 message_tag = Tag::read_request;
    static constexpr u16 version = 1;
    static constexpr MessageKind kind = MessageKind::Request;

    u64 first_block { 0 };
    u32 block_count { 0 };
    // A memory object the service writes the blocks into, at buffer_offset.
    Ipc::Handle buffer;
    u64 buffer_offset { 0 };

    using Fields
        = FieldList<Field::Integer<&ReadRequest::first_block>, Field::Integer<&ReadRequest::block_count>,
            Field::Handle<&ReadRequest::buffer>, Field::Integer<&ReadRequest::buffer_offset>>;
    bool operator==(const ReadRequest&) const = default;
};

enum class WriteMode : u8 {
    // Complete once the device has the data, possibly only in its cache.
    WriteBack = 0,
    // Complete once the data is on stable storage.
    WriteThrough = 1,
};

struct WriteRequest {
    static constexpr u32 protocol_id = BlockDevice::protocol_id;
    static constexpr u16 message_tag = Tag::write_request;
    static constexpr u16 version = 2;
    static constexpr MessageKind kind = MessageKind::Request;

    u64 first_block { 0 };
    u32 block_count { 0 };
    // A memory object the service reads the blocks from, at buffer_offset.
    Ipc::Handle buffer;
    u64 buffer_offset { 0 };
    WriteMode mode { WriteMode::WriteBack };
    // Version 2: a hint for the service's queue, 0 (default) to 255.
    u8 priority { 0 };

    using Fields
        = FieldList<Field::Integer<&WriteRequest::first_block>, Field::Integer<&WriteRequest::block_count>,
            Field::Handle<&WriteRequest::buffer>, Field::Integer<&WriteRequest::buffer_offset>,
            Field::Enumeration<&WriteRequest::mode, WriteMode::WriteBack, WriteMode::WriteThrough>,
            Since<2, Field::Integer<&WriteRequest::priority>>>;
    bool operator==(const WriteRequest&) const = default;
};

struct FlushRequest {
    static constexpr u32 protocol_id = BlockDevice::protocol_id;
    static constexpr u16 message_tag = Tag::flush_request;
    static constexpr u16 version = 1;
    static constexpr MessageKind kind = MessageKind::Request;

    using Fields = FieldList<>;
    bool operator==(const FlushRequest&) const = default;
};

enum class Status : u16 {
    Done = 0,
    DeviceError = 1,
    OutOfRange = 2,
    ReadOnly = 3,
};

// The reply to ReadRequest, WriteRequest and FlushRequest.
struct CompletionReply {
    static constexpr u32 protocol_id = BlockDevice::protocol_id;
    static constexpr u16 message_tag = Tag::completion_reply;
    static constexpr u16 version = 1;
    static constexpr MessageKind kind = MessageKind::Reply;

    Status status { Status::Done };
    u32 blocks_done { 0 };

    using Fields = FieldList<Field::Enumeration<&CompletionReply::status, Status::Done, Status::DeviceError,
                                 Status::OutOfRange, Status::ReadOnly>,
        Field::Integer<&CompletionReply::blocks_done>>;
    bool operator==(const CompletionReply&) const = default;
};

} // namespace BlockDevice

enum class Temperature : i8 {
    Cold = -1,
    Mild = 0,
    Hot = 1,
};

struct FieldSampler {
    static constexpr u32 protocol_id = 0x0000FFFF;
    static constexpr u16 message_tag = 1;
    static constexpr u16 version = 3;
    static constexpr MessageKind kind = MessageKind::Event;

    static constexpr u16 known_bits = 0x0105;

    u8 unsigned_8 { 0 };
    u16 unsigned_16 { 0 };
    u32 unsigned_32 { 0 };
    u64 unsigned_64 { 0 };
    i8 signed_8 { 0 };
    i16 signed_16 { 0 };
    i32 signed_32 { 0 };
    i64 signed_64 { 0 };
    bool flag { false };
    Temperature temperature { Temperature::Mild };
    u16 bits { 0 };
    Ipc::FixedBytes<4> fixed;
    Ipc::BoundedBytes<8> blob;
    Ipc::BoundedString<12> name;
    Ipc::Handle first_handle;
    // Version 2.
    u32 added_in_2 { 7 };
    Ipc::Handle handle_added_in_2;
    // Version 3.
    Ipc::BoundedString<8> text_added_in_3;

    using Fields = FieldList<Field::Integer<&FieldSampler::unsigned_8>,
        Field::Integer<&FieldSampler::unsigned_16>, Field::Integer<&FieldSampler::unsigned_32>,
        Field::Integer<&FieldSampler::unsigned_64>, Field::Integer<&FieldSampler::signed_8>,
        Field::Integer<&FieldSampler::signed_16>, Field::Integer<&FieldSampler::signed_32>,
        Field::Integer<&FieldSampler::signed_64>, Field::Boolean<&FieldSampler::flag>,
        Field::Enumeration<&FieldSampler::temperature, Temperature::Cold, Temperature::Mild,
            Temperature::Hot>,
        Field::BitSet<&FieldSampler::bits, known_bits>, Field::FixedBytes<&FieldSampler::fixed>,
        Field::BoundedBytes<&FieldSampler::blob>, Field::BoundedString<&FieldSampler::name>,
        Field::Handle<&FieldSampler::first_handle>, Since<2, Field::Integer<&FieldSampler::added_in_2>>,
        Since<2, Field::Handle<&FieldSampler::handle_added_in_2>>,
        Since<3, Field::BoundedString<&FieldSampler::text_added_in_3>>>;
    bool operator==(const FieldSampler&) const = default;
};

} // namespace IpcExamples
