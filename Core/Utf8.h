#pragma once

// UTF-8 decoding shared by everything that reads text from outside: the framebuffer
// console draws it, and IPC message schemas (Core/Ipc) refuse strings that are not valid.

#include <Core/StringView.h>
#include <Core/Types.h>

namespace Core {

struct DecodedCharacter {
    u32 codepoint;
    // Bytes consumed; at least 1, so decoding always makes progress.
    usize length;
    bool is_valid;
};

// Decodes the UTF-8 character starting at text[offset] (offset < text.length()).
// Overlong forms, surrogates and values past U+10FFFF are invalid. An invalid sequence
// consumes its longest valid-looking prefix (at least one byte), as Unicode recommends,
// so one bad byte costs one fallback glyph and the character after it still shows.
constexpr DecodedCharacter decode_utf8(StringView text, usize offset)
{
    auto lead = static_cast<u8>(text[offset]);
    if (lead < 0x80)
        return { lead, 1, true };

    u32 continuation_count;
    u32 codepoint;
    // The first continuation byte's range is narrower for some lead bytes; that is what
    // excludes overlong forms, surrogates and codepoints above U+10FFFF.
    u8 second_minimum = 0x80;
    u8 second_maximum = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        continuation_count = 1;
        codepoint = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        continuation_count = 2;
        codepoint = lead & 0x0F;
        if (lead == 0xE0)
            second_minimum = 0xA0;
        else if (lead == 0xED)
            second_maximum = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        continuation_count = 3;
        codepoint = lead & 0x07;
        if (lead == 0xF0)
            second_minimum = 0x90;
        else if (lead == 0xF4)
            second_maximum = 0x8F;
    } else {
        return { 0, 1, false };
    }

    usize consumed = 1;
    for (u32 continuation = 0; continuation < continuation_count; ++continuation) {
        usize index = offset + consumed;
        if (index >= text.length())
            return { 0, consumed, false };
        auto byte = static_cast<u8>(text[index]);
        u8 minimum = continuation == 0 ? second_minimum : u8(0x80);
        u8 maximum = continuation == 0 ? second_maximum : u8(0xBF);
        if (byte < minimum || byte > maximum)
            return { 0, consumed, false };
        codepoint = (codepoint << 6) | (byte & 0x3F);
        ++consumed;
    }
    return { codepoint, consumed, true };
}

// Whether every character of `text` decodes (an empty text is valid).
constexpr bool is_valid_utf8(StringView text)
{
    usize offset = 0;
    while (offset < text.length()) {
        DecodedCharacter character = decode_utf8(text, offset);
        if (!character.is_valid)
            return false;
        offset += character.length;
    }
    return true;
}

} // namespace Core
