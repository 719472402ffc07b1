#include <Userland/Drivers/Ps2/Keymap.h>

namespace Keyboard {

namespace {

// Set 1 make codes 0x00-0x39 on a US layout, unshifted and shifted; 0 where the key gives
// no character here.
constexpr char plain[0x3A] = {
    0, 0x1B, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', 0x7F, '\t', // 0x00-0x0F
    'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\r', 0, 'a', 's', // 0x10-0x1F
    'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0, '\\', 'z', 'x', 'c', 'v', // 0x20-0x2F
    'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ', // 0x30-0x39
};
constexpr char shifted[0x3A] = {
    0, 0x1B, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', 0x7F, '\t', // 0x00-0x0F
    'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\r', 0, 'A', 'S', // 0x10-0x1F
    'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0, '|', 'Z', 'X', 'C', 'V', // 0x20-0x2F
    'B', 'N', 'M', '<', '>', '?', 0, '*', 0, ' ', // 0x30-0x39
};

// The keypad (codes 0x47-0x53, not extended), as digits: Num Lock on.
constexpr char keypad[0x53 - 0x47 + 1] = { '7', '8', '9', '-', '4', '5', '6', '+', '1', '2', '3', '0', '.' };

constexpr uint8_t left_shift = 0x2A;
constexpr uint8_t right_shift = 0x36;
constexpr uint8_t control = 0x1D;
constexpr uint8_t alt = 0x38;
constexpr uint8_t caps_lock = 0x3A;

size_t copy(const char* text, char (&output)[Decoder::maximum_output])
{
    size_t length = 0;
    while (text[length] && length < Decoder::maximum_output) {
        output[length] = text[length];
        ++length;
    }
    return length;
}

bool is_letter(char character)
{
    return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z');
}

} // namespace

size_t Decoder::feed(uint8_t scancode, char (&output)[maximum_output])
{
    if (scancode == 0xE0) {
        m_extended = true;
        return 0;
    }
    bool extended = m_extended;
    m_extended = false;
    bool released = scancode & 0x80;
    uint8_t code = scancode & 0x7F;
    // The modifiers, pressed and released.
    if (!extended && (code == left_shift || code == right_shift)) {
        (code == left_shift ? m_left_shift : m_right_shift) = !released;
        return 0;
    }
    if (code == control) {
        (extended ? m_right_control : m_left_control) = !released;
        return 0;
    }
    if (code == alt) {
        (extended ? m_right_alt : m_left_alt) = !released;
        return 0;
    }
    // E0 2A and E0 AA are the "fake shifts" some keyboards send around extended keys.
    if (extended && (code == left_shift || code == right_shift))
        return 0;
    if (released)
        return 0;
    if (!extended && code == caps_lock) {
        m_caps_lock = !m_caps_lock;
        return 0;
    }
    return key_pressed(code, extended, output);
}

size_t Decoder::key_pressed(uint8_t code, bool extended, char (&output)[maximum_output])
{
    bool shift = m_left_shift || m_right_shift;
    if (extended) {
        switch (code) {
        case 0x48:
            return copy("\x1b[A", output);
        case 0x50:
            return copy("\x1b[B", output);
        case 0x4D:
            return copy("\x1b[C", output);
        case 0x4B:
            return copy("\x1b[D", output);
        case 0x47:
            return copy("\x1b[H", output);
        case 0x4F:
            return copy("\x1b[F", output);
        case 0x52:
            return copy("\x1b[2~", output);
        case 0x53:
            return copy("\x1b[3~", output);
        case 0x49:
            return copy(shift ? "\x1b[5;2~" : "\x1b[5~", output);
        case 0x51:
            return copy(shift ? "\x1b[6;2~" : "\x1b[6~", output);
        case 0x1C:
            return copy("\r", output);
        case 0x35:
            return copy("/", output);
        default:
            return 0;
        }
    }
    char character = 0;
    if (code < sizeof(plain)) {
        character = shift ? shifted[code] : plain[code];
        // Caps Lock swaps the case of letters only (and Shift swaps it back).
        if (m_caps_lock && is_letter(character))
            character = static_cast<char>(character ^ 0x20);
    } else if (code >= 0x47 && code <= 0x53) {
        character = keypad[code - 0x47];
    }
    if (character == 0)
        return 0;
    if (m_left_control || m_right_control) {
        if (is_letter(character))
            character = static_cast<char>(character & 0x1F);
        else if (character == ' ' || character == '2' || character == '@')
            character = 0;
        else if (character == '[')
            character = 0x1B;
        else if (character == '\\')
            character = 0x1C;
        else if (character == ']')
            character = 0x1D;
        else
            return 0;
    }
    size_t length = 0;
    if (m_left_alt || m_right_alt)
        output[length++] = 0x1B;
    output[length++] = character;
    return length;
}

} // namespace Keyboard
