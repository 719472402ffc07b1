// Host tests for Core/Format: the replacement field grammar described in Core/Format.h and the
// truncating FixedStringBuilder sink. Every expectation is the exact text a reader of
// the header comment would predict, so a change in formatting behaviour shows up here.

#include <Core/Format.h>
#include <climits>
#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <string_view>

namespace {

// An unbounded sink, so that formatting can be checked apart from truncation.
class StringSink final : public Core::FormatSink {
public:
    void write(Core::StringView text) override { m_text.append(text.characters(), text.length()); }
    const std::string& text() const { return m_text; }

private:
    std::string m_text;
};

template<typename... Arguments>
std::string format_to_string(Core::StringView format_string, const Arguments&... arguments)
{
    StringSink sink;
    Core::format_to(sink, format_string, arguments...);
    return sink.text();
}

std::string_view as_std(Core::StringView view)
{
    return { view.characters(), view.length() };
}

} // namespace

TEST(FormatTo, PlainTextWithoutReplacementFieldsIsCopied)
{
    EXPECT_EQ(format_to_string(""), "");
    EXPECT_EQ(format_to_string("no replacement fields here"), "no replacement fields here");
}

TEST(FormatTo, DecimalIntegers)
{
    EXPECT_EQ(format_to_string("{}", 0), "0");
    EXPECT_EQ(format_to_string("{}", 42), "42");
    EXPECT_EQ(format_to_string("{:d}", 1234567890u), "1234567890");
    EXPECT_EQ(format_to_string("{}", UINT64_MAX), "18446744073709551615");
    EXPECT_EQ(format_to_string("{}", INT64_MAX), "9223372036854775807");
    // u8 is unsigned char: it formats as a number, not as a character.
    EXPECT_EQ(format_to_string("{}", static_cast<Core::u8>(200)), "200");
    EXPECT_EQ(format_to_string("{}", static_cast<unsigned short>(65535)), "65535");
}

TEST(FormatTo, NegativeIntegersIncludingTheMinimumOfEachWidth)
{
    EXPECT_EQ(format_to_string("{}", -1), "-1");
    EXPECT_EQ(format_to_string("{}", static_cast<short>(-5)), "-5");
    EXPECT_EQ(format_to_string("{}", static_cast<signed char>(-128)), "-128");
    EXPECT_EQ(format_to_string("{}", INT32_MIN), "-2147483648");
    // The magnitude of INT64_MIN does not fit in i64; the formatter must negate in u64.
    EXPECT_EQ(format_to_string("{}", INT64_MIN), "-9223372036854775808");
    EXPECT_EQ(format_to_string("{}", LLONG_MIN), "-9223372036854775808");
}

TEST(FormatTo, HexadecimalLowerAndUpper)
{
    EXPECT_EQ(format_to_string("{:x}", 255), "ff");
    EXPECT_EQ(format_to_string("{:X}", 255), "FF");
    EXPECT_EQ(format_to_string("{:x}", 0), "0");
    EXPECT_EQ(format_to_string("{:x}", 0xdeadbeefcafef00dULL), "deadbeefcafef00d");
    EXPECT_EQ(format_to_string("{:X}", 0xdeadbeefcafef00dULL), "DEADBEEFCAFEF00D");
    EXPECT_EQ(format_to_string("{:x}", -255), "-ff");
}

TEST(FormatTo, AlternateFormAddsBasePrefix)
{
    EXPECT_EQ(format_to_string("{:#x}", 255), "0xff");
    // Only the digits are upper case; the prefix stays "0x".
    EXPECT_EQ(format_to_string("{:#X}", 255), "0xFF");
    EXPECT_EQ(format_to_string("{:#x}", 0), "0x0");
    EXPECT_EQ(format_to_string("{:#b}", 5), "0b101");
    EXPECT_EQ(format_to_string("{:#x}", -255), "-0xff");
    // '#' has no prefix to add in decimal.
    EXPECT_EQ(format_to_string("{:#d}", 17), "17");
}

