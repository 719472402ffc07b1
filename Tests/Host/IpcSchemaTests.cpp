// Tests for the IPC message schema layer (Core/Ipc/Schema.h, docs/ipc-schemas.md), on the
// example protocols of IpcExampleProtocols.h. Encoded messages are inspected and altered
// byte by byte at offsets written out here, not taken from the library, so that a change
// of the wire format shows up as a failing test.

#include "IpcExampleProtocols.h"

#include <Core/Ipc/Schema.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <limits>
#include <vector>

namespace {

using namespace IpcExamples;
using namespace IpcExamples::BlockDevice;
using Core::ErrorCode;
using Core::Ipc::decode;
using Core::Ipc::encode;
using Core::Ipc::encode_as_version;
using Bytes = std::vector<std::uint8_t>;
using Handles = std::vector<ABI::HandleValue>;

// Header offsets, from the table in docs/ipc-schemas.md.
constexpr size_t protocol_offset = 0;
constexpr size_t tag_offset = 4;
constexpr size_t version_offset = 6;
constexpr size_t length_offset = 8;
constexpr size_t flags_offset = 12;
constexpr size_t handle_count_offset = 14;
constexpr size_t reserved_offset = 15;
constexpr size_t transaction_offset = 16;
constexpr size_t body_offset = 24;

struct Encoded {
    Bytes bytes;
    Handles handles;
};

template<typename Message>
Encoded encode_or_fail(
    const Message& message, std::uint64_t transaction_id, std::uint16_t version = Message::version)
{
    Encoded encoded { Bytes(Core::Ipc::maximum_encoded_size<Message>),
        Handles(Core::Ipc::maximum_handle_count) };
    auto result = encode_as_version(version, message, transaction_id,
        Core::Bytes(encoded.bytes.data(), encoded.bytes.size()),
        Core::Span<ABI::HandleValue>(encoded.handles.data(), encoded.handles.size()));
    EXPECT_FALSE(result.is_error()) << result.error().name();
    if (result.is_error())
        return {};
    encoded.bytes.resize(result.value().byte_count);
    encoded.handles.resize(result.value().handle_count);
    return encoded;
}

template<typename Message>
Core::Result<Core::Ipc::Received<Message>> decode_bytes(const Bytes& bytes, const Handles& handles)
{
    return decode<Message>(Core::ReadonlyBytes(bytes.data(), bytes.size()),
        Core::Span<const ABI::HandleValue>(handles.data(), handles.size()));
}

template<typename Message> ErrorCode decode_error(const Bytes& bytes, const Handles& handles)
{
    auto result = decode_bytes<Message>(bytes, handles);
    EXPECT_TRUE(result.is_error());
    return result.is_error() ? result.error().code() : ErrorCode::Count;
}

template<typename Message>
ErrorCode encode_error(const Message& message, std::uint64_t transaction_id,
    std::uint16_t version = Message::version, size_t buffer_size = Core::Ipc::maximum_encoded_size<Message>,
    size_t handle_capacity = Core::Ipc::maximum_handle_count)
{
    Bytes buffer(buffer_size);
    Handles handles(handle_capacity);
    auto result
        = encode_as_version(version, message, transaction_id, Core::Bytes(buffer.data(), buffer.size()),
            Core::Span<ABI::HandleValue>(handles.data(), handles.size()));
    EXPECT_TRUE(result.is_error());
    return result.is_error() ? result.error().code() : ErrorCode::Count;
}

void put_u16(Bytes& bytes, size_t offset, std::uint16_t value)
{
    bytes[offset] = static_cast<std::uint8_t>(value);
    bytes[offset + 1] = static_cast<std::uint8_t>(value >> 8);
}

void put_u32(Bytes& bytes, size_t offset, std::uint32_t value)
{
    for (size_t index = 0; index < 4; ++index)
        bytes[offset + index] = static_cast<std::uint8_t>(value >> (8 * index));
}

void put_u64(Bytes& bytes, size_t offset, std::uint64_t value)
{
    for (size_t index = 0; index < 8; ++index)
        bytes[offset + index] = static_cast<std::uint8_t>(value >> (8 * index));
}

// Keeps the header's length field equal to the byte count after a test grows or shrinks
// a message, so that the rule under test is the only one broken.
void fix_length(Bytes& bytes)
{
    put_u32(bytes, length_offset, static_cast<std::uint32_t>(bytes.size()));
}

WriteRequest sample_write_request()
{
    WriteRequest request;
    request.first_block = 0x0102030405060708;
    request.block_count = 0x10;
    request.buffer.value = 0x55;
    request.buffer_offset = 0x1000;
    request.mode = WriteMode::WriteThrough;
    request.priority = 9;
    return request;
}

FieldSampler sample_fields()
{
    FieldSampler sampler;
    sampler.unsigned_8 = 0xFE;
    sampler.unsigned_16 = 0xBEEF;
    sampler.unsigned_32 = 0xDEADBEEF;
    sampler.unsigned_64 = std::numeric_limits<std::uint64_t>::max();
    sampler.signed_8 = -128;
    sampler.signed_16 = -2;
    sampler.signed_32 = std::numeric_limits<std::int32_t>::min();
    sampler.signed_64 = -0x0123456789ABCDEF;
    sampler.flag = true;
    sampler.temperature = Temperature::Cold;
    sampler.bits = 0x0104;
    sampler.fixed = { { 0xDE, 0xAD, 0x00, 0x01 } };
    const std::uint8_t blob[] = { 0x00, 0xFF, 0x80 };
    EXPECT_FALSE(sampler.blob.assign(Core::ReadonlyBytes(blob, sizeof(blob))).is_error());
    EXPECT_FALSE(sampler.name.assign("h\xC3\xA9llo \xE2\x82\xAC").is_error());
    sampler.first_handle.value = 0x1001;
    sampler.added_in_2 = 0xCAFE;
    sampler.handle_added_in_2.value = 0x2002;
    EXPECT_FALSE(sampler.text_added_in_3.assign("v3").is_error());
    return sampler;
}

// Where FieldSampler's fields start in its body: integers 1+2+4+8 and 1+2+4+8, then
// bool, enum (i8), bits (u16), fixed (4), blob (2 + length), name (2 + length).
constexpr size_t sampler_flag_offset = body_offset + 30;
constexpr size_t sampler_temperature_offset = sampler_flag_offset + 1;
constexpr size_t sampler_bits_offset = sampler_temperature_offset + 1;
constexpr size_t sampler_fixed_offset = sampler_bits_offset + 2;
constexpr size_t sampler_blob_offset = sampler_fixed_offset + 4;
// With the three-byte blob of sample_fields().
constexpr size_t sampler_name_offset = sampler_blob_offset + 2 + 3;

// ---- The wire format, pinned -----------------------------------------------------------

TEST(IpcSchema, write_request_has_the_documented_byte_layout)
{
    Encoded encoded = encode_or_fail(sample_write_request(), 0x1122334455667788);
    const Bytes expected = {
        // Header: protocol 0x00010001, tag 4, version 2, length 46, no flags, one handle,
        // reserved zero, transaction 0x1122334455667788.
        0x01, 0x00, 0x01, 0x00, 0x04, 0x00, 0x02, 0x00, 0x2E, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, //
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, //
        // first_block, block_count, buffer_offset (the handle takes no bytes), mode, priority.
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x10, 0x00, 0x00, 0x00, //
        0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x09 //
    };
    EXPECT_EQ(encoded.bytes, expected);
    EXPECT_EQ(encoded.handles, Handles { 0x55 });
}

TEST(IpcSchema, replies_set_the_reply_flag_and_strings_carry_a_length_prefix)
{
    GeometryReply reply;
    reply.block_count = 0x800;
    reply.block_size = 512;
    reply.features = Feature::volatile_cache;
    reply.device_id.bytes[0] = 0xAB;
    reply.device_id.bytes[15] = 0xCD;
    ASSERT_FALSE(reply.model.assign("disk").is_error());
    reply.removable = true;
    Encoded encoded = encode_or_fail(reply, 3);

    Bytes expected = {
        0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, //
        0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, //
        0xAB, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xCD, //
        0x04, 0x00, 'd', 'i', 's', 'k', 0x01 //
    };
    fix_length(expected);
    EXPECT_EQ(expected.size(), 63u);
    EXPECT_EQ(encoded.bytes, expected);
    EXPECT_TRUE(encoded.handles.empty());
}

TEST(IpcSchema, read_header_reports_every_header_field)
{
    Encoded encoded = encode_or_fail(sample_write_request(), 0x1122334455667788);
    auto header = Core::Ipc::read_header(Core::ReadonlyBytes(encoded.bytes.data(), encoded.bytes.size()), 1);
    ASSERT_FALSE(header.is_error());
    EXPECT_EQ(header.value().protocol_id, protocol_id);
    EXPECT_EQ(header.value().message_tag, Tag::write_request);
    EXPECT_EQ(header.value().version, 2);
    EXPECT_EQ(header.value().total_length, 46u);
    EXPECT_EQ(header.value().flags, 0);
    EXPECT_FALSE(header.value().is_reply());
    EXPECT_EQ(header.value().handle_count, 1);
    EXPECT_EQ(header.value().transaction_id, 0x1122334455667788u);
}

// ---- Round trips -----------------------------------------------------------------------

TEST(IpcSchema, every_field_kind_survives_a_round_trip)
{
    FieldSampler sampler = sample_fields();
    Encoded encoded = encode_or_fail(sampler, 0);
    EXPECT_EQ(encoded.handles, (Handles { 0x1001, 0x2002 }));
    auto decoded = decode_bytes<FieldSampler>(encoded.bytes, encoded.handles);
    ASSERT_FALSE(decoded.is_error()) << decoded.error().name();
    EXPECT_EQ(decoded.value().message, sampler);
    EXPECT_EQ(decoded.value().header.version, 3);
    EXPECT_EQ(decoded.value().header.transaction_id, 0u);
    EXPECT_EQ(decoded.value().message.name.view(), "h\xC3\xA9llo \xE2\x82\xAC"_sv);
    EXPECT_EQ(decoded.value().message.signed_64, -0x0123456789ABCDEF);
}

TEST(IpcSchema, integers_keep_their_extreme_values)
{
    FieldSampler sampler = sample_fields();
    for (bool use_maximum : { false, true }) {
        sampler.unsigned_8 = use_maximum ? 0xFF : 0;
        sampler.unsigned_16 = use_maximum ? 0xFFFF : 0;
        sampler.unsigned_32 = use_maximum ? 0xFFFFFFFF : 0;
        sampler.unsigned_64 = use_maximum ? std::numeric_limits<std::uint64_t>::max() : 0;
        sampler.signed_8
            = use_maximum ? std::numeric_limits<std::int8_t>::max() : std::numeric_limits<std::int8_t>::min();
        sampler.signed_16 = use_maximum ? std::numeric_limits<std::int16_t>::max()
                                        : std::numeric_limits<std::int16_t>::min();
        sampler.signed_32 = use_maximum ? std::numeric_limits<std::int32_t>::max()
                                        : std::numeric_limits<std::int32_t>::min();
        sampler.signed_64 = use_maximum ? std::numeric_limits<std::int64_t>::max()
                                        : std::numeric_limits<std::int64_t>::min();
        Encoded encoded = encode_or_fail(sampler, 0);
        auto decoded = decode_bytes<FieldSampler>(encoded.bytes, encoded.handles);
        ASSERT_FALSE(decoded.is_error());
        EXPECT_EQ(decoded.value().message, sampler);
    }
}

TEST(IpcSchema, every_enum_value_and_known_bit_combination_survives)
{
    FieldSampler sampler = sample_fields();
    for (Temperature temperature : { Temperature::Cold, Temperature::Mild, Temperature::Hot }) {
        for (std::uint16_t bits : { 0x0000, 0x0001, 0x0004, 0x0100, 0x0105 }) {
            for (bool flag : { false, true }) {
                sampler.temperature = temperature;
                sampler.bits = bits;
                sampler.flag = flag;
                Encoded encoded = encode_or_fail(sampler, 0);
                auto decoded = decode_bytes<FieldSampler>(encoded.bytes, encoded.handles);
                ASSERT_FALSE(decoded.is_error());
                EXPECT_EQ(decoded.value().message, sampler);
            }
        }
    }
}

TEST(IpcSchema, empty_and_full_bounded_fields_survive)
{
    FieldSampler sampler = sample_fields();
    ASSERT_FALSE(sampler.blob.assign({}).is_error());
    ASSERT_FALSE(sampler.name.assign("").is_error());
    Encoded empty = encode_or_fail(sampler, 0);
    auto decoded_empty = decode_bytes<FieldSampler>(empty.bytes, empty.handles);
    ASSERT_FALSE(decoded_empty.is_error());
    EXPECT_EQ(decoded_empty.value().message.blob.length(), 0u);
    EXPECT_EQ(decoded_empty.value().message, sampler);

    const std::uint8_t eight_bytes[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    ASSERT_FALSE(sampler.blob.assign(Core::ReadonlyBytes(eight_bytes, 8)).is_error());
    ASSERT_FALSE(sampler.name.assign("twelve bytes").is_error());
    Encoded full = encode_or_fail(sampler, 0);
    EXPECT_EQ(full.bytes.size(), empty.bytes.size() + 8 + 12);
    auto decoded_full = decode_bytes<FieldSampler>(full.bytes, full.handles);
    ASSERT_FALSE(decoded_full.is_error());
    EXPECT_EQ(decoded_full.value().message, sampler);
}

TEST(IpcSchema, block_device_messages_survive_a_round_trip)
{
    auto geometry_request = encode_or_fail(GeometryRequest {}, 1);
    EXPECT_EQ(geometry_request.bytes.size(), body_offset);
    EXPECT_FALSE(decode_bytes<GeometryRequest>(geometry_request.bytes, {}).is_error());
    EXPECT_FALSE(decode_bytes<FlushRequest>(encode_or_fail(FlushRequest {}, 2).bytes, {}).is_error());

    ReadRequest read;
    read.first_block = 77;
    read.block_count = 8;
    read.buffer.value = 0x30003;
    read.buffer_offset = 4096;
    Encoded read_encoded = encode_or_fail(read, 5);
    auto read_decoded = decode_bytes<ReadRequest>(read_encoded.bytes, read_encoded.handles);
    ASSERT_FALSE(read_decoded.is_error());
    EXPECT_EQ(read_decoded.value().message, read);
    EXPECT_EQ(read_decoded.value().header.transaction_id, 5u);

    CompletionReply completion;
    completion.status = Status::ReadOnly;
    completion.blocks_done = 3;
    Encoded completion_encoded = encode_or_fail(completion, 5);
    auto completion_decoded = decode_bytes<CompletionReply>(completion_encoded.bytes, {});
    ASSERT_FALSE(completion_decoded.is_error());
    EXPECT_EQ(completion_decoded.value().message, completion);
    EXPECT_TRUE(completion_decoded.value().header.is_reply());
}

// ---- What decoding refuses --------------------------------------------------------------

TEST(IpcSchema, another_protocol_or_tag_is_refused)
{
    Encoded encoded = encode_or_fail(sample_write_request(), 1);
    EXPECT_EQ(decode_error<ReadRequest>(encoded.bytes, encoded.handles), ErrorCode::Malformed);
    Bytes other_protocol = encoded.bytes;
    put_u32(other_protocol, protocol_offset, protocol_id + 1);
    EXPECT_EQ(decode_error<WriteRequest>(other_protocol, encoded.handles), ErrorCode::Malformed);
    Bytes other_tag = encoded.bytes;
    put_u16(other_tag, tag_offset, Tag::read_request);
    EXPECT_EQ(decode_error<WriteRequest>(other_tag, encoded.handles), ErrorCode::Malformed);
}

TEST(IpcSchema, a_newer_version_is_not_supported_and_version_zero_is_malformed)
{
    Encoded encoded = encode_or_fail(sample_write_request(), 1);
    Bytes newer = encoded.bytes;
    put_u16(newer, version_offset, 3);
    EXPECT_EQ(decode_error<WriteRequest>(newer, encoded.handles), ErrorCode::NotSupported);
    put_u16(newer, version_offset, 0xFFFF);
    EXPECT_EQ(decode_error<WriteRequest>(newer, encoded.handles), ErrorCode::NotSupported);
    Bytes zero = encoded.bytes;
    put_u16(zero, version_offset, 0);
    EXPECT_EQ(decode_error<WriteRequest>(zero, encoded.handles), ErrorCode::Malformed);
}

TEST(IpcSchema, short_and_long_messages_are_refused)
{
    Encoded encoded = encode_or_fail(sample_write_request(), 1);
    // Every truncation, with the length field left alone and with it matching.
    for (size_t size = 0; size < encoded.bytes.size(); ++size) {
        Bytes truncated(encoded.bytes.begin(), encoded.bytes.begin() + static_cast<long>(size));
        EXPECT_EQ(decode_error<WriteRequest>(truncated, encoded.handles), ErrorCode::Malformed) << size;
        if (size >= body_offset) {
            fix_length(truncated);
            EXPECT_EQ(decode_error<WriteRequest>(truncated, encoded.handles), ErrorCode::Malformed) << size;
        }
    }
    Bytes trailing = encoded.bytes;
    trailing.push_back(0);
    EXPECT_EQ(decode_error<WriteRequest>(trailing, encoded.handles), ErrorCode::Malformed);
    fix_length(trailing);
    EXPECT_EQ(decode_error<WriteRequest>(trailing, encoded.handles), ErrorCode::Malformed);

    Bytes length_too_small = encoded.bytes;
    put_u32(length_too_small, length_offset, static_cast<std::uint32_t>(encoded.bytes.size() - 1));
    EXPECT_EQ(decode_error<WriteRequest>(length_too_small, encoded.handles), ErrorCode::Malformed);
    Bytes length_too_large = encoded.bytes;
    put_u32(length_too_large, length_offset, 0xFFFFFFFF);
    EXPECT_EQ(decode_error<WriteRequest>(length_too_large, encoded.handles), ErrorCode::Malformed);

    Bytes oversized = encoded.bytes;
    oversized.resize(Core::Ipc::maximum_message_size + 1);
    fix_length(oversized);
    EXPECT_EQ(decode_error<WriteRequest>(oversized, encoded.handles), ErrorCode::Malformed);
}

TEST(IpcSchema, every_unknown_flag_bit_is_refused)
{
    Encoded encoded = encode_or_fail(sample_write_request(), 1);
    for (unsigned bit = 1; bit < 16; ++bit) {
        Bytes flagged = encoded.bytes;
        put_u16(flagged, flags_offset, static_cast<std::uint16_t>(1u << bit));
        EXPECT_EQ(decode_error<WriteRequest>(flagged, encoded.handles), ErrorCode::Malformed) << bit;
    }
}

TEST(IpcSchema, the_reserved_byte_must_be_zero)
{
    Encoded encoded = encode_or_fail(sample_write_request(), 1);
    for (unsigned value = 1; value < 256; value *= 2) {
        Bytes reserved = encoded.bytes;
        reserved[reserved_offset] = static_cast<std::uint8_t>(value);
        EXPECT_EQ(decode_error<WriteRequest>(reserved, encoded.handles), ErrorCode::Malformed) << value;
    }
}

TEST(IpcSchema, reply_flag_and_transaction_id_must_fit_the_kind)
{
    Encoded request = encode_or_fail(sample_write_request(), 1);
    Bytes request_flagged_reply = request.bytes;
    put_u16(request_flagged_reply, flags_offset, 1);
    EXPECT_EQ(decode_error<WriteRequest>(request_flagged_reply, request.handles), ErrorCode::Malformed);
    Bytes request_without_transaction = request.bytes;
    put_u64(request_without_transaction, transaction_offset, 0);
    EXPECT_EQ(decode_error<WriteRequest>(request_without_transaction, request.handles), ErrorCode::Malformed);

    Encoded reply = encode_or_fail(CompletionReply {}, 9);
    Bytes reply_without_flag = reply.bytes;
    put_u16(reply_without_flag, flags_offset, 0);
    EXPECT_EQ(decode_error<CompletionReply>(reply_without_flag, {}), ErrorCode::Malformed);
    Bytes reply_without_transaction = reply.bytes;
    put_u64(reply_without_transaction, transaction_offset, 0);
    EXPECT_EQ(decode_error<CompletionReply>(reply_without_transaction, {}), ErrorCode::Malformed);

    Encoded event = encode_or_fail(sample_fields(), 0);
    Bytes event_with_transaction = event.bytes;
    put_u64(event_with_transaction, transaction_offset, 1);
    EXPECT_EQ(decode_error<FieldSampler>(event_with_transaction, event.handles), ErrorCode::Malformed);
    Bytes event_flagged_reply = event.bytes;
    put_u16(event_flagged_reply, flags_offset, 1);
    put_u64(event_flagged_reply, transaction_offset, 1);
    EXPECT_EQ(decode_error<FieldSampler>(event_flagged_reply, event.handles), ErrorCode::Malformed);
}

TEST(IpcSchema, booleans_other_than_zero_and_one_are_refused)
{
    Encoded encoded = encode_or_fail(sample_fields(), 0);
    for (unsigned value : { 2u, 0x80u, 0xFFu }) {
        Bytes altered = encoded.bytes;
        altered[sampler_flag_offset] = static_cast<std::uint8_t>(value);
        EXPECT_EQ(decode_error<FieldSampler>(altered, encoded.handles), ErrorCode::Malformed) << value;
    }
    Bytes zero = encoded.bytes;
    zero[sampler_flag_offset] = 0;
    auto decoded = decode_bytes<FieldSampler>(zero, encoded.handles);
    ASSERT_FALSE(decoded.is_error());
    EXPECT_FALSE(decoded.value().message.flag);
}

TEST(IpcSchema, enum_values_outside_the_set_are_refused)
{
    Encoded encoded = encode_or_fail(sample_fields(), 0);
    for (unsigned value : { 2u, 0x7Fu, 0x80u, 0xFEu }) {
        Bytes altered = encoded.bytes;
        altered[sampler_temperature_offset] = static_cast<std::uint8_t>(value);
        EXPECT_EQ(decode_error<FieldSampler>(altered, encoded.handles), ErrorCode::Malformed) << value;
    }
    Encoded completion = encode_or_fail(CompletionReply {}, 4);
    Bytes unknown_status = completion.bytes;
    put_u16(unknown_status, body_offset, 4);
    EXPECT_EQ(decode_error<CompletionReply>(unknown_status, {}), ErrorCode::Malformed);
    put_u16(unknown_status, body_offset, 0x0100);
    EXPECT_EQ(decode_error<CompletionReply>(unknown_status, {}), ErrorCode::Malformed);
}

TEST(IpcSchema, unknown_bits_of_a_bit_set_are_refused)
{
    Encoded encoded = encode_or_fail(sample_fields(), 0);
    for (unsigned bit = 0; bit < 16; ++bit) {
        Bytes altered = encoded.bytes;
        put_u16(altered, sampler_bits_offset, static_cast<std::uint16_t>(1u << bit));
        bool known = ((1u << bit) & FieldSampler::known_bits) != 0;
        EXPECT_EQ(decode_bytes<FieldSampler>(altered, encoded.handles).is_error(), !known) << bit;
    }
}

TEST(IpcSchema, lengths_over_the_bound_are_refused)
{
    FieldSampler sampler = sample_fields();
    ASSERT_FALSE(sampler.blob.assign({}).is_error());
    ASSERT_FALSE(sampler.name.assign("").is_error());
    Encoded encoded = encode_or_fail(sampler, 0);
    const size_t blob_offset = sampler_blob_offset;
    const size_t name_offset = blob_offset + 2;

    // Nine bytes where eight at most are allowed, with the bytes present.
    Bytes long_blob = encoded.bytes;
    put_u16(long_blob, blob_offset, 9);
    long_blob.insert(long_blob.begin() + static_cast<long>(blob_offset + 2), 9, 0x41);
    fix_length(long_blob);
    EXPECT_EQ(decode_error<FieldSampler>(long_blob, encoded.handles), ErrorCode::Malformed);

    Bytes long_name = encoded.bytes;
    put_u16(long_name, name_offset, 13);
    long_name.insert(long_name.begin() + static_cast<long>(name_offset + 2), 13, 'a');
    fix_length(long_name);
    EXPECT_EQ(decode_error<FieldSampler>(long_name, encoded.handles), ErrorCode::Malformed);

    // A length that runs past the end of the message.
    Bytes past_the_end = encoded.bytes;
    put_u16(past_the_end, blob_offset, 8);
    EXPECT_EQ(decode_error<FieldSampler>(past_the_end, encoded.handles), ErrorCode::Malformed);
    put_u16(past_the_end, blob_offset, 0xFFFF);
    EXPECT_EQ(decode_error<FieldSampler>(past_the_end, encoded.handles), ErrorCode::Malformed);
}

TEST(IpcSchema, strings_that_are_not_utf8_or_hold_a_nul_are_refused)
{
    FieldSampler sampler = sample_fields();
    ASSERT_FALSE(sampler.name.assign("abcd").is_error());
    Encoded encoded = encode_or_fail(sampler, 0);
    const size_t characters = sampler_name_offset + 2;
    const std::vector<Bytes> invalid = {
        { 0xC0, 0x80, 'a', 'a' }, // overlong NUL
        { 0xE0, 0x80, 0x80, 'a' }, // overlong
        { 0xED, 0xA0, 0x80, 'a' }, // surrogate U+D800
        { 0xF4, 0x90, 0x80, 0x80 }, // past U+10FFFF
        { 'a', 'a', 'a', 0xE2 }, // cut short
        { 0x80, 'a', 'a', 'a' }, // lone continuation byte
        { 0xFF, 'a', 'a', 'a' }, // never in UTF-8
        { 'a', 0x00, 'a', 'a' }, // NUL
    };
    for (const Bytes& characters_to_use : invalid) {
        Bytes altered = encoded.bytes;
        std::copy(characters_to_use.begin(), characters_to_use.end(),
            altered.begin() + static_cast<long>(characters));
        EXPECT_EQ(decode_error<FieldSampler>(altered, encoded.handles), ErrorCode::Malformed);
    }
    Bytes four_byte_character = encoded.bytes;
    const Bytes emoji = { 0xF0, 0x9F, 0x98, 0x80 };
    std::copy(emoji.begin(), emoji.end(), four_byte_character.begin() + static_cast<long>(characters));
    EXPECT_FALSE(decode_bytes<FieldSampler>(four_byte_character, encoded.handles).is_error());
}

TEST(IpcSchema, handle_counts_must_match_the_channel_and_the_schema)
{
    Encoded encoded = encode_or_fail(sample_write_request(), 1);
    // The channel delivered a different number of handles than the header says.
    EXPECT_EQ(decode_error<WriteRequest>(encoded.bytes, {}), ErrorCode::Malformed);
    EXPECT_EQ(decode_error<WriteRequest>(encoded.bytes, { 0x55, 0x66 }), ErrorCode::Malformed);
    // Header and channel agree, but the schema wants one handle.
    Bytes two_handles = encoded.bytes;
    two_handles[handle_count_offset] = 2;
    EXPECT_EQ(decode_error<WriteRequest>(two_handles, { 0x55, 0x66 }), ErrorCode::Malformed);
    Bytes no_handles = encoded.bytes;
    no_handles[handle_count_offset] = 0;
    EXPECT_EQ(decode_error<WriteRequest>(no_handles, {}), ErrorCode::Malformed);
    // More than a channel can carry.
    Bytes too_many = encoded.bytes;
    too_many[handle_count_offset] = 65;
    EXPECT_EQ(decode_error<WriteRequest>(too_many, Handles(65, 0x55)), ErrorCode::Malformed);
    // A zero handle value can only come from a broken channel.
    EXPECT_EQ(decode_error<WriteRequest>(encoded.bytes, { ABI::invalid_handle }), ErrorCode::BadHandle);
}

TEST(IpcSchema, read_header_refuses_what_no_message_may_hold)
{
    Encoded encoded = encode_or_fail(sample_write_request(), 1);
    auto header_of = [](const Bytes& bytes, size_t handle_count) {
        return Core::Ipc::read_header(Core::ReadonlyBytes(bytes.data(), bytes.size()), handle_count);
    };
    EXPECT_FALSE(header_of(encoded.bytes, 1).is_error());
    EXPECT_EQ(header_of(Bytes {}, 0).error().code(), ErrorCode::Malformed);
    EXPECT_EQ(header_of(Bytes(23, 0), 0).error().code(), ErrorCode::Malformed);
    EXPECT_EQ(header_of(encoded.bytes, 0).error().code(), ErrorCode::Malformed);
    Bytes reply_without_transaction = encoded.bytes;
    put_u16(reply_without_transaction, flags_offset, 1);
    put_u64(reply_without_transaction, transaction_offset, 0);
    EXPECT_EQ(header_of(reply_without_transaction, 1).error().code(), ErrorCode::Malformed);
}

// ---- What encoding refuses --------------------------------------------------------------

TEST(IpcSchema, encoding_into_a_small_buffer_fails_with_buffer_too_small)
{
    WriteRequest request = sample_write_request();
    Encoded encoded = encode_or_fail(request, 1);
    for (size_t size = 0; size < encoded.bytes.size(); ++size)
        EXPECT_EQ(encode_error(request, 1, WriteRequest::version, size), ErrorCode::BufferTooSmall) << size;
    EXPECT_EQ(
        encode_error(request, 1, WriteRequest::version, encoded.bytes.size(), 0), ErrorCode::BufferTooSmall);

    // Exactly the size needed suffices, and the bytes past it are left alone.
    Bytes buffer(encoded.bytes.size() + 1, 0xA5);
    ABI::HandleValue handle = 0;
    auto result = encode(request, 1, Core::Bytes(buffer.data(), encoded.bytes.size()),
        Core::Span<ABI::HandleValue>(&handle, 1));
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value().byte_count, encoded.bytes.size());
    EXPECT_EQ(buffer.back(), 0xA5);
    EXPECT_EQ(handle, 0x55u);
}

TEST(IpcSchema, encoding_refuses_values_a_decoder_would_refuse)
{
    FieldSampler unknown_enum = sample_fields();
    unknown_enum.temperature = static_cast<Temperature>(5);
    EXPECT_EQ(encode_error(unknown_enum, 0), ErrorCode::InvalidArgument);

    FieldSampler unknown_bit = sample_fields();
    unknown_bit.bits = 0x0002;
    EXPECT_EQ(encode_error(unknown_bit, 0), ErrorCode::InvalidArgument);

    FieldSampler missing_handle = sample_fields();
    missing_handle.handle_added_in_2.value = ABI::invalid_handle;
    EXPECT_EQ(encode_error(missing_handle, 0), ErrorCode::BadHandle);

    EXPECT_EQ(encode_error(sample_fields(), 1), ErrorCode::InvalidArgument);
    EXPECT_EQ(encode_error(sample_write_request(), 0), ErrorCode::InvalidArgument);
    EXPECT_EQ(encode_error(CompletionReply {}, 0), ErrorCode::InvalidArgument);

    EXPECT_EQ(encode_error(sample_write_request(), 1, 0), ErrorCode::NotSupported);
    EXPECT_EQ(encode_error(sample_write_request(), 1, 3), ErrorCode::NotSupported);
}

TEST(IpcSchema, bounded_fields_refuse_what_does_not_fit)
{
    Core::Ipc::BoundedString<4> text;
    EXPECT_EQ(text.assign("12345").error().code(), ErrorCode::OutOfRange);
    EXPECT_EQ(text.assign(Core::StringView("a\0b", 3)).error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(text.assign("\xC3").error().code(), ErrorCode::InvalidArgument);
    EXPECT_FALSE(text.assign("\xC3\xA9!").is_error());
    EXPECT_EQ(text.view(), "\xC3\xA9!"_sv);

    Core::Ipc::BoundedBytes<2> bytes;
    const std::uint8_t three[] = { 1, 2, 3 };
    EXPECT_EQ(bytes.assign(Core::ReadonlyBytes(three, 3)).error().code(), ErrorCode::OutOfRange);
    EXPECT_EQ(bytes.length(), 0u);
}

// ---- Versions ---------------------------------------------------------------------------

// What a peer built before WriteRequest gained `priority` knows of it.
struct WriteRequestVersion1 {
    static constexpr std::uint32_t protocol_id = BlockDevice::protocol_id;
    static constexpr std::uint16_t message_tag = Tag::write_request;
    static constexpr std::uint16_t version = 1;
    static constexpr Core::Ipc::MessageKind kind = Core::Ipc::MessageKind::Request;

    std::uint64_t first_block { 0 };
    std::uint32_t block_count { 0 };
    Core::Ipc::Handle buffer;
    std::uint64_t buffer_offset { 0 };
    WriteMode mode { WriteMode::WriteBack };

    using Fields = FieldList<Field::Integer<&WriteRequestVersion1::first_block>,
        Field::Integer<&WriteRequestVersion1::block_count>, Field::Handle<&WriteRequestVersion1::buffer>,
        Field::Integer<&WriteRequestVersion1::buffer_offset>,
        Field::Enumeration<&WriteRequestVersion1::mode, WriteMode::WriteBack, WriteMode::WriteThrough>>;
};

TEST(IpcSchema, a_newer_decoder_reads_an_older_message_with_defaults)
{
    WriteRequestVersion1 old_request;
    old_request.first_block = 12;
    old_request.block_count = 1;
    old_request.buffer.value = 0x77;
    old_request.mode = WriteMode::WriteThrough;
    Encoded encoded = encode_or_fail(old_request, 6);
    EXPECT_EQ(encoded.bytes[version_offset], 1);

    auto decoded = decode_bytes<WriteRequest>(encoded.bytes, encoded.handles);
    ASSERT_FALSE(decoded.is_error()) << decoded.error().name();
    EXPECT_EQ(decoded.value().header.version, 1);
    EXPECT_EQ(decoded.value().message.first_block, 12u);
    EXPECT_EQ(decoded.value().message.buffer.value, 0x77u);
    EXPECT_EQ(decoded.value().message.mode, WriteMode::WriteThrough);
    EXPECT_EQ(decoded.value().message.priority, 0);

    // The version 2 field may not appear in a version 1 message.
    Bytes with_priority = encoded.bytes;
    with_priority.push_back(9);
    fix_length(with_priority);
    EXPECT_EQ(decode_error<WriteRequest>(with_priority, encoded.handles), ErrorCode::Malformed);
}

TEST(IpcSchema, an_older_decoder_refuses_a_newer_message_but_reads_a_downgraded_one)
{
    WriteRequest request = sample_write_request();
    Encoded newest = encode_or_fail(request, 6);
    EXPECT_EQ(decode_error<WriteRequestVersion1>(newest.bytes, newest.handles), ErrorCode::NotSupported);

    // Downgrading drops the version 2 field, so it must hold its default.
    EXPECT_EQ(encode_error(request, 6, 1), ErrorCode::InvalidArgument);
    request.priority = 0;
    Encoded downgraded = encode_or_fail(request, 6, 1);
    // A version 1 body is a prefix of the version 2 body.
    EXPECT_EQ(downgraded.bytes.size() + 1, newest.bytes.size());
    EXPECT_TRUE(std::equal(
        downgraded.bytes.begin() + body_offset, downgraded.bytes.end(), newest.bytes.begin() + body_offset));
    auto decoded = decode_bytes<WriteRequestVersion1>(downgraded.bytes, downgraded.handles);
    ASSERT_FALSE(decoded.is_error()) << decoded.error().name();
    EXPECT_EQ(decoded.value().message.first_block, request.first_block);
    EXPECT_EQ(decoded.value().message.mode, request.mode);
}

TEST(IpcSchema, fields_and_handles_of_later_versions_are_absent_from_older_messages)
{
    FieldSampler sampler = sample_fields();
    sampler.added_in_2 = 7;
    sampler.handle_added_in_2.value = ABI::invalid_handle;
    ASSERT_FALSE(sampler.text_added_in_3.assign("").is_error());
    Encoded version_1 = encode_or_fail(sampler, 0, 1);
    EXPECT_EQ(version_1.handles, Handles { 0x1001 });
    EXPECT_EQ(version_1.bytes[handle_count_offset], 1);
    auto decoded_1 = decode_bytes<FieldSampler>(version_1.bytes, version_1.handles);
    ASSERT_FALSE(decoded_1.is_error()) << decoded_1.error().name();
    EXPECT_EQ(decoded_1.value().message, sampler);

    // A version 1 message that brings the version 2 handle along is refused.
    Bytes extra_handle = version_1.bytes;
    extra_handle[handle_count_offset] = 2;
    EXPECT_EQ(decode_error<FieldSampler>(extra_handle, { 0x1001, 0x2002 }), ErrorCode::Malformed);

    sampler.handle_added_in_2.value = 0x2002;
    Encoded version_2 = encode_or_fail(sampler, 0, 2);
    EXPECT_EQ(version_2.handles, (Handles { 0x1001, 0x2002 }));
    EXPECT_EQ(version_2.bytes.size(), version_1.bytes.size() + 4);
    auto decoded_2 = decode_bytes<FieldSampler>(version_2.bytes, version_2.handles);
    ASSERT_FALSE(decoded_2.is_error());
    EXPECT_EQ(decoded_2.value().message, sampler);
    EXPECT_EQ(decoded_2.value().message.text_added_in_3.length(), 0u);
}

} // namespace
