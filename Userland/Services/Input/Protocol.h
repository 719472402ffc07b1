#pragma once

// Pointer input (docs/console.md#the-mouse), in the typed schema of Core/Ipc: what the PS/2
// driver sends on the mouse channel, one event a packet. The channel drops the oldest
// events when nobody reads (best effort), so a driver never waits for a reader.

#include <Core/Ipc/Schema.h>
#include <Core/Types.h>

namespace Input {

namespace Ipc = Core::Ipc;
namespace Field = Core::Ipc::Field;

inline constexpr Core::u32 protocol_id = 0x00050001;

enum MouseButton : Core::u8 {
    Left = 1u << 0,
    Right = 1u << 1,
    Middle = 1u << 2,
};

struct MouseEvent {
    static constexpr Core::u32 protocol_id = Input::protocol_id;
    static constexpr Core::u16 message_tag = 1;
    static constexpr Core::u16 version = 1;
    static constexpr Ipc::MessageKind kind = Ipc::MessageKind::Event;

    Core::i16 dx { 0 }; // right is positive
    Core::i16 dy { 0 }; // up is positive
    Core::i8 wheel { 0 }; // towards the user is positive
    Core::u8 buttons { 0 }; // MouseButton bits held

    using Fields = Ipc::FieldList<Field::Integer<&MouseEvent::dx>, Field::Integer<&MouseEvent::dy>,
        Field::Integer<&MouseEvent::wheel>, Field::BitSet<&MouseEvent::buttons, Left | Right | Middle>>;
};

} // namespace Input