TEST(FormatTo, Binary)
{
    EXPECT_EQ(format_to_string("{:b}", 5), "101");
    EXPECT_EQ(format_to_string("{:b}", 0), "0");
    EXPECT_EQ(format_to_string("{:#b}", UINT64_MAX), "0b" + std::string(64, '1'));
    // The longest possible text: sign, prefix and 64 digits.
    EXPECT_EQ(format_to_string("{:#b}", INT64_MIN), "-0b1" + std::string(63, '0'));
}

TEST(FormatTo, ZeroPaddingGoesBetweenSignOrPrefixAndDigits)
{
    EXPECT_EQ(format_to_string("{:08x}", 0xbeef), "0000beef");
    EXPECT_EQ(format_to_string("{:#010x}", 0x1234), "0x00001234");
    EXPECT_EQ(format_to_string("{:#018x}", 0xffffffff80000000ULL), "0xffffffff80000000");
    EXPECT_EQ(format_to_string("{:05}", 42), "00042");
    EXPECT_EQ(format_to_string("{:05}", -42), "-0042");
    EXPECT_EQ(format_to_string("{:#08b}", 5), "0b000101");
    EXPECT_EQ(format_to_string("{:#07x}", -255), "-0x00ff");
    // A width narrower than the number never cuts digits.
    EXPECT_EQ(format_to_string("{:02}", 12345), "12345");
    EXPECT_EQ(format_to_string("{:#04x}", 0x12345), "0x12345");
}

TEST(FormatTo, ZeroPaddingFillsTheWholeWidthEvenWhenWide)
{
    // Widths are allowed up to 256, so zero padding must still be zeros past the length of
    // the longest number (68 characters).
    EXPECT_EQ(format_to_string("{:070}", 1), std::string(69, '0') + "1");
}

TEST(FormatTo, WidthAndAlignmentForNumbers)
{
    EXPECT_EQ(format_to_string("{:5}", 42), "   42");
    EXPECT_EQ(format_to_string("{:>5}", 42), "   42");
    EXPECT_EQ(format_to_string("{:<5}", 42), "42   ");
    EXPECT_EQ(format_to_string("{:<5}", -42), "-42  ");
    EXPECT_EQ(format_to_string("{:*>6x}", 255), "****ff");
    EXPECT_EQ(format_to_string("{:_<#6x}", 255), "0xff__");
}

TEST(FormatTo, ExplicitZeroFillCharacterIsHonouredWhenLeftAligned)
{
    // The grammar makes '0' before '<' a fill character like any other, so the number is
    // followed by zeros, as strings are.
    EXPECT_EQ(format_to_string("{:0<5}", "ab"), "ab000");
    EXPECT_EQ(format_to_string("{:0<5}", 42), "42000");
}

TEST(FormatTo, WidthAndAlignmentForStringsWithFillCharacters)
{
    EXPECT_EQ(format_to_string("{:6}", "ab"), "    ab");
    EXPECT_EQ(format_to_string("{:<6}", "ab"), "ab    ");
    EXPECT_EQ(format_to_string("{:*<6}", "ab"), "ab****");
    EXPECT_EQ(format_to_string("{:->6}", "ab"), "----ab");
    EXPECT_EQ(format_to_string("[{:.<4}]", "toolong"), "[toolong]");
    // An alignment character can itself be the fill.
    EXPECT_EQ(format_to_string("{:<<4s}", "x"), "x<<<");
}

TEST(FormatTo, WidthIsCappedAt256)
{
    std::string text = format_to_string("{:999}", "x");
    ASSERT_EQ(text.size(), 256u);
    EXPECT_EQ(text, std::string(255, ' ') + "x");
}

