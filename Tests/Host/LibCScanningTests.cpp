// strtod/strtof (Userland/LibC/FloatParsing.h) and the scanf engine (Scanning.h), against
// the host's glibc wherever C pins the behaviour down.

#include <Userland/LibC/FloatParsing.h>
#include <Userland/LibC/Scanning.h>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <random>
#include <string>
#include <vector>

namespace {

uint64_t bits_of(double value)
{
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    return bits;
}

uint32_t bits_of(float value)
{
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    return bits;
}

// Ours against glibc's for one text: the same bits (NaNs only as NaN), the same end.
void expect_same_double(const std::string& text)
{
    char* glibc_end = nullptr;
    errno = 0;
    double expected = std::strtod(text.c_str(), &glibc_end);
    bool glibc_range = errno == ERANGE;
    char* our_end = nullptr;
    LibC::ConversionErrors errors;
    double actual = LibC::strtod(text.c_str(), &our_end, errors);
    EXPECT_EQ(our_end - text.c_str(), glibc_end - text.c_str()) << text;
    if (std::isnan(expected))
        EXPECT_TRUE(std::isnan(actual)) << text;
    else
        EXPECT_EQ(bits_of(actual), bits_of(expected)) << text << ": " << actual << " vs " << expected;
    // Overflow and underflow to zero set ERANGE in both.
    if (std::isinf(expected) && glibc_range)
        EXPECT_TRUE(errors.range_error) << text;
    if (expected == 0 && glibc_range)
        EXPECT_TRUE(errors.range_error) << text;
    if (!glibc_range)
        EXPECT_FALSE(errors.range_error && std::isnormal(actual)) << text;
}

void expect_same_float(const std::string& text)
{
    char* glibc_end = nullptr;
    float expected = std::strtof(text.c_str(), &glibc_end);
    char* our_end = nullptr;
    LibC::ConversionErrors errors;
    float actual = LibC::strtof(text.c_str(), &our_end, errors);
    EXPECT_EQ(our_end - text.c_str(), glibc_end - text.c_str()) << text;
    if (std::isnan(expected))
        EXPECT_TRUE(std::isnan(actual)) << text;
    else
        EXPECT_EQ(bits_of(actual), bits_of(expected)) << text << ": " << actual << " vs " << expected;
}

const char* const tricky_texts[] = {
    "0",
    "-0",
    "+0.0e10",
    "1",
    "-1",
    "0.1",
    "0.2",
    "0.3",
    "1e23",
    "8.98846567431158e307",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "2e308",
    "-1e400",
    "4.9406564584124654e-324",
    "2.4703282292062327e-324",
    "2.4703282292062328e-324",
    "2.2250738585072011e-308",
    "2.2250738585072014e-308",
    "1e-400",
    "-1e-400",
    "9007199254740993",
    "9007199254740992.5",
    "9007199254740993.0000000001",
    "123456789012345678901234567890",
    "0.000000000000000000000000000001234",
    "1.00000000000000011102230246251565404236316680908203125", // halfway after 1: rounds to even
    "1.00000000000000011102230246251565404236316680908203126",
    "1.00000000000000011102230246251565404236316680908203124",
    "7.0420557077594588669468784357561207962098443483187940792729600000e+59",
    "3.14159265358979323846264338327950288",
    "  \t\n 42",
    "12abc",
    "1e",
    "1e+",
    "1e-x",
    ".5",
    "5.",
    ".",
    "-.e3",
    "+",
    "e5",
    "0x",
    "0x1p3",
    "0X1.8P-1",
    "0x.8p1",
    "0x1.fffffffffffffp1023",
    "0x1.fffffffffffff8p1023",
    "0x1p-1074",
    "0x1p-1075",
    "0x1.0000000000001p-1075",
    "0x123456789abcdef0123p0",
    "0x1.000000000000080000000000001p0",
    "0xp1",
    "inf",
    "-INF",
    "Infinity",
    "infinit",
    "nan",
    "-NaN",
    "nan(123abc)",
    "nan(",
    "nan(a b)",
    "1.5e308",
    "0.0000000001e318",
    "100000000000000000000000e-20",
};

} // namespace

TEST(LibCFloatParsing, TrickyTextsMatchGlibc)
{
    for (const char* text : tricky_texts) {
        expect_same_double(text);
        expect_same_float(text);
    }
}

TEST(LibCFloatParsing, ShortestAndLongRepresentationsOfRandomDoublesMatchGlibc)
{
    std::mt19937_64 random(20261126);
    char text[64];
    for (int sample = 0; sample < 20000; ++sample) {
        uint64_t bits = random();
        double value;
        std::memcpy(&value, &bits, sizeof(value));
        if (!std::isfinite(value))
            continue;
        std::snprintf(text, sizeof(text), "%.17g", value);
        expect_same_double(text);
        std::snprintf(text, sizeof(text), "%.*e", static_cast<int>(random() % 20), value);
        expect_same_double(text);
        expect_same_float(text);
        std::snprintf(text, sizeof(text), "%a", value);
        expect_same_double(text);
    }
}

