// Host tests for the kernel command-line tokenizer and option decoder
// (Kernel/Boot/KernelOptions.h). The command line is outside input, so besides the
// options the kernel understands these cover how malformed text is reported.

#include <Kernel/Boot/KernelOptions.h>
#include <cstdint>
#include <gtest/gtest.h>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using Kernel::Boot::CommandLine;
using Kernel::Boot::KernelOptions;
using Kernel::Boot::PanicAction;
using Kernel::Boot::parse_kernel_options;
using Kernel::Boot::tokenize_command_line;
using Kernel::Log::Level;

namespace {

std::string_view as_std(Core::StringView view)
{
    return { view.characters(), view.length() };
}

using KeyValuePairs = std::vector<std::pair<std::string, std::string>>;

// Flattens the tokens so that a whole command line can be compared in one expectation,
// and a failure prints every token.
KeyValuePairs tokens_of(const CommandLine& command_line)
{
    KeyValuePairs pairs;
    for (const auto& option : command_line.options)
        pairs.emplace_back(as_std(option.key), as_std(option.value));
    return pairs;
}

KeyValuePairs tokenize(std::string_view text)
{
    return tokens_of(tokenize_command_line(Core::StringView(text.data(), text.size())));
}

std::vector<std::string> problems_of(const KernelOptions& options)
{
    std::vector<std::string> problems;
    for (const auto& problem : options.problems)
        problems.emplace_back(as_std(problem.string_view()));
    return problems;
}

KernelOptions parse(std::string_view text)
{
    return parse_kernel_options(Core::StringView(text.data(), text.size()));
}

} // namespace

// ---- tokenize_command_line --------------------------------------------------------------

TEST(CommandLineTokenizer, EmptyAndBlankLinesHaveNoTokens)
{
    EXPECT_TRUE(tokenize("").empty());
    EXPECT_TRUE(tokenize("   \t \r\n ").empty());
    EXPECT_EQ(tokenize_command_line(Core::StringView()).dropped, 0u);
}

TEST(CommandLineTokenizer, SplitsOnSpacesAndTabs)
{
    EXPECT_EQ(tokenize("log=debug test=all\tpanic=qemu-exit"),
        (KeyValuePairs { { "log", "debug" }, { "test", "all" }, { "panic", "qemu-exit" } }));
    EXPECT_EQ(tokenize("  \t log=info \t\t "), (KeyValuePairs { { "log", "info" } }));
    EXPECT_EQ(tokenize("a=1\nb=2\r\nc=3"), (KeyValuePairs { { "a", "1" }, { "b", "2" }, { "c", "3" } }));
}

TEST(CommandLineTokenizer, BareKeysHaveEmptyValues)
{
    EXPECT_EQ(tokenize("quiet nosmp log=warn"),
        (KeyValuePairs { { "quiet", "" }, { "nosmp", "" }, { "log", "warn" } }));
}

TEST(CommandLineTokenizer, EmptyValueAfterEquals)
{
    EXPECT_EQ(tokenize("test= log=info"), (KeyValuePairs { { "test", "" }, { "log", "info" } }));
    EXPECT_EQ(tokenize("test="), (KeyValuePairs { { "test", "" } }));
}

TEST(CommandLineTokenizer, ValueKeepsLaterEqualsSigns)
{
    EXPECT_EQ(tokenize("root=UUID=1234-abcd"), (KeyValuePairs { { "root", "UUID=1234-abcd" } }));
}

TEST(CommandLineTokenizer, QuotedValuesMayContainSpaces)
{
    EXPECT_EQ(tokenize("title=\"Raeen OS  test\" log=debug"),
        (KeyValuePairs { { "title", "Raeen OS  test" }, { "log", "debug" } }));
    EXPECT_EQ(tokenize("empty=\"\" next"), (KeyValuePairs { { "empty", "" }, { "next", "" } }));
    EXPECT_EQ(tokenize("tabbed=\"a\tb\""), (KeyValuePairs { { "tabbed", "a\tb" } }));
}

TEST(CommandLineTokenizer, UnterminatedQuoteRunsToEndOfLine)
{
    EXPECT_EQ(tokenize("log=info title=\"never closed log=debug"),
        (KeyValuePairs { { "log", "info" }, { "title", "never closed log=debug" } }));
    EXPECT_EQ(tokenize("title=\""), (KeyValuePairs { { "title", "" } }));
}