TEST(FormatTo, Characters)
{
    EXPECT_EQ(format_to_string("{}", 'A'), "A");
    EXPECT_EQ(format_to_string("{:c}", 65), "A");
    EXPECT_EQ(format_to_string("{:c}", static_cast<Core::u8>('z')), "z");
    EXPECT_EQ(format_to_string("{:3}", 'x'), "  x");
    EXPECT_EQ(format_to_string("{:<3}", 'x'), "x  ");
    EXPECT_EQ(format_to_string("[{}{}]", '{', '}'), "[{}]");
}

TEST(FormatTo, Booleans)
{
    EXPECT_EQ(format_to_string("{}", true), "true");
    EXPECT_EQ(format_to_string("{}", false), "false");
    EXPECT_EQ(format_to_string("{:>6}", true), "  true");
    EXPECT_EQ(format_to_string("{:.<7}", false), "false..");
}

TEST(FormatTo, StringLiteralsCharArraysPointersAndViews)
{
    EXPECT_EQ(format_to_string("{}", "hello"), "hello");
    EXPECT_EQ(format_to_string("{} {}", "a", ""), "a ");

    const char* c_string = "from a pointer";
    EXPECT_EQ(format_to_string("{}", c_string), "from a pointer");
    const char* null_string = nullptr;
    EXPECT_EQ(format_to_string("{}", null_string), "(null)");

    // A char array formats up to its NUL, not its full declared size.
    char buffer[16] = "xyz";
    EXPECT_EQ(format_to_string("[{}]", buffer), "[xyz]");

    EXPECT_EQ(format_to_string("{}", "view"_sv), "view");
    // A StringView need not be NUL-terminated: only its own length may be printed.
    Core::StringView hello_world("hello world");
    EXPECT_EQ(format_to_string("[{}]", hello_world.substring(0, 5)), "[hello]");
    EXPECT_EQ(format_to_string("[{}]", Core::StringView()), "[]");
}

TEST(FormatTo, PointersPrintAsFullWidthHex)
{
    // These pointers are never dereferenced: only their numeric values are printed.
    auto* pointer = reinterpret_cast<void*>(static_cast<Core::uptr>(0x1234));
    EXPECT_EQ(format_to_string("{}", pointer), "0x0000000000001234");
    EXPECT_EQ(format_to_string("{:p}", pointer), "0x0000000000001234");

    const int* null_pointer = nullptr;
    EXPECT_EQ(format_to_string("{}", null_pointer), "0x0000000000000000");

    auto* kernel_address = reinterpret_cast<const Core::u8*>(static_cast<Core::uptr>(0xffffffff80001000ULL));
    EXPECT_EQ(format_to_string("{}", kernel_address), "0xffffffff80001000");

    // An explicit width replaces the default zero padding.
    EXPECT_EQ(format_to_string("{:10}", pointer), "    0x1234");
}

TEST(FormatTo, DoubledBracesAreLiteralBraces)
{
    EXPECT_EQ(format_to_string("{{}}"), "{}");
    EXPECT_EQ(format_to_string("{{{}}}", 7), "{7}");
    EXPECT_EQ(format_to_string("a}}b{{c"), "a}b{c");
    // A lone closing brace has nothing to close and prints as itself.
    EXPECT_EQ(format_to_string("a}b"), "a}b");
    // Escaped braces do not consume arguments.
    EXPECT_EQ(format_to_string("{{{}}} {}", 1, 2), "{1} 2");
}

TEST(FormatTo, MissingArgumentsPrintMarker)
{
    EXPECT_EQ(format_to_string("{}"), "<missing>");
    EXPECT_EQ(format_to_string("{} and {}", 1), "1 and <missing>");
    EXPECT_EQ(format_to_string("{:#x} {:5}", 16), "0x10 <missing>");
}

TEST(FormatTo, ExtraArgumentsAreIgnored)
{
    EXPECT_EQ(format_to_string("{}", 1, 2, 3), "1");
    EXPECT_EQ(format_to_string("none", 1, "two"), "none");
}

