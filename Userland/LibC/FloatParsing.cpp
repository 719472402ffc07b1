#include <Userland/LibC/Characters.h>
#include <Userland/LibC/FloatParsing.h>
#include <stdint.h>

namespace LibC {

namespace {

// The binary formats a result is rounded to.
struct Format {
    int precision; // significand bits, the leading one included
    int minimum_exponent; // of the least significant bit of the smallest subnormal
    int maximum_exponent; // the largest finite value is below 2^maximum_exponent
    // Decimal magnitudes (value < 10^magnitude) beyond which the result is certainly
    // infinite, or certainly rounds to zero: no big integers are needed there.
    int overflow_magnitude;
    int underflow_magnitude;
};
constexpr Format double_format { 53, -1074, 1024, 311, -326 };
constexpr Format float_format { 24, -149, 128, 41, -48 };
// x86's 80-bit extended format: 64 significand bits, the leading one stored.
constexpr Format extended_format { 64, -16445, 16384, 4935, -4953 };

// Significands are at most 64 bits; their arithmetic, with a carry, needs one more.
using Wide = unsigned __int128;

// An unsigned integer of up to `limb_count` 32-bit limbs, least significant first. Big
// enough for the numerator and the denominator of any decimal input that is neither
// certainly zero nor certainly infinite in the widest format (800 digits scaled by up to
// 10^5753 or 2^16445: under 20,000 bits).
class BigInteger {
public:
    static constexpr int limb_count = 720;

    void set_small(uint32_t value)
    {
        m_used = value ? 1 : 0;
        m_limbs[0] = value;
    }
    [[nodiscard]] bool is_zero() const { return m_used == 0; }

    void multiply_add(uint32_t factor, uint32_t addend)
    {
        uint64_t carry = addend;
        for (int index = 0; index < m_used; ++index) {
            uint64_t product = uint64_t(m_limbs[index]) * factor + carry;
            m_limbs[index] = static_cast<uint32_t>(product);
            carry = product >> 32;
        }
        if (carry && m_used < limb_count)
            m_limbs[m_used++] = static_cast<uint32_t>(carry);
    }

    void multiply_by_power_of_ten(int exponent)
    {
        while (exponent >= 9) {
            multiply_add(1000000000u, 0);
            exponent -= 9;
        }
        static constexpr uint32_t powers[]
            = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000 };
        if (exponent > 0)
            multiply_add(powers[exponent], 0);
    }

    void shift_left(int bits)
    {
        if (m_used == 0 || bits == 0)
            return;
        int limbs = bits / 32;
        int rest = bits % 32;
        int new_used = m_used + limbs + 1;
        if (new_used > limb_count)
            new_used = limb_count;
        for (int index = new_used - 1; index >= 0; --index) {
            int source = index - limbs;
            uint64_t high = source >= 0 && source < m_used ? m_limbs[source] : 0;
            uint64_t low = source - 1 >= 0 && source - 1 < m_used ? m_limbs[source - 1] : 0;
            uint64_t combined = (high << 32 | low) << rest;
            m_limbs[index] = static_cast<uint32_t>(combined >> 32);
        }
        m_used = new_used;
        trim();
    }

    [[nodiscard]] int bit_length() const
    {
        if (m_used == 0)
            return 0;
        return (m_used - 1) * 32 + (32 - __builtin_clz(m_limbs[m_used - 1]));
    }

    [[nodiscard]] static int compare(const BigInteger& first, const BigInteger& second)
    {
        if (first.m_used != second.m_used)
            return first.m_used < second.m_used ? -1 : 1;
        for (int index = first.m_used - 1; index >= 0; --index) {
            if (first.m_limbs[index] != second.m_limbs[index])
                return first.m_limbs[index] < second.m_limbs[index] ? -1 : 1;
        }
        return 0;
    }

    // this -= other; other must not exceed this.
    void subtract(const BigInteger& other)
    {
        int64_t borrow = 0;
        for (int index = 0; index < m_used; ++index) {
            int64_t difference
                = int64_t(m_limbs[index]) - (index < other.m_used ? other.m_limbs[index] : 0) - borrow;
            borrow = difference < 0 ? 1 : 0;
            m_limbs[index] = static_cast<uint32_t>(difference + (borrow << 32));
        }
        trim();
    }

private:
    void trim()
    {
        while (m_used > 0 && m_limbs[m_used - 1] == 0)
            --m_used;
    }