TEST(CommandLineTokenizer, TokensWithoutKeyAreSkipped)
{
    EXPECT_EQ(tokenize("=orphan log=info = =\"quoted orphan\""), (KeyValuePairs { { "log", "info" } }));
}

TEST(CommandLineTokenizer, TokensPointIntoTheOriginalText)
{
    std::string text = "log=debug test=all";
    CommandLine command_line = tokenize_command_line(Core::StringView(text.data(), text.size()));
    ASSERT_EQ(command_line.options.size(), 2u);
    // The tokenizer copies nothing: keys and values are views of the caller's text.
    EXPECT_EQ(command_line.options[0].key.characters(), text.data());
    EXPECT_EQ(command_line.options[0].value.characters(), text.data() + 4);
    EXPECT_EQ(command_line.options[1].value.characters(), text.data() + 15);
}

TEST(CommandLineTokenizer, TokensBeyondCapacityAreCounted)
{
    std::string text;
    for (int index = 0; index < 40; ++index)
        text += "option" + std::to_string(index) + "=" + std::to_string(index * 2) + " ";
    CommandLine command_line = tokenize_command_line(Core::StringView(text.data(), text.size()));
    ASSERT_EQ(command_line.options.size(), 32u);
    EXPECT_EQ(command_line.dropped, 8u);
    // The first 32 are the ones kept, in order.
    EXPECT_EQ(as_std(command_line.options[0].key), "option0");
    EXPECT_EQ(as_std(command_line.options[31].key), "option31");
    EXPECT_EQ(as_std(command_line.options[31].value), "62");
}

TEST(CommandLineTokenizer, ExactlyCapacityTokensDropsNothing)
{
    std::string text;
    for (int index = 0; index < 32; ++index)
        text += "k" + std::to_string(index) + " ";
    CommandLine command_line = tokenize_command_line(Core::StringView(text.data(), text.size()));
    EXPECT_EQ(command_line.options.size(), 32u);
    EXPECT_EQ(command_line.dropped, 0u);
}

TEST(CommandLineTokenizer, DoesNotReadPastAnUnterminatedView)
{
    // The view ends in the middle of the buffer; text after it must not become a token.
    const char buffer[] = "log=debug test=all";
    EXPECT_EQ(
        tokens_of(tokenize_command_line(Core::StringView(buffer, 7))), (KeyValuePairs { { "log", "deb" } }));
    EXPECT_EQ(
        tokens_of(tokenize_command_line(Core::StringView(buffer, 4))), (KeyValuePairs { { "log", "" } }));
}

// ---- parse_kernel_options ---------------------------------------------------------------

TEST(KernelOptions, DefaultsForEmptyCommandLine)
{
    KernelOptions options = parse("");
    EXPECT_EQ(options.log_level, Level::Info);
    EXPECT_EQ(options.panic_action, PanicAction::Halt);
    EXPECT_TRUE(options.test_selector.string_view().is_empty());
    EXPECT_TRUE(options.problems.is_empty());
}

TEST(KernelOptions, TypicalTestBoot)
{
    KernelOptions options = parse("log=debug test=all panic=qemu-exit");
    EXPECT_EQ(options.log_level, Level::Debug);
    EXPECT_EQ(as_std(options.test_selector.string_view()), "all");
    EXPECT_EQ(options.panic_action, PanicAction::QemuExit);
    EXPECT_EQ(problems_of(options), std::vector<std::string> {});
}

TEST(KernelOptions, EveryLogLevelIncludingWarningAlias)
{
    EXPECT_EQ(parse("log=error").log_level, Level::Error);
    EXPECT_EQ(parse("log=warn").log_level, Level::Warning);
    EXPECT_EQ(parse("log=warning").log_level, Level::Warning);
    EXPECT_EQ(parse("log=info").log_level, Level::Info);
    EXPECT_EQ(parse("log=debug").log_level, Level::Debug);
    EXPECT_TRUE(parse("log=warning").problems.is_empty());
}

