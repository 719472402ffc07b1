#include <Userland/LibC/Characters.h>
#include <Userland/LibC/Conversions.h>
#include <Userland/LibC/FloatParsing.h>
#include <Userland/LibC/Scanning.h>
#include <stdint.h>

namespace LibC {

namespace {

enum class Length : uint8_t {
    Default,
    Char, // hh
    Short, // h
    Long, // l
    LongLong, // ll
    Maximum, // j
    Size, // z
    PointerDifference, // t
    LongDouble, // L (floating conversions only)
};

// Reads characters through the source, counting them (for %n) and keeping the width.
class Reader {
public:
    explicit Reader(InputSource& input)
        : m_input(input)
    {
    }
    int get()
    {
        int character = m_input.get();
        if (character >= 0)
            ++m_consumed;
        else
            m_ended = true;
        return character;
    }
    void unget(int character)
    {
        if (character < 0)
            return;
        m_input.unget(character);
        --m_consumed;
    }
    // Skips white space; false when the input ended.
    bool skip_space()
    {
        for (;;) {
            int character = get();
            if (character < 0)
                return false;
            if (!isspace(character)) {
                unget(character);
                return true;
            }
        }
    }
    [[nodiscard]] size_t consumed() const { return m_consumed; }
    [[nodiscard]] bool ended() const { return m_ended; }

private:
    InputSource& m_input;
    size_t m_consumed { 0 };
    bool m_ended { false };
};

// Collects at most `width` characters of a field into `buffer`, as long as `accept` takes
// them given what is collected so far; the first refused character is put back.
template<typename Accept>
size_t collect(Reader& reader, size_t width, char* buffer, size_t capacity, Accept accept)
{
    size_t length = 0;
    while (length < width && length + 1 < capacity) {
        int character = reader.get();
        if (character < 0)
            break;
        buffer[length] = static_cast<char>(character);
        if (!accept(buffer, length)) {
            reader.unget(character);
            break;
        }
        ++length;
    }
    buffer[length] = 0;
    return length;
}

bool is_digit_in_base(char character, int base)
{
    int value = -1;
    if (character >= '0' && character <= '9')
        value = character - '0';
    else if (character >= 'a' && character <= 'z')
        value = character - 'a' + 10;
    else if (character >= 'A' && character <= 'Z')
        value = character - 'A' + 10;
    return value >= 0 && value < base;
}

// The integer field's characters: a sign, a base prefix where the base allows one, digits.
// `base` 0 decides from the prefix as it is read.
size_t collect_integer(Reader& reader, size_t width, char* buffer, size_t capacity, int& base)
{
    return collect(reader, width, buffer, capacity, [&](const char* text, size_t index) {
        char character = text[index];
        size_t start = (text[0] == '+' || text[0] == '-') ? 1 : 0;
        if (index == 0 && (character == '+' || character == '-'))
            return true;
        size_t digit_index = index - start;
        if ((base == 0 || base == 16) && digit_index == 1 && text[start] == '0'
            && (character == 'x' || character == 'X')) {
            base = 16;
            return true;
        }
        if (base == 0 && digit_index == 1 && text[start] == '0')
            base = 8;
        if (base == 0 && digit_index == 0)
            return is_digit_in_base(character, 10);
        return is_digit_in_base(character, base == 0 ? 10 : base);
    });
}

// Whether `text` is a complete integer subject sequence in `base` (after collect_integer).
bool is_complete_integer(const char* text, int base)
{
    size_t start = (text[0] == '+' || text[0] == '-') ? 1 : 0;
    const char* digits = text + start;
    if (base == 16 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
        digits += 2;
    return *digits != 0;
}

// The floating field: the longest prefix that could still become a number. State is kept
// in the lambda's captures.
size_t collect_float(Reader& reader, size_t width, char* buffer, size_t capacity)
{
    bool hexadecimal = false;
    bool seen_point = false;
    bool seen_exponent = false;
    size_t exponent_at = 0;
    bool any_digit = false;
    // "inf", "infinity" and "nan" are matched by letters in order.
    const char* word = nullptr;
    size_t word_start = 0;
    return collect(reader, width, buffer, capacity, [&](const char* text, size_t index) -> bool {
        char character = text[index];
        char lower = static_cast<char>(tolower(static_cast<unsigned char>(character)));
        size_t start = (text[0] == '+' || text[0] == '-') ? 1 : 0;
        if (index == 0 && (character == '+' || character == '-'))
            return true;
        if (word) {
            size_t position = index - word_start;
            return word[position] != 0 && word[position] == lower;
        }
        if (index == start && (lower == 'i' || lower == 'n')) {
            word = lower == 'i' ? "infinity" : "nan";
            word_start = index;
            return true;
        }
        if (index == start + 1 && text[start] == '0' && lower == 'x' && !hexadecimal) {
            hexadecimal = true;
            any_digit = false;
            return true;
        }
        if (seen_exponent) {
            if ((character == '+' || character == '-') && index == exponent_at + 1)
                return true;
            return isdigit(static_cast<unsigned char>(character)) != 0;
        }
        if (character == '.' && !seen_point) {
            seen_point = true;
            return true;
        }
        bool digit = hexadecimal ? isxdigit(static_cast<unsigned char>(character)) != 0
                                 : isdigit(static_cast<unsigned char>(character)) != 0;
        if (digit) {
            any_digit = true;
            return true;
        }
        if (any_digit && lower == (hexadecimal ? 'p' : 'e')) {
            seen_exponent = true;
            exponent_at = index;
            return true;
        }
        return false;
    });
}

// Whether strtod takes all of `text`: anything less is a matching failure.
bool is_complete_float(const char* text, size_t length)
{
    if (length == 0)
        return false;
    ConversionErrors errors;
    char* end = nullptr;
    (void)LibC::strtod(text, &end, errors);
    // "infinity" is accepted whole or as "inf"; anything between is incomplete.
    return static_cast<size_t>(end - text) == length;
}

template<typename T> void store_signed(void* pointer, long long value)
{
    *static_cast<T*>(pointer) = static_cast<T>(value);
}

void store_integer(Length length, bool is_signed, void* pointer, unsigned long long value)
{
    switch (length) {
    case Length::Char:
        *static_cast<unsigned char*>(pointer) = static_cast<unsigned char>(value);
        return;
    case Length::Short:
        *static_cast<unsigned short*>(pointer) = static_cast<unsigned short>(value);
        return;
    case Length::Long:
        *static_cast<unsigned long*>(pointer) = static_cast<unsigned long>(value);
        return;
    case Length::LongLong:
    case Length::Maximum:
        *static_cast<unsigned long long*>(pointer) = value;
        return;
    case Length::Size:
        *static_cast<size_t*>(pointer) = static_cast<size_t>(value);
        return;
    case Length::PointerDifference:
        *static_cast<long*>(pointer) = static_cast<long>(value);
        return;
    case Length::LongDouble:
    case Length::Default:
        if (is_signed)
            *static_cast<int*>(pointer) = static_cast<int>(value);
        else
            *static_cast<unsigned*>(pointer) = static_cast<unsigned>(value);
        return;
    }
}

// A scanset %[...]: which bytes it takes. Returns the format after its closing ']', or null
// when it does not close.
const char* parse_scanset(const char* format, bool (&members)[256])
{
    bool inverted = false;
    if (*format == '^') {
        inverted = true;
        ++format;
    }
    for (bool& member : members)
        member = false;
    const char* start = format;
    // A ']' first is a member, not the end.
    while (*format && (*format != ']' || format == start)) {
        unsigned char low = static_cast<unsigned char>(*format);
        if (format[1] == '-' && format[2] && format[2] != ']'
            && static_cast<unsigned char>(format[2]) >= low) {
            for (unsigned value = low; value <= static_cast<unsigned char>(format[2]); ++value)
                members[value] = true;
            format += 3;
            continue;
        }
        members[low] = true;
        ++format;
    }
    if (*format != ']')
        return nullptr;
    if (inverted) {
        for (bool& member : members)
            member = !member;
    }
    return format + 1;
}

} // namespace

int scan(InputSource& input, const char* format, va_list arguments)
{
    Reader reader(input);
    int assigned = 0;
    // Whether a conversion (or a matching character) completed: end of input before then
    // is EOF, after it is the count.
    bool anything_matched = false;
    auto input_failure = [&] { return anything_matched ? assigned : -1; };
    while (*format) {
        unsigned char directive = static_cast<unsigned char>(*format);
        if (isspace(directive)) {
            while (isspace(static_cast<unsigned char>(*format)))
                ++format;
            (void)reader.skip_space();
            continue;
        }
        if (directive != '%' || format[1] == '%') {
            if (directive == '%') {
                ++format;
                (void)reader.skip_space();
            }
            int character = reader.get();
            if (character < 0)
                return input_failure();
            if (character != static_cast<unsigned char>(*format)) {
                reader.unget(character);
                return assigned;
            }
            ++format;
            continue;
        }
        ++format;
        bool suppress = false;
        if (*format == '*') {
            suppress = true;
            ++format;
        }
        size_t width = 0;
        while (isdigit(static_cast<unsigned char>(*format)))
            width = width * 10 + static_cast<size_t>(*format++ - '0');
        Length length = Length::Default;
        switch (*format) {
        case 'h':
            length = format[1] == 'h' ? Length::Char : Length::Short;
            format += format[1] == 'h' ? 2 : 1;
            break;
        case 'l':
            length = format[1] == 'l' ? Length::LongLong : Length::Long;
            format += format[1] == 'l' ? 2 : 1;
            break;
        case 'j':
            length = Length::Maximum;
            ++format;
            break;
        case 'z':
            length = Length::Size;
            ++format;
            break;
        case 't':
            length = Length::PointerDifference;
            ++format;
            break;
        case 'L':
            length = Length::LongDouble;
            ++format;
            break;
        default:
            break;
        }
        char conversion = *format++;
        if (conversion == 0)
            return -2;
        if (conversion == 'n') {
            if (!suppress)
                store_integer(length, true, va_arg(arguments, void*), reader.consumed());
            continue;
        }
        // Every conversion but %c and %[ skips white space first.
        if (conversion != 'c' && conversion != '[' && !reader.skip_space())
            return input_failure();
        char field[1024];
        switch (conversion) {
        case 'd':
        case 'i':
        case 'o':
        case 'u':
        case 'x':
        case 'X':
        case 'p': {
            int base = conversion == 'd' || conversion == 'u' ? 10
                : conversion == 'i'                           ? 0
                : conversion == 'o'                           ? 8
                                                              : 16;
            size_t collected
                = collect_integer(reader, width ? width : sizeof(field) - 1, field, sizeof(field), base);
            if (collected == 0)
                return reader.ended() ? input_failure() : assigned;
            if (!is_complete_integer(field, base == 0 ? 10 : base))
                return assigned;
            ConversionErrors errors;
            unsigned long long value = 0;
            if (length == Length::LongDouble)
                return -2; // L is for floating conversions
            bool is_signed = conversion == 'd' || conversion == 'i';
            if (is_signed)
                value = static_cast<unsigned long long>(LibC::strtoll(field, nullptr, base, errors));
            else
                value = LibC::strtoull(field, nullptr, base, errors);
            anything_matched = true;
            if (!suppress) {
                if (conversion == 'p')
                    *va_arg(arguments, void**) = reinterpret_cast<void*>(static_cast<uintptr_t>(value));
                else
                    store_integer(length, is_signed, va_arg(arguments, void*), value);
                ++assigned;
            }
            break;
        }
        case 'a':
        case 'A':
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G': {
            size_t collected = collect_float(reader, width ? width : sizeof(field) - 1, field, sizeof(field));
            if (collected == 0)
                return reader.ended() ? input_failure() : assigned;
            if (!is_complete_float(field, collected))
                return assigned;
            anything_matched = true;
            if (!suppress) {
                ConversionErrors errors;
                if (length == Length::LongDouble)
                    *va_arg(arguments, long double*) = LibC::strtold(field, nullptr, errors);
                else if (length == Length::Long)
                    *va_arg(arguments, double*) = LibC::strtod(field, nullptr, errors);
                else
                    *va_arg(arguments, float*) = LibC::strtof(field, nullptr, errors);
                ++assigned;
            }
            break;
        }
        case 'c': {
            size_t count = width ? width : 1;
            char* destination = suppress ? nullptr : va_arg(arguments, char*);
            size_t taken = 0;
            for (; taken < count; ++taken) {
                int character = reader.get();
                if (character < 0)
                    break;
                if (destination)
                    destination[taken] = static_cast<char>(character);
            }
            if (taken == 0)
                return input_failure();
            // C: fewer than the width is a failure too, after the characters were read.
            if (taken < count)
                return input_failure();
            anything_matched = true;
            if (destination)
                ++assigned;
            break;
        }
        case 's':
        case '[': {
            bool members[256];
            if (conversion == '[') {
                const char* after = parse_scanset(format, members);
                if (!after)
                    return -2;
                format = after;
            } else {
                for (int value = 0; value < 256; ++value)
                    members[value] = !isspace(value);
            }
            char* destination = suppress ? nullptr : va_arg(arguments, char*);
            size_t limit = width ? width : static_cast<size_t>(-1);
            size_t taken = 0;
            while (taken < limit) {
                int character = reader.get();
                if (character < 0)
                    break;
                if (!members[character]) {
                    reader.unget(character);
                    break;
                }
                if (destination)
                    destination[taken] = static_cast<char>(character);
                ++taken;
            }
            if (taken == 0)
                return reader.ended() ? input_failure() : assigned;
            anything_matched = true;
            if (destination) {
                destination[taken] = 0;
                ++assigned;
            }
            break;
        }
        default:
            return -2;
        }
    }
    return assigned;
}

} // namespace LibC
