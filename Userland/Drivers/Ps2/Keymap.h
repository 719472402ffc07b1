#pragma once

// Scancodes to the bytes a terminal sends (docs/console.md#the-keyboard): the PS/2
// controller translates the keyboard's codes to set 1, which this decodes with a US
// layout. Letters, digits and symbols give their characters (Shift, Caps Lock), Ctrl with a
// letter its control character, Alt an ESC before the key; Enter gives CR, Backspace DEL;
// the arrows, Home, End, Insert, Delete, Page Up and Page Down give VT100/xterm escape
// sequences (Shift+Page Up and Down carry the Shift, for the console's scrollback). Pure:
// host tests feed it scancodes.

#include <stddef.h>
#include <stdint.h>

namespace Keyboard {

class Decoder {
public:
    static constexpr size_t maximum_output = 8;

    // Takes one byte from the controller; writes what the key gives (often nothing: a
    // release, a modifier, a prefix) and returns how many bytes.
    size_t feed(uint8_t scancode, char (&output)[maximum_output]);

private:
    size_t key_pressed(uint8_t code, bool extended, char (&output)[maximum_output]);

    bool m_extended { false };
    bool m_left_shift { false };
    bool m_right_shift { false };
    bool m_left_control { false };
    bool m_right_control { false };
    bool m_left_alt { false };
    bool m_right_alt { false };
    bool m_caps_lock { false };
};

} // namespace Keyboard
