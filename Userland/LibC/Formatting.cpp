#include <Userland/LibC/Formatting.h>
#include <stdint.h>
#include <stdlib.h>

namespace LibC {

void BufferSink::write(const char* characters, size_t count)
{
    if (m_capacity == 0)
        return;
    size_t room = m_capacity - 1 - m_length;
    size_t taken = count < room ? count : room;
    for (size_t index = 0; index < taken; ++index)
        m_buffer[m_length + index] = characters[index];
    m_length += taken;
    m_buffer[m_length] = '\0';
}

namespace {

constexpr int no_value = -1;
constexpr size_t int_maximum = 0x7FFFFFFF;

enum class Length {
    Default,
    Char, // hh
    Short, // h
    Long, // l
    LongLong, // ll
    IntMax, // j
    Size, // z
    PointerDifference, // t
    LongDouble, // L
};

// One conversion specification: %[flags][width][.precision][length]conversion.
struct Specification {
    bool left_justify { false }; // -
    bool force_sign { false }; // +
    bool space_sign { false }; // space
    bool alternate { false }; // #
    bool zero_pad { false }; // 0
    int width { no_value };
    int precision { no_value };
    Length length { Length::Default };
    char conversion { 0 };
};

// Counts what goes to the sink, and notices a count past INT_MAX.
class Writer {
public:
    explicit Writer(OutputSink& sink)
        : m_sink(sink)
    {
    }
    void put(const char* characters, size_t count)
    {
        m_count += count;
        m_sink.write(characters, count);
    }
    void put(char character) { put(&character, 1); }
    void repeat(char character, size_t count)
    {
        char block[32];
        for (char& slot : block)
            slot = character;
        while (count > 0) {
            size_t part = count < sizeof(block) ? count : sizeof(block);
            put(block, part);
            count -= part;
        }
    }
    // No memory for a conversion (a long double's digits): the call returns -1.
    void fail() { m_failed = true; }
    [[nodiscard]] bool overflowed() const { return m_failed || m_count > int_maximum; }
    [[nodiscard]] size_t count() const { return m_count; }

private:
    OutputSink& m_sink;
    size_t m_count { 0 };
    bool m_failed { false };
};

// One converted field: the prefix (sign, 0x), then the body with `zeros` zeros inserted at
// `split` (an integer's precision before its digits; a large precision's zeros before an
// exponent or at the end), padded to the width: spaces after with '-', else zeros after
// the prefix when `zero_padding` (numbers), else spaces before.
struct Field {
    const char* prefix;
    size_t prefix_length;
    const char* body;
    size_t body_length;
    size_t split;
    size_t zeros;
};

void emit(Writer& writer, const Specification& specification, const Field& field, bool zero_padding)
{
    size_t total = field.prefix_length + field.zeros + field.body_length;
    size_t padding = specification.width > 0 && static_cast<size_t>(specification.width) > total
        ? static_cast<size_t>(specification.width) - total
        : 0;
    if (!specification.left_justify && !zero_padding)
        writer.repeat(' ', padding);
    writer.put(field.prefix, field.prefix_length);
    if (!specification.left_justify && zero_padding)
        writer.repeat('0', padding);
    writer.put(field.body, field.split);
    writer.repeat('0', field.zeros);
    writer.put(field.body + field.split, field.body_length - field.split);
    if (specification.left_justify)
        writer.repeat(' ', padding);
}

// A field of text alone.
void emit_text(Writer& writer, const Specification& specification, const char* text, size_t length)
{
    emit(writer, specification, { "", 0, text, length, 0, 0 }, false);
}

// Where the exponent starts in a body: its letter (e or p, either case), searched from the
// end, since hexadecimal digits include e.
size_t exponent_start(const char* body, size_t length, char letter)
{
    size_t index = length;
    while (index > 0 && body[index - 1] != letter && body[index - 1] != letter - 'a' + 'A')
        --index;
    return index > 0 ? index - 1 : length;
}

// ---- integers ------------------------------------------------------------------------------

void format_integer(Writer& writer, const Specification& specification, uint64_t magnitude, bool negative)
{
    char conversion = specification.conversion;
    bool is_signed = conversion == 'd' || conversion == 'i';
    unsigned base = conversion == 'o' ? 8 : (conversion == 'x' || conversion == 'X') ? 16 : 10;
    const char* digit_characters = conversion == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[24];
    size_t digit_count = 0;
    for (uint64_t rest = magnitude; rest != 0; rest /= base)
        digits[sizeof(digits) - 1 - digit_count++] = digit_characters[rest % base];
    const char* body = digits + sizeof(digits) - digit_count;
    // The precision is the minimum number of digits; 0 with a value of 0 means none.
    size_t minimum_digits
        = specification.precision == no_value ? 1 : static_cast<size_t>(specification.precision);
    size_t zeros = minimum_digits > digit_count ? minimum_digits - digit_count : 0;
    // '#' with o: the first digit is a 0.
    if (conversion == 'o' && specification.alternate && zeros == 0 && (digit_count == 0 || body[0] != '0'))
        zeros = 1;
    char prefix[2];
    size_t prefix_length = 0;
    if (is_signed && negative)
        prefix[prefix_length++] = '-';
    else if (is_signed && specification.force_sign)
        prefix[prefix_length++] = '+';
    else if (is_signed && specification.space_sign)
        prefix[prefix_length++] = ' ';
    if (base == 16 && specification.alternate && magnitude != 0) {
        prefix[prefix_length++] = '0';
        prefix[prefix_length++] = conversion;
    }
    bool zero_padding = specification.zero_pad && specification.precision == no_value;
    emit(writer, specification, { prefix, prefix_length, body, digit_count, 0, zeros }, zero_padding);
}

// ---- floating point ------------------------------------------------------------------------

// The exact decimal digits of a finite, non-zero value: value = 0.DIGITS x 10^point.
// A value is m x 2^e with m < 2^64; for e < 0 that is m x 5^-e / 10^-e, so the digits are
// those of the integer m x 5^-e (at most 767 of them for a double, 11,515 for a long
// double), and for e >= 0 those of m x 2^e (at most 309, or 4,933). The integer is built
// in base 10^9, in `limbs` (the caller's: a double's fit on the stack, a long double's
// are on the heap).
struct DecimalDigits {
    char* digits { nullptr };
    int count { 0 };
    int point { 0 };
};

void expand(uint64_t mantissa, int exponent, DecimalDigits& out, uint32_t* limbs)
{
    constexpr uint32_t limb_base = 1'000'000'000;
    int limb_count = 0;
    for (uint64_t rest = mantissa; rest != 0; rest /= limb_base)
        limbs[limb_count++] = static_cast<uint32_t>(rest % limb_base);
    auto multiply = [&](uint32_t factor) {
        uint64_t carry = 0;
        for (int index = 0; index < limb_count; ++index) {
            uint64_t product = static_cast<uint64_t>(limbs[index]) * factor + carry;
            limbs[index] = static_cast<uint32_t>(product % limb_base);
            carry = product / limb_base;
        }
        while (carry != 0) {
            limbs[limb_count++] = static_cast<uint32_t>(carry % limb_base);
            carry /= limb_base;
        }
    };
    int shift = 0;
    if (exponent >= 0) {
        for (int remaining = exponent; remaining > 0; remaining -= 29)
            multiply(1u << (remaining < 29 ? remaining : 29));
    } else {
        // 5^13 is the largest power of five below 2^32.
        constexpr uint32_t powers_of_five[14] = { 1, 5, 25, 125, 625, 3125, 15625, 78125, 390625, 1953125,
            9765625, 48828125, 244140625, 1220703125 };
        for (int remaining = -exponent; remaining > 0; remaining -= 13)
            multiply(powers_of_five[remaining < 13 ? remaining : 13]);
        shift = -exponent;
    }
    // The most significant limb without leading zeros, the others with all nine digits.
    out.count = 0;
    char top[10];
    int top_length = 0;
    for (uint32_t rest = limbs[limb_count - 1]; rest != 0; rest /= 10)
        top[top_length++] = static_cast<char>('0' + rest % 10);
    while (top_length > 0)
        out.digits[out.count++] = top[--top_length];
    for (int index = limb_count - 2; index >= 0; --index) {
        uint32_t limb = limbs[index];
        for (int place = 8; place >= 0; --place) {
            out.digits[out.count + place] = static_cast<char>('0' + limb % 10);
            limb /= 10;
        }
        out.count += 9;
    }
    out.point = out.count - shift;
    // Trailing zeros carry no information.
    while (out.count > 1 && out.digits[out.count - 1] == '0')
        --out.count;
}

// Rounds to the first `keep` digits, to nearest, ties to even (the digits are exact, so a
// tie is a 5 with nothing after it). A carry out of the first digit moves the point.
void round_to(DecimalDigits& number, int keep)
{
    if (keep >= number.count)
        return;
    if (keep < 0) {
        number.count = 0;
        return;
    }
    char deciding = number.digits[keep];
    bool anything_after = false;
    for (int index = keep + 1; index < number.count; ++index)
        anything_after = anything_after || number.digits[index] != '0';
    bool last_kept_odd = keep > 0 && ((number.digits[keep - 1] - '0') % 2 == 1);
    bool round_up = deciding > '5' || (deciding == '5' && (anything_after || last_kept_odd));
    number.count = keep;
    if (!round_up) {
        while (number.count > 0 && number.digits[number.count - 1] == '0')
            --number.count;
        return;
    }
    int index = keep - 1;
    while (index >= 0 && number.digits[index] == '9')
        --index;
    if (index < 0) {
        number.digits[0] = '1';
        number.count = 1;
        ++number.point;
        return;
    }
    ++number.digits[index];
    number.count = index + 1;
}

// The digit at `position` (0: the first), 0 past the end.
char digit_at(const DecimalDigits& number, int position)
{
    return position >= 0 && position < number.count ? number.digits[position] : '0';
}

// Writes the body of %f (`precision` places), %e (`precision` places after the first digit)
// or %g's choice of the two, and returns its length. `body` has room for any of them.
size_t fixed_body(const DecimalDigits& number, int precision, bool alternate, bool trim, char* body)
{
    size_t length = 0;
    if (number.point > 0) {
        for (int position = 0; position < number.point; ++position)
            body[length++] = digit_at(number, position);
    } else {
        body[length++] = '0';
    }
    int places = precision;
    if (trim) {
        // %g without '#': no trailing zeros in the fraction.
        while (places > 0 && digit_at(number, number.point + places - 1) == '0')
            --places;
    }
    if (places > 0 || alternate)
        body[length++] = '.';
    for (int place = 0; place < places; ++place)
        body[length++] = digit_at(number, number.point + place);
    return length;
}

size_t exponent_body(
    const DecimalDigits& number, int precision, bool alternate, bool trim, char exponent_letter, char* body)
{
    size_t length = 0;
    body[length++] = digit_at(number, 0);
    int places = precision;
    if (trim) {
        while (places > 0 && digit_at(number, places) == '0')
            --places;
    }
    if (places > 0 || alternate)
        body[length++] = '.';
    for (int place = 1; place <= places; ++place)
        body[length++] = digit_at(number, place);
    int exponent = number.count == 0 ? 0 : number.point - 1;
    body[length++] = exponent_letter;
    body[length++] = exponent < 0 ? '-' : '+';
    unsigned magnitude = static_cast<unsigned>(exponent < 0 ? -exponent : exponent);
    char digits[4];
    int digit_count = 0;
    for (; magnitude != 0 || digit_count < 2; magnitude /= 10)
        digits[digit_count++] = static_cast<char>('0' + magnitude % 10);
    while (digit_count > 0)
        body[length++] = digits[--digit_count];
    return length;
}

// A floating value taken apart, for double and long double alike.
struct FloatParts {
    bool negative { false };
    bool infinite { false };
    bool not_a_number { false };
    // Finite: value = mantissa x 2^exponent (mantissa 0 for zero).
    uint64_t mantissa { 0 };
    int exponent { 0 };
    // %a's digits: a leading hexadecimal digit, `fraction_digits` more in `fraction`, and the
    // binary exponent shown.
    uint64_t leading { 0 };
    uint64_t fraction { 0 };
    int fraction_digits { 0 };
    int hex_exponent { 0 };
    // Past this many decimal places every digit is 0 (the smallest unit's places).
    int places_limit { 0 };
};

FloatParts parts_of(double value)
{
    uint64_t bits = 0;
    __builtin_memcpy(&bits, &value, sizeof(bits));
    FloatParts parts;
    parts.negative = (bits >> 63) != 0;
    int biased_exponent = static_cast<int>((bits >> 52) & 0x7FF);
    uint64_t fraction = bits & ((1ull << 52) - 1);
    parts.places_limit = 1074;
    if (biased_exponent == 0x7FF) {
        parts.infinite = fraction == 0;
        parts.not_a_number = fraction != 0;
        return parts;
    }
    bool is_zero = biased_exponent == 0 && fraction == 0;
    parts.mantissa = biased_exponent == 0 ? fraction : (fraction | (1ull << 52));
    parts.exponent = biased_exponent == 0 ? -1074 : biased_exponent - 1075;
    // Normal numbers: 1.fraction x 2^(e-1023); subnormals 0.fraction x 2^-1022.
    parts.leading = biased_exponent == 0 ? 0 : 1;
    parts.fraction = fraction;
    parts.fraction_digits = 13;
    parts.hex_exponent = is_zero ? 0 : (biased_exponent == 0 ? -1022 : biased_exponent - 1023);
    return parts;
}

// x86's 80-bit extended format: a 64-bit significand with its leading bit stored, a 15-bit
// exponent. %a shows it as glibc does: the significand's top four bits as the leading
// digit, the other 60 as 15 fraction digits.
FloatParts parts_of(long double value)
{
    unsigned char bytes[sizeof(long double)];
    __builtin_memcpy(bytes, &value, sizeof(bytes));
    uint64_t significand = 0;
    uint16_t high = 0;
    __builtin_memcpy(&significand, bytes, 8);
    __builtin_memcpy(&high, bytes + 8, 2);
    FloatParts parts;
    parts.negative = (high >> 15) != 0;
    int biased_exponent = high & 0x7FFF;
    parts.places_limit = 16445;
    if (biased_exponent == 0x7FFF) {
        // The integer bit set and nothing else is infinity; anything else is not a number.
        parts.infinite = (significand << 1) == 0;
        parts.not_a_number = !parts.infinite;
        return parts;
    }
    parts.mantissa = significand;
    int unbiased = biased_exponent == 0 ? -16382 : biased_exponent - 16383;
    parts.exponent = unbiased - 63;
    parts.leading = significand >> 60;
    parts.fraction = significand & ((1ull << 60) - 1);
    parts.fraction_digits = 15;
    parts.hex_exponent = significand == 0 ? 0 : unbiased - 3;
    return parts;
}

// %a: the hexadecimal significand and a binary exponent. A precision below the fraction's
// digits rounds, ties to even; a carry out of the leading digit past F makes it 1 and moves
// the exponent by four, as glibc does.
size_t hexadecimal_body(const FloatParts& parts, int precision, bool alternate, bool upper, char* body)
{
    const char* digit_characters = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    uint64_t leading = parts.leading;
    uint64_t fraction = parts.fraction;
    int fraction_digits = parts.fraction_digits;
    int exponent = parts.hex_exponent;
    int digits = fraction_digits;
    if (precision != no_value && precision < fraction_digits) {
        int dropped_bits = 4 * (fraction_digits - precision);
        uint64_t kept = fraction >> dropped_bits;
        uint64_t rest = fraction & ((1ull << dropped_bits) - 1);
        uint64_t half = 1ull << (dropped_bits - 1);
        // Ties to even: the last digit kept, or the leading one when none is.
        bool last_odd = precision == 0 ? (leading & 1) != 0 : (kept & 1) != 0;
        if (rest > half || (rest == half && last_odd)) {
            ++kept;
            if (kept >> (4 * precision)) {
                // Carried into the leading digit.
                kept &= (1ull << (4 * precision)) - 1;
                ++leading;
            }
        }
        if (leading == 16) {
            leading = 1;
            exponent += 4;
        }
        fraction = kept << dropped_bits;
        digits = precision;
    }
    if (precision == no_value) {
        while (digits > 0 && ((fraction >> (4 * (fraction_digits - digits))) & 0xF) == 0)
            --digits;
    }
    size_t length = 0;
    body[length++] = digit_characters[leading];
    if (digits > 0 || alternate)
        body[length++] = '.';
    for (int index = 0; index < digits; ++index)
        body[length++] = digit_characters[(fraction >> (4 * (fraction_digits - 1 - index))) & 0xF];
    for (int index = digits; index < precision; ++index)
        body[length++] = '0';
    body[length++] = upper ? 'P' : 'p';
    body[length++] = exponent < 0 ? '-' : '+';
    unsigned magnitude = static_cast<unsigned>(exponent < 0 ? -exponent : exponent);
    char exponent_digits[6];
    int exponent_count = 0;
    do {
        exponent_digits[exponent_count++] = static_cast<char>('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    while (exponent_count > 0)
        body[length++] = exponent_digits[--exponent_count];
    return length;
}

// Memory a conversion needs beyond a double's, from the heap, freed when done.
template<typename T> struct HeapBuffer {
    explicit HeapBuffer(size_t count)
        : data(count ? static_cast<T*>(malloc(count * sizeof(T))) : nullptr)
    {
    }
    ~HeapBuffer() { free(data); }
    HeapBuffer(const HeapBuffer&) = delete;
    HeapBuffer& operator=(const HeapBuffer&) = delete;
    T* data;
};

void format_floating(Writer& writer, const Specification& specification, const FloatParts& parts)
{
    bool negative = parts.negative;
    char conversion = specification.conversion;
    bool upper = conversion == 'E' || conversion == 'F' || conversion == 'G' || conversion == 'A';
    char prefix[4];
    size_t prefix_length = 0;
    if (negative)
        prefix[prefix_length++] = '-';
    else if (specification.force_sign)
        prefix[prefix_length++] = '+';
    else if (specification.space_sign)
        prefix[prefix_length++] = ' ';
    // Infinities and NaNs: no zero padding, no precision.
    if (parts.infinite || parts.not_a_number) {
        const char* text = parts.not_a_number ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        emit(writer, specification, { prefix, prefix_length, text, 3, 0, 0 }, false);
        return;
    }
    // The body holds up to body_places places: past the 1074th every place of a double is 0
    // (its smallest unit is 2^-1074, which has 1074 decimal places; a long double's, 2^-16445,
    // has 16445), so the zeros of a larger precision are inserted when it is written
    // (Field::zeros). With the digits of the largest integer part (309, or 4,933) and an
    // exponent, 1500 bytes hold any body of a double; a long double's are on the heap.
    bool wide = parts.places_limit > 1074;
    int body_places = parts.places_limit + 6;
    size_t body_capacity = wide ? 22000 : 1500;
    size_t digit_capacity = wide ? 11600 : 800;
    size_t limb_capacity = wide ? 1300 : 96;
    char stack_body[1500];
    char stack_digits[2][800];
    uint32_t stack_limbs[96];
    HeapBuffer<char> heap_body(wide ? body_capacity : 0);
    HeapBuffer<char> heap_digits(wide ? 2 * digit_capacity : 0);
    HeapBuffer<uint32_t> heap_limbs(wide ? limb_capacity : 0);
    if (wide && (!heap_body.data || !heap_digits.data || !heap_limbs.data)) {
        writer.fail();
        return;
    }
    char* body = wide ? heap_body.data : stack_body;
    char* digit_storage[2] = { wide ? heap_digits.data : stack_digits[0],
        wide ? heap_digits.data + digit_capacity : stack_digits[1] };
    uint32_t* limbs = wide ? heap_limbs.data : stack_limbs;
    int precision = specification.precision;
    size_t length = 0;
    size_t extra_zeros = 0;
    bool zeros_at_end = false;
    if (conversion == 'a' || conversion == 'A') {
        prefix[prefix_length++] = '0';
        prefix[prefix_length++] = upper ? 'X' : 'x';
        // Places beyond the fraction's hexadecimal digits (13 for a double) are zeros.
        int digits = parts.fraction_digits;
        int shown = precision != no_value && precision > digits ? digits : precision;
        length = hexadecimal_body(parts, shown, specification.alternate, upper, body);
        extra_zeros
            = precision != no_value && precision > digits ? static_cast<size_t>(precision - digits) : 0;
    } else {
        if (precision == no_value)
            precision = 6;
        DecimalDigits number;
        number.digits = digit_storage[0];
        number.count = 0;
        number.point = 1;
        if (parts.mantissa != 0)
            expand(parts.mantissa, parts.exponent, number, limbs);
        bool is_zero = number.count == 0;
        char exponent_letter = upper ? 'E' : 'e';
        auto shown_places = [&](int places) {
            extra_zeros = places > body_places ? static_cast<size_t>(places - body_places) : 0;
            return places > body_places ? body_places : places;
        };
        if (conversion == 'f' || conversion == 'F') {
            round_to(number, number.point + precision);
            if (number.count == 0)
                number.point = 1;
            length = fixed_body(number, shown_places(precision), specification.alternate, false, body);
            zeros_at_end = true;
        } else if (conversion == 'e' || conversion == 'E') {
            if (!is_zero)
                round_to(number, precision + 1);
            length = exponent_body(
                number, shown_places(precision), specification.alternate, false, exponent_letter, body);
        } else {
            // %g: P significant digits; the style by the exponent X after rounding to them.
            int significant = precision == 0 ? 1 : precision;
            DecimalDigits rounded = number;
            rounded.digits = digit_storage[1];
            for (int index = 0; index < number.count; ++index)
                rounded.digits[index] = number.digits[index];
            if (!is_zero)
                round_to(rounded, significant);
            int exponent = is_zero ? 0 : rounded.point - 1;
            // Without '#', trailing zeros go: then no precision's zeros are left to insert.
            bool trim = !specification.alternate;
            if (significant > exponent && exponent >= -4) {
                int places = significant - 1 - exponent;
                round_to(number, number.point + places);
                if (number.count == 0)
                    number.point = 1;
                length = fixed_body(number, shown_places(places), specification.alternate, trim, body);
                zeros_at_end = true;
            } else {
                length = exponent_body(rounded, shown_places(significant - 1), specification.alternate, trim,
                    exponent_letter, body);
            }
            if (trim)
                extra_zeros = 0;
        }
    }
    bool hexadecimal = conversion == 'a' || conversion == 'A';
    size_t split = zeros_at_end ? length : exponent_start(body, length, hexadecimal ? 'p' : 'e');
    emit(writer, specification, { prefix, prefix_length, body, length, split, extra_zeros },
        specification.zero_pad);
}

// ---- characters and strings ----------------------------------------------------------------

// UTF-8 for a code point; 0 for one that has none (a surrogate or past U+10FFFF).
size_t encode_utf8(uint32_t code_point, char* out)
{
    if (code_point < 0x80) {
        out[0] = static_cast<char>(code_point);
        return 1;
    }
    if (code_point < 0x800) {
        out[0] = static_cast<char>(0xC0 | (code_point >> 6));
        out[1] = static_cast<char>(0x80 | (code_point & 0x3F));
        return 2;
    }
    if (code_point >= 0xD800 && code_point <= 0xDFFF)
        return 0;
    if (code_point < 0x10000) {
        out[0] = static_cast<char>(0xE0 | (code_point >> 12));
        out[1] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out[2] = static_cast<char>(0x80 | (code_point & 0x3F));
        return 3;
    }
    if (code_point <= 0x10FFFF) {
        out[0] = static_cast<char>(0xF0 | (code_point >> 18));
        out[1] = static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out[2] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out[3] = static_cast<char>(0x80 | (code_point & 0x3F));
        return 4;
    }
    return 0;
}

// %ls: the wide string in UTF-8, at most `precision` bytes (whole characters only). False
// for a character UTF-8 cannot encode.
bool format_wide_string(Writer& writer, const Specification& specification, const wchar_t* text)
{
    if (!text)
        text = L"(null)";
    size_t limit
        = specification.precision == no_value ? SIZE_MAX : static_cast<size_t>(specification.precision);
    // First the length, so that the padding can go before.
    size_t bytes = 0;
    for (const wchar_t* position = text; *position; ++position) {
        char encoded[4];
        size_t size = encode_utf8(static_cast<uint32_t>(*position), encoded);
        if (size == 0)
            return false;
        if (bytes + size > limit)
            break;
        bytes += size;
    }
    size_t padding = specification.width > 0 && static_cast<size_t>(specification.width) > bytes
        ? static_cast<size_t>(specification.width) - bytes
        : 0;
    if (!specification.left_justify)
        writer.repeat(' ', padding);
    size_t written = 0;
    for (const wchar_t* position = text; *position; ++position) {
        char encoded[4];
        size_t size = encode_utf8(static_cast<uint32_t>(*position), encoded);
        if (written + size > bytes)
            break;
        writer.put(encoded, size);
        written += size;
    }
    if (specification.left_justify)
        writer.repeat(' ', padding);
    return true;
}

// ---- the format string -----------------------------------------------------------------------

// Reads a non-negative decimal number at `position`, saturating at INT_MAX.
int read_number(const char*& position)
{
    long long value = 0;
    while (*position >= '0' && *position <= '9') {
        value = value * 10 + (*position - '0');
        if (value > static_cast<long long>(int_maximum))
            value = static_cast<long long>(int_maximum);
        ++position;
    }
    return static_cast<int>(value);
}

// Parses a specification after its '%'; false for one that is malformed.
bool parse_specification(const char*& position, Specification& specification, va_list& arguments)
{
    for (;; ++position) {
        switch (*position) {
        case '-':
            specification.left_justify = true;
            continue;
        case '+':
            specification.force_sign = true;
            continue;
        case ' ':
            specification.space_sign = true;
            continue;
        case '#':
            specification.alternate = true;
            continue;
        case '0':
            specification.zero_pad = true;
            continue;
        default:
            break;
        }
        break;
    }
    if (*position == '*') {
        ++position;
        int width = va_arg(arguments, int);
        // A negative width is a '-' flag and the width.
        if (width < 0) {
            specification.left_justify = true;
            width = width == -2147483647 - 1 ? 2147483647 : -width;
        }
        specification.width = width;
    } else if (*position >= '1' && *position <= '9') {
        specification.width = read_number(position);
    }
    if (*position == '.') {
        ++position;
        if (*position == '*') {
            ++position;
            int precision = va_arg(arguments, int);
            // A negative precision is taken as none.
            specification.precision = precision < 0 ? no_value : precision;
        } else {
            specification.precision = read_number(position);
        }
    }
    switch (*position) {
    case 'h':
        ++position;
        if (*position == 'h') {
            ++position;
            specification.length = Length::Char;
        } else {
            specification.length = Length::Short;
        }
        break;
    case 'l':
        ++position;
        if (*position == 'l') {
            ++position;
            specification.length = Length::LongLong;
        } else {
            specification.length = Length::Long;
        }
        break;
    case 'j':
        ++position;
        specification.length = Length::IntMax;
        break;
    case 'z':
        ++position;
        specification.length = Length::Size;
        break;
    case 't':
        ++position;
        specification.length = Length::PointerDifference;
        break;
    case 'L':
        ++position;
        specification.length = Length::LongDouble;
        break;
    default:
        break;
    }
    specification.conversion = *position;
    if (*position == '\0')
        return false;
    ++position;
    // '-' overrides '0', and '+' overrides ' ' (C17 7.21.6.1).
    if (specification.left_justify)
        specification.zero_pad = false;
    if (specification.force_sign)
        specification.space_sign = false;
    return true;
}

// Reads a signed integer argument of the specification's length, as its magnitude.
void read_signed(const Specification& specification, va_list& arguments, uint64_t& magnitude, bool& negative)
{
    long long value = 0;
    switch (specification.length) {
    case Length::Char:
        value = static_cast<signed char>(va_arg(arguments, int));
        break;
    case Length::Short:
        value = static_cast<short>(va_arg(arguments, int));
        break;
    case Length::Long:
        value = va_arg(arguments, long);
        break;
    case Length::LongLong:
        value = va_arg(arguments, long long);
        break;
    case Length::IntMax:
        value = va_arg(arguments, intmax_t);
        break;
    case Length::Size:
    case Length::PointerDifference:
        value = va_arg(arguments, ptrdiff_t);
        break;
    default:
        value = va_arg(arguments, int);
        break;
    }
    negative = value < 0;
    magnitude = negative ? 0ull - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
}

uint64_t read_unsigned(const Specification& specification, va_list& arguments)
{
    switch (specification.length) {
    case Length::Char:
        return static_cast<unsigned char>(va_arg(arguments, unsigned));
    case Length::Short:
        return static_cast<unsigned short>(va_arg(arguments, unsigned));
    case Length::Long:
        return va_arg(arguments, unsigned long);
    case Length::LongLong:
        return va_arg(arguments, unsigned long long);
    case Length::IntMax:
        return va_arg(arguments, uintmax_t);
    case Length::Size:
    case Length::PointerDifference:
        return va_arg(arguments, size_t);
    default:
        return va_arg(arguments, unsigned);
    }
}

} // namespace

int format(OutputSink& sink, const char* format_string, va_list original_arguments)
{
    va_list arguments;
    va_copy(arguments, original_arguments);
    Writer writer(sink);
    const char* position = format_string;
    bool refused = false;
    while (*position && !refused && !writer.overflowed()) {
        if (*position != '%') {
            const char* start = position;
            while (*position && *position != '%')
                ++position;
            writer.put(start, static_cast<size_t>(position - start));
            continue;
        }
        ++position;
        Specification specification;
        if (!parse_specification(position, specification, arguments)) {
            refused = true;
            break;
        }
        switch (specification.conversion) {
        case '%':
            writer.put('%');
            break;
        case 'd':
        case 'i': {
            uint64_t magnitude = 0;
            bool negative = false;
            read_signed(specification, arguments, magnitude, negative);
            format_integer(writer, specification, magnitude, negative);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X':
            format_integer(writer, specification, read_unsigned(specification, arguments), false);
            break;
        case 'c': {
            if (specification.length == Length::Long) {
                char encoded[4];
                // wint_t, an unsigned int after the default argument promotions.
                size_t size = encode_utf8(va_arg(arguments, unsigned), encoded);
                if (size == 0) {
                    refused = true;
                    break;
                }
                emit_text(writer, specification, encoded, size);
                break;
            }
            char character = static_cast<char>(va_arg(arguments, int));
            emit_text(writer, specification, &character, 1);
            break;
        }
        case 's': {
            if (specification.length == Length::Long) {
                refused = !format_wide_string(writer, specification, va_arg(arguments, const wchar_t*));
                break;
            }
            const char* text = va_arg(arguments, const char*);
            // glibc's convention for a null pointer, which C leaves undefined: "(null)",
            // or nothing when the precision cuts it.
            if (!text)
                text = specification.precision == no_value || specification.precision >= 6 ? "(null)" : "";
            size_t length = 0;
            size_t limit = specification.precision == no_value ? SIZE_MAX
                                                               : static_cast<size_t>(specification.precision);
            while (length < limit && text[length])
                ++length;
            emit_text(writer, specification, text, length);
            break;
        }
        case 'p': {
            void* pointer = va_arg(arguments, void*);
            if (!pointer) {
                // glibc's text for a null pointer.
                emit_text(writer, specification, "(nil)", 5);
                break;
            }
            Specification hexadecimal = specification;
            hexadecimal.conversion = 'x';
            hexadecimal.alternate = true;
            format_integer(writer, hexadecimal, reinterpret_cast<uintptr_t>(pointer), false);
            break;
        }
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            if (specification.length == Length::LongDouble)
                format_floating(writer, specification, parts_of(va_arg(arguments, long double)));
            else
                format_floating(writer, specification, parts_of(va_arg(arguments, double)));
            break;
        default:
            // %n (which writes through a pointer from the format's arguments) and anything
            // unknown.
            refused = true;
            break;
        }
    }
    va_end(arguments);
    if (refused || writer.overflowed())
        return -1;
    return static_cast<int>(writer.count());
}

} // namespace LibC