TEST(LibCFloatParsing, RandomDigitStringsMatchGlibc)
{
    std::mt19937_64 random(7);
    for (int sample = 0; sample < 5000; ++sample) {
        std::string text;
        int digits = 1 + static_cast<int>(random() % 40);
        for (int index = 0; index < digits; ++index)
            text += static_cast<char>('0' + random() % 10);
        if (random() % 2)
            text.insert(random() % text.size(), ".");
        text += "e" + std::to_string(static_cast<int>(random() % 700) - 350);
        expect_same_double(text);
        expect_same_float(text);
    }
}

namespace {

void expect_same_long_double(const std::string& text)
{
    char* glibc_end = nullptr;
    long double expected = std::strtold(text.c_str(), &glibc_end);
    char* our_end = nullptr;
    LibC::ConversionErrors errors;
    long double actual = LibC::strtold(text.c_str(), &our_end, errors);
    EXPECT_EQ(our_end - text.c_str(), glibc_end - text.c_str()) << text;
    if (std::isnan(expected)) {
        EXPECT_TRUE(std::isnan(actual)) << text;
        return;
    }
    // The 10 bytes of the 80-bit format (the rest of long double is padding).
    EXPECT_EQ(std::memcmp(&actual, &expected, 10), 0) << text << ": " << static_cast<double>(actual);
}

} // namespace

TEST(LibCFloatParsing, LongDoublesMatchGlibc)
{
    for (const char* text : tricky_texts)
        expect_same_long_double(text);
    for (const char* text : { "1.18973149535723176502e+4932", "1.18973149535723176509e+4932", "1e4933",
             "3.6e-4951", "1.8e-4951", "1.9e-4951", "3.36210314311209350626e-4932",
             "0x1.fffffffffffffffep16383", "0x1.ffffffffffffffffp16383", "0x1p-16445", "0x1p-16446",
             "0x8p-16448", "18446744073709551615", "18446744073709551616.5", "36893488147419103231" })
        expect_same_long_double(text);
    std::mt19937_64 random(11);
    char text[96];
    for (int sample = 0; sample < 4000; ++sample) {
        long double value = std::ldexp(static_cast<long double>(random()) / 18446744073709551616.0L,
            static_cast<int>(random() % 32000) - 16000);
        std::snprintf(text, sizeof(text), "%.*Le", static_cast<int>(random() % 25), value);
        expect_same_long_double(text);
    }
}

TEST(LibCFloatParsing, HalfwayCasesNeedingManyDigitsRoundCorrectly)
{
    // The exact midpoint between two adjacent doubles, written out in full, plus or minus a
    // last digit far beyond 17 digits: only an exact conversion gets all three right.
    for (double value : { 1.0, 3.0e-300, 7.0e200, 5e-324, DBL_MAX / 3 }) {
        double next = std::nextafter(value, INFINITY);
        char text[1200];
        // value + (next - value) / 2 exactly, with %.1100e (glibc prints exact decimals).
        long double midpoint = (static_cast<long double>(value) + static_cast<long double>(next)) / 2;
        std::snprintf(text, sizeof(text), "%.1100Le", midpoint);
        expect_same_double(text);
        std::string above = text;
        above.insert(above.find('e'), "1");
        expect_same_double(above);
    }
}

namespace {

int our_sscanf(const char* text, const char* format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    LibC::StringSource source(text);
    int result = LibC::scan(source, format, arguments);
    va_end(arguments);
    return result;
}

} // namespace

TEST(LibCScanning, IntegersInEveryBaseAndLength)
{
    struct Case {
        const char* text;
        const char* format;
    };
    const Case cases[] = { { "42 -17 +3", "%d %d %d" }, { "0x1F 017 10", "%i %i %i" },
        { "ff 777 1010", "%x %o %u" }, { "-0x10", "%i" }, { "12345678", "%3d%2d%d" }, { "  +", "%d" },
        { "abc", "%d" }, { "", "%d" }, { "   ", "%d" }, { "5-", "%d%d" }, { "-", "%u" } };
    for (const Case& test : cases) {
        int ours[3] = { 111, 222, 333 };
        int theirs[3] = { 111, 222, 333 };
        int our_count = our_sscanf(test.text, test.format, &ours[0], &ours[1], &ours[2]);
        int their_count = std::sscanf(test.text, test.format, &theirs[0], &theirs[1], &theirs[2]);
        EXPECT_EQ(our_count, their_count) << test.text << " / " << test.format;
        for (int index = 0; index < 3; ++index)
            EXPECT_EQ(ours[index], theirs[index]) << test.text << " / " << test.format << " #" << index;
    }
    // Where glibc departs from C: "0x" is the longest prefix of a hexadecimal number, and not
    // one itself, so C (7.21.6.2, paragraph 10) makes it a matching failure; glibc stores 0.
    int value = 111;
    EXPECT_EQ(our_sscanf("0x", "%x", &value), 0);
    EXPECT_EQ(our_sscanf("0xz", "%i", &value), 0);
    EXPECT_EQ(value, 111);
    signed char small = 0;
    short medium = 0;
    long large = 0;
    long long larger = 0;
    size_t size = 0;
    EXPECT_EQ(our_sscanf("-5 300 -9000000000 123456789012 77", "%hhd %hd %ld %lld %zu", &small, &medium,
                  &large, &larger, &size),
        5);
    EXPECT_EQ(small, -5);
    EXPECT_EQ(medium, 300);
    EXPECT_EQ(large, -9000000000L);
    EXPECT_EQ(larger, 123456789012LL);
    EXPECT_EQ(size, 77u);
    void* pointer = nullptr;
    EXPECT_EQ(our_sscanf("0x7ffe1234", "%p", &pointer), 1);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(pointer), 0x7ffe1234u);
}

