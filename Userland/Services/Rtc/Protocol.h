#pragma once

// The RTC service's protocol (docs/devices.md#the-rtc-service), in the typed schema of
// Core/Ipc. Clients (hwclock) call over the channel init gives them (the RtcClient role).

#include <Core/Ipc/Schema.h>
#include <Core/Types.h>

namespace Rtc {

namespace Ipc = Core::Ipc;
namespace Field = Core::Ipc::Field;

inline constexpr Core::u32 protocol_id = 0x00030001;

struct ReadTimeRequest {
    static constexpr Core::u32 protocol_id = Rtc::protocol_id;
    static constexpr Core::u16 message_tag = 1;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Request;

    using Fields = Ipc::FieldList<>;
};

// What the clock holds, UTC; `valid` false (and the rest zero) when it held nonsense.
struct TimeReply {
    static constexpr Core::u32 protocol_id = Rtc::protocol_id;
    static constexpr Core::u16 message_tag = 2;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Reply;

    bool valid { false };
    Core::u16 year { 0 };
    Core::u8 month { 0 };
    Core::u8 day { 0 };
    Core::u8 hour { 0 };
    Core::u8 minute { 0 };
    Core::u8 second { 0 };
    Core::u64 unix_seconds { 0 };

    using Fields = Ipc::FieldList<Field::Boolean<&TimeReply::valid>, Field::Integer<&TimeReply::year>,
        Field::Integer<&TimeReply::month>, Field::Integer<&TimeReply::day>, Field::Integer<&TimeReply::hour>,
        Field::Integer<&TimeReply::minute>, Field::Integer<&TimeReply::second>,
        Field::Integer<&TimeReply::unix_seconds>>;
};

} // namespace Rtc
