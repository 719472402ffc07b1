#pragma once

// Typed IPC messages: encode() and decode() for any message type declared with a field
// list (Core/Ipc/Fields.h). The format and its rules are in docs/ipc-schemas.md.
//
// A message type is a default-constructible struct with
//     static constexpr u32 protocol_id;        which protocol it belongs to
//     static constexpr u16 message_tag;        which message of that protocol
//     static constexpr u16 version;            the newest version this type describes
//     static constexpr MessageKind kind;       request, reply or event
//     using Fields = FieldList<...>;           its fields in wire order
// and members' default initializers are the values that fields added in later versions
// take when an older message is decoded.

#include <ABI/ErrorCode.h>
#include <ABI/Handle.h>
#include <Core/Error.h>
#include <Core/Ipc/Fields.h>
#include <Core/Ipc/MessageCursor.h>
#include <Core/Ipc/MessageHeader.h>
#include <Core/Span.h>
#include <Core/Types.h>

namespace Core::Ipc {

enum class MessageKind : u8 {
    // Asks for a reply: transaction_id is not zero, the reply flag is clear.
    Request,
    // Answers the request with the same transaction_id; the reply flag is set.
    Reply,
    // Expects no answer: transaction_id is zero, the reply flag is clear.
    Event,
};

// What a decoder returns: the checked header (the transaction id to reply to, the version
// the sender spoke) and the message. The handles in `message` are the ones the channel
// delivered; the receiver owns them whether or not decoding succeeded.
template<typename Message> struct Received {
    MessageHeader header;
    Message message;
};

struct EncodedMessage {
    usize byte_count { 0 };
    usize handle_count { 0 };
};

namespace Detail {

template<typename Message> constexpr bool check_schema()
{
    using Fields = typename Message::Fields;
    static_assert(is_same<Decay<decltype(Message::protocol_id)>, u32>, "protocol_id is a u32");
    static_assert(is_same<Decay<decltype(Message::message_tag)>, u16>, "message_tag is a u16");
    static_assert(is_same<Decay<decltype(Message::version)>, u16>, "version is a u16");
    static_assert(is_same<Decay<decltype(Message::kind)>, MessageKind>, "kind is a MessageKind");
    static_assert(Message::version >= 1, "message versions start at 1");
    static_assert(Fields::template belongs_to<Message>, "every field must name a member of this message");
    static_assert(Fields::versions_ascend(), "fields of later versions come after those of earlier ones");
    static_assert(
        Fields::newest_field_version() <= Message::version, "a field is newer than the message's version");
    static_assert(Fields::total_handle_count <= maximum_handle_count, "a message carries at most 64 handles");
    static_assert(header_size + Fields::maximum_body_size <= maximum_message_size,
        "the largest encoding of this message would not fit in a channel message");
    return true;
}

template<typename Message> constexpr bool transaction_fits_kind(bool is_reply, u64 transaction_id)
{
    switch (Message::kind) {
    case MessageKind::Request:
        return !is_reply && transaction_id != 0;
    case MessageKind::Reply:
        return is_reply && transaction_id != 0;
    case MessageKind::Event:
        return !is_reply && transaction_id == 0;
    }
    return false;
}

} // namespace Detail

// The most bytes an encoding of `Message` can take, header included: a buffer this large
// never fails with BufferTooSmall.
template<typename Message>
inline constexpr usize maximum_encoded_size = header_size + Message::Fields::maximum_body_size;

// How many handles a `Message` of `version` carries.
template<typename Message> constexpr usize handle_count_at(u16 version)
{
    return Message::Fields::handle_count_at(version);
}

// Decodes `bytes` and `handles`, exactly as a channel delivered them, as a `Message`.
// Refuses, with Malformed unless noted:
// - anything read_header() refuses (short, trailing or overlong bytes, unknown flags, a
//   non-zero reserved byte, a handle count that differs from the handles delivered);
// - another protocol or message tag;
// - a version newer than `Message::version` (NotSupported);
// - a reply flag or transaction id that does not fit the message's kind;
// - a handle count other than the number of handle fields of the message's version;
// - a body shorter or longer than its fields, or a field value outside its set (a boolean
//   other than 0 or 1, an unknown enum value or flag bit, a length over its bound, text
//   that is not UTF-8 or holds a NUL);
// - a delivered handle of value zero (BadHandle).
//
// decode_into() fills `received` in place, for a message too large to return on a small
// stack. Its fields newer than the sender's version are left as they are, so it must hold
// their defaults (a freshly made or static Received does).
template<typename Message>
[[nodiscard]] Result<void> decode_into(
    ReadonlyBytes bytes, Span<const ABI::HandleValue> handles, Received<Message>& received)
{
    static_assert(Detail::check_schema<Message>());
    MessageHeader header = TRY(read_header(bytes, handles.size()));
    if (header.protocol_id != Message::protocol_id || header.message_tag != Message::message_tag)
        return ErrorCode::Malformed;
    if (header.version > Message::version)
        return ErrorCode::NotSupported;
    if (!Detail::transaction_fits_kind<Message>(header.is_reply(), header.transaction_id))
        return ErrorCode::Malformed;
    if (header.handle_count != handle_count_at<Message>(header.version))
        return ErrorCode::Malformed;

    received.header = header;
    MessageReader reader(bytes, header_size, handles);
    TRY(Message::Fields::decode(reader, received.message, header.version));
    if (reader.remaining_bytes() != 0 || reader.remaining_handles() != 0)
        return ErrorCode::Malformed;
    return {};
}

template<typename Message>
[[nodiscard]] Result<Received<Message>> decode(ReadonlyBytes bytes, Span<const ABI::HandleValue> handles)
{
    Received<Message> received { {}, Message {} };
    TRY(decode_into(bytes, handles, received));
    return received;
}

// Encodes `message` as version `version` of its type into `buffer`, and the handles it
// carries, in order, into `handles`. Fields newer than `version` are left out, which is
// how a sender speaks to a receiver that knows only an older version. Fails with
// - NotSupported for version 0 or one newer than `Message::version`;
// - InvalidArgument when the transaction id does not fit the kind (non-zero for requests
//   and replies, zero for events), a left-out field does not hold its default, or a value
//   is outside its field's set (an unknown enum value or flag bit);
// - BadHandle when a handle field holds no handle;
// - BufferTooSmall when `buffer` or `handles` is too small (maximum_encoded_size and
//   handle_count_at() give sizes that always suffice).
// On failure the contents of both buffers are unspecified.
template<typename Message>
[[nodiscard]] Result<EncodedMessage> encode_as_version(
    u16 version, const Message& message, u64 transaction_id, Bytes buffer, Span<ABI::HandleValue> handles)
{
    static_assert(Detail::check_schema<Message>());
    if (version == 0 || version > Message::version)
        return ErrorCode::NotSupported;
    bool is_reply = Message::kind == MessageKind::Reply;
    if (!Detail::transaction_fits_kind<Message>(is_reply, transaction_id))
        return ErrorCode::InvalidArgument;
    if (buffer.size() < header_size || handles.size() < handle_count_at<Message>(version))
        return ErrorCode::BufferTooSmall;

    // The body first: the header's length is known only once it is written.
    MessageWriter body_writer(buffer, header_size, handles);
    TRY(Message::Fields::encode(body_writer, message, version));
    usize byte_count = body_writer.bytes_written();
    usize handle_count = body_writer.handles_written();

    MessageWriter header_writer(buffer, 0, {});
    TRY(header_writer.write_integer<u32>(Message::protocol_id));
    TRY(header_writer.write_integer<u16>(Message::message_tag));
    TRY(header_writer.write_integer<u16>(version));
    // check_schema() bounds every encoding by maximum_message_size, so the length fits.
    TRY(header_writer.write_integer<u32>(static_cast<u32>(byte_count)));
    TRY(header_writer.write_integer<u16>(is_reply ? MessageFlags::reply : u16(0)));
    TRY(header_writer.write_integer<u8>(static_cast<u8>(handle_count)));
    TRY(header_writer.write_integer<u8>(0));
    TRY(header_writer.write_integer<u64>(transaction_id));
    return EncodedMessage { byte_count, handle_count };
}

// Encodes `message` as the newest version its type describes; see encode_as_version().
template<typename Message>
[[nodiscard]] Result<EncodedMessage> encode(
    const Message& message, u64 transaction_id, Bytes buffer, Span<ABI::HandleValue> handles)
{
    return encode_as_version(Message::version, message, transaction_id, buffer, handles);
}

} // namespace Core::Ipc
