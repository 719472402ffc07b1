#pragma once

// The fixed header at the front of every IPC message (docs/ipc-schemas.md). A channel
// carries a message's bytes and, beside them, up to 64 handles; the kernel never looks
// inside the bytes. This header is how the receiver learns which message it holds and
// checks that the bytes and the handles it was given belong together.
//
// Layout, little-endian, no padding, 24 bytes:
//
//   offset  size  field
//        0     4  protocol_id      which protocol (a service's set of messages)
//        4     2  message_tag      which message of that protocol
//        6     2  version          the message's version, 1 and up
//        8     4  total_length     header and body, in bytes; equals what the channel delivered
//       12     2  flags            bit 0: reply; every other bit must be clear
//       14     1  handle_count     handles delivered beside the bytes, at most 64
//       15     1  reserved         must be zero
//       16     8  transaction_id   matches a reply to its request; zero on events
//       24        body             the message's fields (Core/Ipc/Schema.h)

#include <ABI/ErrorCode.h>
#include <Core/ByteReading.h>
#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>

namespace Core::Ipc {

inline constexpr usize header_size = 24;
// What one channel message may carry at most: its bytes, header included, and its handles.
inline constexpr usize maximum_message_size = 65536;
inline constexpr usize maximum_handle_count = 64;

namespace HeaderOffset {
inline constexpr usize protocol_id = 0;
inline constexpr usize message_tag = 4;
inline constexpr usize version = 6;
inline constexpr usize total_length = 8;
inline constexpr usize flags = 12;
inline constexpr usize handle_count = 14;
inline constexpr usize reserved = 15;
inline constexpr usize transaction_id = 16;
} // namespace HeaderOffset

namespace MessageFlags {
// Set on replies only. It lets a generic call path (one that knows no protocol) tell a
// reply from a request or event by the header alone and match it on transaction_id.
inline constexpr u16 reply = 1 << 0;
inline constexpr u16 known = reply;
} // namespace MessageFlags

struct MessageHeader {
    u32 protocol_id { 0 };
    u16 message_tag { 0 };
    u16 version { 0 };
    u32 total_length { 0 };
    u16 flags { 0 };
    u8 handle_count { 0 };
    u64 transaction_id { 0 };

    [[nodiscard]] constexpr bool is_reply() const { return (flags & MessageFlags::reply) != 0; }
    constexpr bool operator==(const MessageHeader&) const = default;
};

// Reads and checks the header of a message as a channel delivered it: `message` is every
// byte received and `delivered_handle_count` how many handles came with them. Checks what
// holds for every message whatever its protocol, so that a service can dispatch on
// protocol_id and message_tag before choosing a decoder:
// - the header is complete and the message no longer than maximum_message_size;
// - total_length equals the bytes delivered (no short message, no trailing bytes);
// - version is at least 1, no unknown flag bit is set, the reserved byte is zero;
// - handle_count is at most 64 and equals the handles delivered;
// - a reply names the transaction it answers (transaction_id is not zero).
// Any failure is Malformed.
[[nodiscard]] inline Result<MessageHeader> read_header(ReadonlyBytes message, usize delivered_handle_count)
{
    if (message.size() < header_size || message.size() > maximum_message_size)
        return ErrorCode::Malformed;
    MessageHeader header;
    header.protocol_id = read_little_endian<u32>(message, HeaderOffset::protocol_id);
    header.message_tag = read_little_endian<u16>(message, HeaderOffset::message_tag);
    header.version = read_little_endian<u16>(message, HeaderOffset::version);
    header.total_length = read_little_endian<u32>(message, HeaderOffset::total_length);
    header.flags = read_little_endian<u16>(message, HeaderOffset::flags);
    header.handle_count = read_little_endian<u8>(message, HeaderOffset::handle_count);
    header.transaction_id = read_little_endian<u64>(message, HeaderOffset::transaction_id);

    if (header.total_length != message.size())
        return ErrorCode::Malformed;
    if (header.version == 0)
        return ErrorCode::Malformed;
    if ((header.flags & ~MessageFlags::known) != 0)
        return ErrorCode::Malformed;
    if (read_little_endian<u8>(message, HeaderOffset::reserved) != 0)
        return ErrorCode::Malformed;
    if (header.handle_count > maximum_handle_count || header.handle_count != delivered_handle_count)
        return ErrorCode::Malformed;
    if (header.is_reply() && header.transaction_id == 0)
        return ErrorCode::Malformed;
    return header;
}

} // namespace Core::Ipc