TEST(FormatTo, UnterminatedReplacementFieldPrintsLiterally)
{
    EXPECT_EQ(format_to_string("value {"), "value {");
    EXPECT_EQ(format_to_string("value {:x", 5), "value {:x");
    EXPECT_EQ(format_to_string("{} {", 3), "3 {");
    EXPECT_EQ(format_to_string("{"), "{");
}

TEST(FormatTo, MixedArgumentsInOrder)
{
    const char* name = "init";
    EXPECT_EQ(format_to_string("process '{}' (pid {}) mapped {} pages at {:#018x}: {}", name, 1, 16u,
                  0xffff800000000000ULL, true),
        "process 'init' (pid 1) mapped 16 pages at 0xffff800000000000: true");
}

TEST(FixedStringBuilder, StartsEmptyAndNulTerminated)
{
    Core::FixedStringBuilder<16> builder;
    EXPECT_EQ(builder.length(), 0u);
    EXPECT_STREQ(builder.c_string(), "");
    EXPECT_FALSE(builder.was_truncated());
}

TEST(FixedStringBuilder, AppendfAccumulates)
{
    Core::FixedStringBuilder<64> builder;
    builder.appendf("{}+{}", 2, 3);
    builder.appendf("={}", 5);
    EXPECT_EQ(as_std(builder.string_view()), "2+3=5");
    EXPECT_STREQ(builder.c_string(), "2+3=5");
    EXPECT_EQ(builder.length(), 5u);
    EXPECT_FALSE(builder.was_truncated());
}

TEST(FixedStringBuilder, ExactFitIsNotTruncated)
{
    // Capacity 8 holds seven characters and the NUL.
    Core::FixedStringBuilder<8> builder;
    builder.appendf("{}", "1234567");
    EXPECT_EQ(as_std(builder.string_view()), "1234567");
    EXPECT_FALSE(builder.was_truncated());
}

TEST(FixedStringBuilder, OverflowTruncatesAndStaysNulTerminated)
{
    Core::FixedStringBuilder<8> builder;
    builder.appendf("{}", "abcdefghij");
    EXPECT_TRUE(builder.was_truncated());
    EXPECT_EQ(builder.length(), 7u);
    EXPECT_EQ(as_std(builder.string_view()), "abcdefg");
    EXPECT_EQ(std::strlen(builder.c_string()), 7u);
    EXPECT_STREQ(builder.c_string(), "abcdefg");

    // Further writes change nothing once full.
    builder.appendf("{}", 123);
    EXPECT_STREQ(builder.c_string(), "abcdefg");
    EXPECT_TRUE(builder.was_truncated());
}

TEST(FixedStringBuilder, TruncationAcrossSeveralReplacementFields)
{
    Core::FixedStringBuilder<10> builder;
    builder.appendf("{:#x}-{:#x}", 0xabcd, 0x1234);
    EXPECT_TRUE(builder.was_truncated());
    EXPECT_STREQ(builder.c_string(), "0xabcd-0x");
}

TEST(FixedStringBuilder, CapacityOneHoldsOnlyTheTerminator)
{
    Core::FixedStringBuilder<1> builder;
    builder.appendf("a");
    EXPECT_TRUE(builder.was_truncated());
    EXPECT_EQ(builder.length(), 0u);
    EXPECT_STREQ(builder.c_string(), "");
}

TEST(FixedStringBuilder, ClearResetsTextAndTruncation)
{
    Core::FixedStringBuilder<4> builder;
    builder.appendf("overflowing");
    ASSERT_TRUE(builder.was_truncated());
    builder.clear();
    EXPECT_FALSE(builder.was_truncated());
    EXPECT_EQ(builder.length(), 0u);
    EXPECT_STREQ(builder.c_string(), "");
    builder.appendf("{}", 42);
    EXPECT_STREQ(builder.c_string(), "42");
    EXPECT_FALSE(builder.was_truncated());
}