    uint32_t m_limbs[limb_count] {};
    int m_used { 0 };
};

// The quotient of numerator by denominator (at most 67 bits, which the caller ensures);
// numerator becomes the remainder.
Wide divide(BigInteger& numerator, const BigInteger& denominator)
{
    Wide quotient = 0;
    int shift = numerator.bit_length() - denominator.bit_length();
    for (; shift >= 0; --shift) {
        BigInteger shifted = denominator;
        shifted.shift_left(shift);
        if (BigInteger::compare(numerator, shifted) >= 0) {
            numerator.subtract(shifted);
            quotient |= Wide(1) << shift;
        }
    }
    return quotient;
}

struct Decimal {
    char digits[800]; // significant digits, no leading zeros
    int count { 0 };
    bool sticky { false }; // a nonzero digit past the kept ones
    int64_t exponent { 0 }; // value = digits × 10^exponent
};

// Builds `digits` (0-9 each) into a big integer.
void load_digits(const Decimal& decimal, BigInteger& integer)
{
    integer.set_small(0);
    int index = 0;
    while (index < decimal.count) {
        uint32_t chunk = 0;
        uint32_t scale = 1;
        for (int taken = 0; taken < 9 && index < decimal.count; ++taken, ++index) {
            chunk = chunk * 10 + static_cast<uint32_t>(decimal.digits[index]);
            scale *= 10;
        }
        if (integer.is_zero())
            integer.set_small(chunk);
        else
            integer.multiply_add(scale, chunk);
    }
}

// The magnitude rounded to `format`: a significand below 2^precision and a binary exponent,
// or an overflow.
struct Rounded {
    uint64_t significand;
    int exponent; // value = significand × 2^exponent
    bool overflow;
};

// Rounds `quotient` + remainder/denominator (a value in units of 2^unit) to an integer,
// ties to even, with `sticky` meaning a little more than the remainder says.
Wide round_quotient(Wide quotient, BigInteger& remainder, const BigInteger& denominator, bool sticky)
{
    remainder.shift_left(1);
    int comparison = BigInteger::compare(remainder, denominator);
    if (comparison > 0 || (comparison == 0 && (sticky || (quotient & 1))))
        return quotient + 1;
    return quotient;
}

Rounded round_decimal(const Decimal& decimal, const Format& format)
{
    // A first guess at the value's binary magnitude: log2(10) is about 3.3219.
    int64_t decimal_magnitude = decimal.count + decimal.exponent; // value < 10^this
    int64_t estimate = (decimal_magnitude * 33219) / 10000;
    // The unit of the last significand bit: precision bits below the top one.
    int64_t unit = estimate - format.precision;
    if (unit < format.minimum_exponent)
        unit = format.minimum_exponent;
    for (int attempt = 0; attempt < 8; ++attempt) {
        // quotient = digits × 10^exponent / 2^unit, as numerator / denominator.
        BigInteger numerator;
        BigInteger denominator;
        load_digits(decimal, numerator);
        denominator.set_small(1);
        if (decimal.exponent >= 0)
            numerator.multiply_by_power_of_ten(static_cast<int>(decimal.exponent));
        else
            denominator.multiply_by_power_of_ten(static_cast<int>(-decimal.exponent));
        if (unit < 0)
            numerator.shift_left(static_cast<int>(-unit));
        else
            denominator.shift_left(static_cast<int>(unit));
        int quotient_bits = numerator.bit_length() - denominator.bit_length();
        // The quotient has quotient_bits or quotient_bits + 1 bits: keep it near precision.
        if (quotient_bits > format.precision + 1) {
            unit += quotient_bits - format.precision - 1;
            continue;
        }
        if (quotient_bits < format.precision - 1 && unit > format.minimum_exponent) {
            int64_t lower = unit - (format.precision - 1 - quotient_bits);
            unit = lower < format.minimum_exponent ? format.minimum_exponent : lower;
            continue;
        }
        Wide quotient = divide(numerator, denominator);
        Wide limit = Wide(1) << format.precision;
        if (quotient >= limit) {
            // One bit too many: the unit moves up by one and the rounding is redone there.
            ++unit;
            continue;
        }
        if (quotient < (limit >> 1) && unit > format.minimum_exponent) {
            --unit;
            continue;
        }
        Wide rounded = round_quotient(quotient, numerator, denominator, decimal.sticky);
        if (rounded == limit) {
            rounded >>= 1;
            ++unit;
        }
        bool overflow = unit + format.precision > format.maximum_exponent;
        return { static_cast<uint64_t>(rounded), static_cast<int>(unit), overflow };
    }
    // Not reached for any input: the unit settles within a few steps.
    return { 0, 0, false };
}

// Rounds an exact value `significand` × 2^exponent plus a sticky bit (from hexadecimal
// input, at most 124 bits of digits) to the format.
Rounded round_binary(Wide significand, int64_t exponent, bool sticky, const Format& format)
{
    if (significand == 0)
        return { 0, 0, false };
    auto high = static_cast<uint64_t>(significand >> 64);
    int bits = high ? 128 - __builtin_clzll(high) : 64 - __builtin_clzll(static_cast<uint64_t>(significand));
    int64_t unit = exponent + bits - format.precision;
    if (unit < format.minimum_exponent)
        unit = format.minimum_exponent;
    int64_t drop = unit - exponent;
    Wide kept;
    bool half = false;
    bool below_half = sticky;
    if (drop <= 0) {
        // No bits are dropped: the value has fewer than the format's bits.
        kept = significand << (-drop);
    } else if (drop > 128) {
        kept = 0;
        below_half = true;
    } else {
        kept = drop == 128 ? 0 : significand >> drop;
        half = (significand >> (drop - 1)) & 1;
        below_half = below_half || (significand & ((Wide(1) << (drop - 1)) - 1)) != 0;
    }
    if (half && (below_half || (kept & 1)))
        ++kept;
    if (kept == (Wide(1) << format.precision)) {
        kept >>= 1;
        ++unit;
    }
    bool overflow = unit + format.precision > format.maximum_exponent;
    return { static_cast<uint64_t>(kept), static_cast<int>(unit), overflow };
}

bool matches_word(const char* text, const char* word, const char*& after)
{
    const char* position = text;
    for (; *word; ++word, ++position) {
        if (tolower(static_cast<unsigned char>(*position)) != *word)
            return false;
    }
    after = position;
    return true;
}

int hex_digit_value(char character)
{
    if (character >= '0' && character <= '9')
        return character - '0';
    if (character >= 'a' && character <= 'f')
        return character - 'a' + 10;
    if (character >= 'A' && character <= 'F')
        return character - 'A' + 10;
    return -1;
}

// Reads an exponent ("e-12", "p+3") if there is a valid one at `position`.
const char* read_exponent(const char* position, char letter, int64_t& exponent)
{
    if (tolower(static_cast<unsigned char>(*position)) != letter)
        return position;
    const char* cursor = position + 1;
    bool negative = false;
    if (*cursor == '+' || *cursor == '-')
        negative = *cursor++ == '-';
    if (!isdigit(static_cast<unsigned char>(*cursor)))
        return position;
    int64_t value = 0;
    while (isdigit(static_cast<unsigned char>(*cursor))) {
        // Beyond any meaningful exponent, it only has to stay large.
        if (value < 100000000)
            value = value * 10 + (*cursor - '0');
        ++cursor;
    }
    exponent += negative ? -value : value;
    return cursor;
}

struct Parsed {
    bool negative { false };
    enum class Kind { Number, Infinity, NotANumber } kind { Kind::Number };
    bool hexadecimal { false };
    Decimal decimal;
    Wide hex_significand { 0 };
    int64_t hex_exponent { 0 };
    bool hex_sticky { false };
    bool is_zero { true };
};

// Parses the subject sequence; returns where it ends, or `text` when there is none.
const char* parse(const char* text, Parsed& parsed)
{
    const char* position = text;
    while (isspace(static_cast<unsigned char>(*position)))
        ++position;
    if (*position == '+' || *position == '-')
        parsed.negative = *position++ == '-';
    const char* after = nullptr;
    if (matches_word(position, "infinity", after) || matches_word(position, "inf", after)) {
        parsed.kind = Parsed::Kind::Infinity;
        return after;
    }
    if (matches_word(position, "nan", after)) {
        parsed.kind = Parsed::Kind::NotANumber;
        // "nan(n-char-sequence)": taken whole if it closes.
        if (*after == '(') {
            const char* cursor = after + 1;
            while (isalnum(static_cast<unsigned char>(*cursor)) || *cursor == '_')
                ++cursor;
            if (*cursor == ')')
                after = cursor + 1;
        }
        return after;
    }
    if (position[0] == '0' && (position[1] == 'x' || position[1] == 'X')
        && (hex_digit_value(position[2]) >= 0 || (position[2] == '.' && hex_digit_value(position[3]) >= 0))) {
        parsed.hexadecimal = true;
        const char* cursor = position + 2;
        bool seen_point = false;
        for (;; ++cursor) {
            if (*cursor == '.' && !seen_point) {
                seen_point = true;
                continue;
            }
            int digit = hex_digit_value(*cursor);
            if (digit < 0)
                break;
            if (parsed.hex_significand >> 120) {
                // No room for more: the digit only makes the value inexact, and moves the
                // exponent when it is before the point.
                if (digit != 0)
                    parsed.hex_sticky = true;
                if (!seen_point)
                    parsed.hex_exponent += 4;
            } else {
                parsed.hex_significand = parsed.hex_significand << 4 | static_cast<Wide>(digit);
                if (seen_point)
                    parsed.hex_exponent -= 4;
            }
            if (digit != 0)
                parsed.is_zero = false;
        }
        return read_exponent(cursor, 'p', parsed.hex_exponent);
    }
    const char* cursor = position;
    bool seen_point = false;
    bool any_digit = false;
    Decimal& decimal = parsed.decimal;
    for (;; ++cursor) {
        if (*cursor == '.' && !seen_point) {
            seen_point = true;
            continue;
        }
        if (!isdigit(static_cast<unsigned char>(*cursor)))
            break;
        any_digit = true;
        int digit = *cursor - '0';
        if (digit == 0 && decimal.count == 0) {
            // A leading zero: only moves the exponent when after the point.
            if (seen_point)
                --decimal.exponent;
            continue;
        }
        parsed.is_zero = false;
        if (decimal.count < static_cast<int>(sizeof(decimal.digits))) {
            decimal.digits[decimal.count++] = static_cast<char>(digit);
            if (seen_point)
                --decimal.exponent;
        } else {
            if (digit != 0)
                decimal.sticky = true;
            if (!seen_point)
                ++decimal.exponent;
        }
    }
    if (!any_digit)
        return text;
    return read_exponent(cursor, 'e', decimal.exponent);
}

// round_decimal, past the magnitudes that are certainly infinite or zero.
Rounded round_decimal_in_range(const Decimal& decimal, const Format& format)
{
    // 10^(magnitude - 1) <= value < 10^magnitude.
    int64_t magnitude = decimal.count + decimal.exponent;
    if (magnitude > format.overflow_magnitude)
        return { 0, 0, true };
    if (magnitude < format.underflow_magnitude)
        return { 0, 0, false };
    return round_decimal(decimal, format);
}

// The result in `format`'s bits: a double's or a float's, as a 64-bit pattern.
template<typename Float, typename Bits>
Float convert(const char* text, char** end, ConversionErrors& errors, const Format& format)
{
    static_assert(sizeof(Float) == sizeof(Bits));
    Parsed parsed;
    const char* finish = parse(text, parsed);
    if (end)
        *end = const_cast<char*>(finish);
    if (finish == text)
        return 0;
    Bits sign = parsed.negative ? Bits(1) << (sizeof(Bits) * 8 - 1) : 0;
    int exponent_bits = static_cast<int>(sizeof(Bits) * 8) - format.precision;
    Bits exponent_mask = ((Bits(1) << exponent_bits) - 1) << (format.precision - 1);
    auto from_bits = [](Bits bits) {
        Float value;
        __builtin_memcpy(&value, &bits, sizeof(value));
        return value;
    };
    if (parsed.kind == Parsed::Kind::Infinity)
        return from_bits(sign | exponent_mask);
    if (parsed.kind == Parsed::Kind::NotANumber)
        return from_bits(sign | exponent_mask | (Bits(1) << (format.precision - 2)));
    if (parsed.is_zero)
        return from_bits(sign);
    Rounded rounded {};
    if (parsed.hexadecimal) {
        rounded = round_binary(parsed.hex_significand, parsed.hex_exponent, parsed.hex_sticky, format);
    } else {
        // Certainly beyond the largest finite value, or below half the smallest subnormal:
        // no need for big integers. 10^(magnitude - 1) <= value < 10^magnitude.
        rounded = round_decimal_in_range(parsed.decimal, format);
    }
    if (rounded.overflow) {
        errors.range_error = true;
        return from_bits(sign | exponent_mask);
    }
    if (rounded.significand == 0) {
        errors.range_error = true;
        return from_bits(sign);
    }
    // significand × 2^unit: normal when its top bit is the implicit one.
    Bits bits;
    if (rounded.significand >> (format.precision - 1)) {
        Bits biased = static_cast<Bits>(rounded.exponent - format.minimum_exponent + 1);
        bits = (biased << (format.precision - 1))
            | (static_cast<Bits>(rounded.significand) & ((Bits(1) << (format.precision - 1)) - 1));
    } else {
        // Subnormal: the unit is the smallest one.
        bits = static_cast<Bits>(rounded.significand);
        errors.range_error = true;
    }
    return from_bits(sign | bits);
}

// The 80-bit extended format: sign and 15-bit exponent in the high word, then the whole
// 64-bit significand (its leading one stored, unlike double's).
long double convert_extended(const char* text, char** end, ConversionErrors& errors)
{
    Parsed parsed;
    const char* finish = parse(text, parsed);
    if (end)
        *end = const_cast<char*>(finish);
    if (finish == text)
        return 0;
    uint16_t sign = parsed.negative ? 0x8000 : 0;
    auto from_parts = [](uint16_t high, uint64_t significand) {
        // The 10 bytes of the value; the rest of long double's 16 is padding.
        unsigned char bytes[sizeof(long double)] = {};
        __builtin_memcpy(bytes, &significand, 8);
        __builtin_memcpy(bytes + 8, &high, 2);
        long double value;
        __builtin_memcpy(&value, bytes, sizeof(value));
        return value;
    };
    constexpr uint64_t integer_bit = 1ull << 63;
    if (parsed.kind == Parsed::Kind::Infinity)
        return from_parts(sign | 0x7FFF, integer_bit);
    if (parsed.kind == Parsed::Kind::NotANumber)
        return from_parts(sign | 0x7FFF, integer_bit | (integer_bit >> 1));
    if (parsed.is_zero)
        return from_parts(sign, 0);
    Rounded rounded = parsed.hexadecimal
        ? round_binary(parsed.hex_significand, parsed.hex_exponent, parsed.hex_sticky, extended_format)
        : round_decimal_in_range(parsed.decimal, extended_format);
    if (rounded.overflow) {
        errors.range_error = true;
        return from_parts(sign | 0x7FFF, integer_bit);
    }
    if (rounded.significand == 0) {
        errors.range_error = true;
        return from_parts(sign, 0);
    }
    if (!(rounded.significand & integer_bit)) {
        // Subnormal: exponent field 0, the unit the smallest.
        errors.range_error = true;
        return from_parts(sign, rounded.significand);
    }
    auto biased = static_cast<uint16_t>(rounded.exponent - extended_format.minimum_exponent + 1);
    return from_parts(sign | biased, rounded.significand);
}

} // namespace

long double strtold(const char* text, char** end, ConversionErrors& errors)
{
    return convert_extended(text, end, errors);
}

double strtod(const char* text, char** end, ConversionErrors& errors)
{
    return convert<double, uint64_t>(text, end, errors, double_format);
}

float strtof(const char* text, char** end, ConversionErrors& errors)
{
    return convert<float, uint32_t>(text, end, errors, float_format);
}

} // namespace LibC
