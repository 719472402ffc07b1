#include <Core/Format.h>

namespace Core {

void format_padded(FormatSink& sink, StringView text, const FormatSpec& spec)
{
    usize padding = spec.width > text.length() ? spec.width - text.length() : 0;
    char fill = spec.fill;
    if (!spec.left_align) {
        for (usize index = 0; index < padding; ++index)
            sink.write(StringView(&fill, 1));
    }
    sink.write(text);
    if (spec.left_align) {
        for (usize index = 0; index < padding; ++index)
            sink.write(StringView(&fill, 1));
    }
}

void format_unsigned(FormatSink& sink, u64 value, bool is_negative, const FormatSpec& spec)
{
    u64 base = 10;
    StringView prefix;
    const char* digit_characters = "0123456789abcdef";
    switch (spec.type) {
    case FormatSpec::Type::Hex:
    case FormatSpec::Type::Pointer:
        base = 16;
        prefix = "0x";
        break;
    case FormatSpec::Type::UpperHex:
        base = 16;
        prefix = "0x";
        digit_characters = "0123456789ABCDEF";
        break;
    case FormatSpec::Type::Binary:
        base = 2;
        prefix = "0b";
        break;
    default:
        break;
    }
    if (!spec.alternate_form)
        prefix = {};

    // 64 binary digits, a sign and a two-character prefix fit in 68 characters; zero
    // padding can widen that to the largest width parse_spec() accepts.
    constexpr usize max_width = 256;
    char digits[64];
    usize digit_count = 0;
    do {
        digits[digit_count++] = digit_characters[value % base];
        value /= base;
    } while (value != 0);

    char text[max_width + 68];
    usize length = 0;
    if (is_negative)
        text[length++] = '-';
    for (char character : prefix)
        text[length++] = character;
    // Zero padding goes between the sign/prefix and the digits, as in printf.
    if (spec.zero_pad && !spec.left_align) {
        usize width = spec.width < max_width ? spec.width : max_width;
        while (length + digit_count < width)
            text[length++] = '0';
    }
    while (digit_count > 0)
        text[length++] = digits[--digit_count];

    format_padded(sink, StringView(text, length), spec);
}

namespace {

// Parses the part of a replacement field after ':' up to (not including) '}'.
FormatSpec parse_spec(StringView text)
{
    FormatSpec spec;
    usize position = 0;
    auto is_align = [](char character) { return character == '<' || character == '>'; };
    if (text.length() >= 2 && is_align(text[1])) {
        spec.fill = text[0];
        spec.left_align = text[1] == '<';
        position = 2;
    } else if (!text.is_empty() && is_align(text[0])) {
        spec.left_align = text[0] == '<';
        position = 1;
    }
    if (position < text.length() && text[position] == '#') {
        spec.alternate_form = true;
        ++position;
    }
    if (position < text.length() && text[position] == '0') {
        spec.zero_pad = true;
        ++position;
    }
    u32 width = 0;
    while (position < text.length() && text[position] >= '0' && text[position] <= '9') {
        width = width * 10 + static_cast<u32>(text[position] - '0');
        if (width > 256)
            width = 256;
        ++position;
    }
    spec.width = static_cast<u16>(width);
    if (position < text.length()) {
        switch (text[position]) {
        case 'd':
            spec.type = FormatSpec::Type::Decimal;
            break;
        case 'x':
            spec.type = FormatSpec::Type::Hex;
            break;
        case 'X':
            spec.type = FormatSpec::Type::UpperHex;
            break;
        case 'b':
            spec.type = FormatSpec::Type::Binary;
            break;
        case 'c':
            spec.type = FormatSpec::Type::Character;
            break;
        case 's':
            spec.type = FormatSpec::Type::String;
            break;
        case 'p':
            spec.type = FormatSpec::Type::Pointer;
            break;
        default:
            break;
        }
    }
    return spec;
}

} // namespace

void vformat(FormatSink& sink, StringView format_string, Span<const FormatArgument> arguments)
{
    usize next_argument = 0;
    usize literal_start = 0;
    usize position = 0;
    auto flush_literal = [&](usize end) {
        if (end > literal_start)
            sink.write(format_string.substring(literal_start, end - literal_start));
    };
    while (position < format_string.length()) {
        char character = format_string[position];
        bool has_next = position + 1 < format_string.length();
        if ((character == '{' || character == '}') && has_next && format_string[position + 1] == character) {
            flush_literal(position + 1);
            position += 2;
            literal_start = position;
            continue;
        }
        if (character != '{') {
            ++position;
            continue;
        }
        auto closing = format_string.find('}', position);
        if (!closing.has_value()) {
            // An unterminated replacement field prints as literal text.
            ++position;
            continue;
        }
        flush_literal(position);
        StringView inside = format_string.substring(position + 1, closing.value() - position - 1);
        FormatSpec spec;
        if (!inside.is_empty() && inside[0] == ':')
            spec = parse_spec(inside.substring(1));
        if (next_argument < arguments.size()) {
            const FormatArgument& argument = arguments[next_argument++];
            argument.print(sink, argument.value, spec);
        } else {
            sink.write("<missing>");
        }
        position = closing.value() + 1;
        literal_start = position;
    }
    flush_literal(position);
}

} // namespace Core