TEST(LibCScanning, FloatsMatchGlibc)
{
    const char* texts[]
        = { "3.25", "-1e-3", "0x1.8p1", "inf", "nan", "1e400", ".5.5", "-.", "infinite", "1.5e+2x" };
    for (const char* text : texts) {
        double our_double = -7;
        double their_double = -7;
        float our_float = -7;
        float their_float = -7;
        char our_rest[16] = "?";
        char their_rest[16] = "?";
        int ours = our_sscanf(text, "%lf%15s", &our_double, our_rest);
        int theirs = std::sscanf(text, "%lf%15s", &their_double, their_rest);
        EXPECT_EQ(ours, theirs) << text;
        if (!std::isnan(their_double))
            EXPECT_EQ(bits_of(our_double), bits_of(their_double)) << text;
        EXPECT_STREQ(our_rest, their_rest) << text;
        EXPECT_EQ(our_sscanf(text, "%f", &our_float), std::sscanf(text, "%f", &their_float)) << text;
        if (!std::isnan(their_float))
            EXPECT_EQ(bits_of(our_float), bits_of(their_float)) << text;
    }
    // Where glibc departs from C: "100e" is only the start of a number, and with one character
    // of push-back C makes it a matching failure (7.21.6.2, example 3: "100ergs"); glibc
    // stores 100 and loses the "e".
    for (const char* text : { "100ergs", "1e+x", "2.5e", "0x1p" }) {
        double value = -7;
        EXPECT_EQ(our_sscanf(text, "%lf", &value), 0) << text;
        EXPECT_EQ(value, -7) << text;
    }
    double width_limited = 0;
    EXPECT_EQ(our_sscanf("123456", "%3lf", &width_limited), 1);
    EXPECT_EQ(width_limited, 123.0);
}

TEST(LibCScanning, StringsCharactersScansetsAndCounts)
{
    char word[16] = {};
    char letters[4] = {};
    char set[16] = {};
    char inverted[16] = {};
    int consumed = -1;
    int number = 0;
    EXPECT_EQ(our_sscanf("  hello world", "%s%n", word, &consumed), 1);
    EXPECT_STREQ(word, "hello");
    EXPECT_EQ(consumed, 7);
    EXPECT_EQ(our_sscanf("abcdef", "%3c", letters), 1);
    EXPECT_EQ(std::string(letters, 3), "abc");
    EXPECT_EQ(our_sscanf("abc123xyz", "%[a-c]%d%[^z]", set, &number, inverted), 3);
    EXPECT_STREQ(set, "abc");
    EXPECT_EQ(number, 123);
    EXPECT_STREQ(inverted, "xy");
    EXPECT_EQ(our_sscanf("]]x", "%[]]", set), 1);
    EXPECT_STREQ(set, "]]");
    EXPECT_EQ(our_sscanf("key = value", "%15[^ =] = %15s", word, set), 2);
    EXPECT_STREQ(word, "key");
    EXPECT_STREQ(set, "value");
    // %% and literal characters; suppressed assignments are not counted.
    EXPECT_EQ(our_sscanf("50% 7", "%d%% %*d", &number), 1);
    EXPECT_EQ(our_sscanf("a:b", "%c:%c", &letters[0], &letters[1]), 2);
    EXPECT_EQ(our_sscanf("a-b", "%c:%c", &letters[0], &letters[1]), 1);
    // The end of input before the first conversion is EOF; after one, the count.
    EXPECT_EQ(our_sscanf("", "%s", word), -1);
    EXPECT_EQ(our_sscanf("   ", "%c", letters), 1);
    EXPECT_EQ(our_sscanf("x", "%c%c", &letters[0], &letters[1]), 1);
    EXPECT_EQ(our_sscanf("12", "%d %d", &number, &consumed), 1);
    // Long double; refused: L on an integer, an unknown conversion, an unclosed scanset.
    long double wide = 0;
    EXPECT_EQ(our_sscanf("1.5", "%Lf", &wide), 1);
    EXPECT_EQ(wide, 1.5L);
    EXPECT_EQ(our_sscanf("12", "%Ld", &number), -2);
    EXPECT_EQ(our_sscanf("1", "%y", &number), -2);
    EXPECT_EQ(our_sscanf("a", "%[abc", set), -2);
}