TEST(KernelOptions, BadLogValueIsReportedAndIgnored)
{
    KernelOptions options = parse("log=debug log=verbose");
    // The earlier valid level stays in force.
    EXPECT_EQ(options.log_level, Level::Debug);
    EXPECT_EQ(problems_of(options),
        std::vector<std::string> { "bad value 'verbose' for log (use error, warn, info or debug)" });

    // Matching is exact: case and prefixes are not accepted.
    EXPECT_EQ(parse("log=DEBUG").log_level, Level::Info);
    EXPECT_EQ(parse("log=DEBUG").problems.size(), 1u);
    EXPECT_EQ(parse("log=deb").problems.size(), 1u);
    EXPECT_EQ(problems_of(parse("log")),
        std::vector<std::string> { "bad value '' for log (use error, warn, info or debug)" });
}

TEST(KernelOptions, TestSelectorForms)
{
    EXPECT_EQ(as_std(parse("test=all").test_selector.string_view()), "all");
    EXPECT_EQ(
        as_std(parse("test=boot.options_come_from_the_loader_command_line").test_selector.string_view()),
        "boot.options_come_from_the_loader_command_line");
    EXPECT_EQ(as_std(parse("test=panic.*").test_selector.string_view()), "panic.*");
    EXPECT_EQ(as_std(parse("test=\"core.*\"").test_selector.string_view()), "core.*");
    // The last occurrence wins, with nothing left over from earlier ones.
    EXPECT_EQ(as_std(parse("test=a_very_long_first_choice test=b").test_selector.string_view()), "b");
    EXPECT_STREQ(parse("test=a_very_long_first_choice test=b").test_selector.c_string(), "b");
}

TEST(KernelOptions, LongestTestSelectorThatFits)
{
    // The selector buffer holds 128 bytes including the NUL.
    std::string selector(127, 's');
    KernelOptions options = parse("test=" + selector);
    EXPECT_EQ(as_std(options.test_selector.string_view()), selector);
    EXPECT_TRUE(options.problems.is_empty());
}

TEST(KernelOptions, TooLongTestSelectorIsReported)
{
    std::string selector(200, 's');
    KernelOptions options = parse("test=" + selector + " log=debug");
    EXPECT_EQ(problems_of(options), std::vector<std::string> { "test selector is too long" });
    EXPECT_TRUE(options.test_selector.was_truncated());
    EXPECT_LT(options.test_selector.length(), 128u);
    // Later options are still decoded.
    EXPECT_EQ(options.log_level, Level::Debug);
}

TEST(KernelOptions, PanicActions)
{
    EXPECT_EQ(parse("panic=halt").panic_action, PanicAction::Halt);
    EXPECT_EQ(parse("panic=qemu-exit").panic_action, PanicAction::QemuExit);
    EXPECT_EQ(parse("panic=qemu-exit panic=halt").panic_action, PanicAction::Halt);

    KernelOptions options = parse("panic=qemu-exit panic=reboot");
    EXPECT_EQ(options.panic_action, PanicAction::QemuExit);
    EXPECT_EQ(problems_of(options),
        std::vector<std::string> { "bad value 'reboot' for panic (use halt or qemu-exit)" });
}

TEST(KernelOptions, UnknownOptionIsNamed)
{
    KernelOptions options = parse("log=debug frobnicate=yes quiet");
    EXPECT_EQ(options.log_level, Level::Debug);
    EXPECT_EQ(problems_of(options),
        (std::vector<std::string> { "unknown option 'frobnicate'", "unknown option 'quiet'" }));
}

TEST(KernelOptions, KeysAreCaseSensitive)
{
    KernelOptions options = parse("LOG=debug");
    EXPECT_EQ(options.log_level, Level::Info);
    EXPECT_EQ(problems_of(options), std::vector<std::string> { "unknown option 'LOG'" });
}

TEST(KernelOptions, TooManyOptionsAreReported)
{
    std::string text;
    for (int index = 0; index < 35; ++index)
        text += "log=debug ";
    KernelOptions options = parse(text);
    EXPECT_EQ(options.log_level, Level::Debug);
    EXPECT_EQ(
        problems_of(options), std::vector<std::string> { "3 options beyond the first 32 were ignored" });
}

TEST(KernelOptions, ProblemListIsBoundedAndKeepsTheFirst)
{
    std::string text;
    for (int index = 0; index < 20; ++index)
        text += "unknown" + std::to_string(index) + " ";
    KernelOptions options = parse(text);
    auto problems = problems_of(options);
    ASSERT_EQ(problems.size(), options.problems.capacity());
    EXPECT_EQ(problems.front(), "unknown option 'unknown0'");
    EXPECT_EQ(problems.back(), "unknown option 'unknown7'");
}

TEST(KernelOptions, LongBadValueIsTruncatedInProblemText)
{
    std::string value(300, 'v');
    KernelOptions options = parse("panic=" + value);
    ASSERT_EQ(options.problems.size(), 1u);
    const auto& problem = options.problems[0];
    EXPECT_TRUE(problem.was_truncated());
    EXPECT_EQ(problem.length(), 95u);
    EXPECT_TRUE(problem.string_view().starts_with("bad value 'vvvv"));
}

TEST(KernelOptions, ResultDoesNotReferToTheInputText)
{
    // The decoded options must be usable after the command line's memory is gone.
    // The text is long enough to live on the heap, so AddressSanitizer reports any read
    // of it after it is freed.
    KernelOptions options;
    {
        std::string text = "test=suite.name log=debug";
        options = parse(text);
    }
    EXPECT_EQ(as_std(options.test_selector.string_view()), "suite.name");
    EXPECT_STREQ(options.test_selector.c_string(), "suite.name");
}

TEST(KernelOptions, CopiesKeepTheirOwnText)
{
    KernelOptions original = parse("test=first bogus");
    KernelOptions copy = original;
    original.test_selector.clear();
    original.problems.clear();
    EXPECT_EQ(as_std(copy.test_selector.string_view()), "first");
    EXPECT_EQ(problems_of(copy), std::vector<std::string> { "unknown option 'bogus'" });
}

TEST(KernelOptions, UnsignedNumbersInDecimalAndHexadecimal)
{
    using Kernel::Boot::parse_unsigned_number;
    EXPECT_EQ(parse_unsigned_number("0"_sv).value(), 0u);
    EXPECT_EQ(parse_unsigned_number("1000000"_sv).value(), 1'000'000u);
    EXPECT_EQ(parse_unsigned_number("0x1F"_sv).value(), 31u);
    EXPECT_EQ(parse_unsigned_number("18446744073709551615"_sv).value(), ~std::uint64_t(0));
    EXPECT_EQ(parse_unsigned_number("0xffffffffffffffff"_sv).value(), ~std::uint64_t(0));
    EXPECT_FALSE(parse_unsigned_number("18446744073709551616"_sv).has_value());
    EXPECT_FALSE(parse_unsigned_number("0x10000000000000000"_sv).has_value());
    EXPECT_FALSE(parse_unsigned_number(""_sv).has_value());
    EXPECT_FALSE(parse_unsigned_number("0x"_sv).has_value());
    EXPECT_FALSE(parse_unsigned_number("12a"_sv).has_value());
    EXPECT_FALSE(parse_unsigned_number("-1"_sv).has_value());
}

TEST(KernelOptions, SyscallFuzzOptionsAreCheckedAndKept)
{
    KernelOptions defaults = parse("");
    EXPECT_EQ(defaults.syscall_fuzz_calls, 1'000'000u);
    EXPECT_FALSE(defaults.syscall_fuzz_seed.has_value());
    KernelOptions chosen = parse("syscall-fuzz-calls=5000 syscall-fuzz-seed=0xBEEF");
    EXPECT_EQ(chosen.syscall_fuzz_calls, 5000u);
    ASSERT_TRUE(chosen.syscall_fuzz_seed.has_value());
    EXPECT_EQ(chosen.syscall_fuzz_seed.value(), 0xBEEFu);
    EXPECT_TRUE(problems_of(chosen).empty());
    KernelOptions bad = parse("syscall-fuzz-calls=0 syscall-fuzz-seed=0x100000000");
    EXPECT_EQ(bad.syscall_fuzz_calls, 1'000'000u);
    EXPECT_FALSE(bad.syscall_fuzz_seed.has_value());
    EXPECT_EQ(problems_of(bad).size(), 2u);
}
