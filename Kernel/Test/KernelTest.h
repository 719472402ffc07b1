#pragma once

// In-kernel tests, registered next to the code they test:
//
//   KERNEL_TEST(format, hexadecimal) { EXPECT_EQ(render(0x2a), "0x2a"_sv); }
//
// Each test is a descriptor in the .kernel_tests section; the test kernel (a kernel
// linked with the *Tests.cpp files) runs those chosen by the `test=` option and reports
// over the consoles in a fixed line format that Tools/qemu_runner.py reads:
//
//   [TEST] RUN suite.name / [TEST] PASS suite.name / [TEST] FAIL suite.name: why
//   [TEST] DONE passed=N failed=M
//
// KERNEL_PANIC_TEST declares a test whose success is a panic report (for example, a
// deliberate page fault). Those stop the kernel, so they only run when selected by their
// full name, one per boot.
//
// KERNEL_TIMED_TEST declares a test whose verdict depends on timing (shares of CPU time,
// deadlines met). Under TCG the guest clock follows the host's, and a host busy with other
// work deschedules emulated CPUs for tens of milliseconds at random, which such a test
// cannot tell from a scheduler bug. So timed tests are left out of `test=all` and run in a
// boot of their own, `test=timed`, with QEMU's clock counting guest instructions
// (-icount), where time is the same on every run.

#include <Core/Format.h>
#include <Core/StringView.h>
#include <Core/Types.h>

namespace Kernel::Test {

class TestContext;

enum class TestKind : Core::u8 {
    Plain, // KERNEL_TEST: part of test=all
    EndsInPanic, // KERNEL_PANIC_TEST: selected by full name only, one per boot
    Timed, // KERNEL_TIMED_TEST: test=timed, on QEMU's instruction-counting clock
    Benchmark, // KERNEL_BENCHMARK: test=bench (KernelBenchmark.h)
};

struct TestCase {
    const char* suite;
    const char* name;
    void (*function)(TestContext&);
    TestKind kind;
};

class TestContext {
public:
    explicit TestContext(const TestCase& test_case)
        : m_test_case(test_case)
    {
    }

    void fail(Core::StringView what, const char* file, int line);
    template<typename Actual, typename Expected>
    void fail_comparison(
        const char* expression, const Actual& actual, const Expected& expected, const char* file, int line)
    {
        Core::FixedStringBuilder<256> what;
        what.appendf("{}: got {}, expected {}", expression, actual, expected);
        fail(what.string_view(), file, line);
    }
    [[nodiscard]] bool failed() const { return m_failed; }
    [[nodiscard]] const TestCase& test_case() const { return m_test_case; }

private:
    const TestCase& m_test_case;
    bool m_failed { false };
};

// Does `selector` ("all", "timed", "bench", "suite.*" or "suite.name") choose this test?
// "all" is every plain test, "timed" every timed test, "bench" every benchmark; "suite.*"
// every test of the suite that does not panic.
[[nodiscard]] bool selector_matches(Core::StringView selector, const TestCase& test);

// Whether this kernel was linked with any tests (the test kernel is; the product is not).
[[nodiscard]] bool kernel_has_tests();

// Runs the selected tests, prints the report and leaves QEMU with the outcome.
[[noreturn]] void run_selected_tests_and_exit(Core::StringView selector);

} // namespace Kernel::Test

#define KERNEL_TEST_DEFINE(suite, name, kind)                                                                \
    static void kernel_test_function_##suite##_##name(::Kernel::Test::TestContext& test_context);            \
    [[gnu::used,                                                                                             \
        gnu::section(                                                                                        \
            ".kernel_tests")]] static const ::Kernel::Test::TestCase kernel_test_case_##suite##_##name {     \
        #suite, #name, kernel_test_function_##suite##_##name, ::Kernel::Test::TestKind::kind                 \
    };                                                                                                       \
    static void kernel_test_function_##suite##_##name(                                                       \
        [[maybe_unused]] ::Kernel::Test::TestContext& test_context)

#define KERNEL_TEST(suite, name) KERNEL_TEST_DEFINE(suite, name, Plain)
#define KERNEL_PANIC_TEST(suite, name) KERNEL_TEST_DEFINE(suite, name, EndsInPanic)
#define KERNEL_TIMED_TEST(suite, name) KERNEL_TEST_DEFINE(suite, name, Timed)

#define EXPECT(condition)                                                                                    \
    do {                                                                                                     \
        if (!(condition))                                                                                    \
            test_context.fail("EXPECT(" #condition ")", __FILE__, __LINE__);                                 \
    } while (0)

#define EXPECT_EQ(actual, expected)                                                                          \
    do {                                                                                                     \
        const auto& expect_actual_value = (actual);                                                          \
        const auto& expect_expected_value = (expected);                                                      \
        if (!(expect_actual_value == expect_expected_value))                                                 \
            test_context.fail_comparison("EXPECT_EQ(" #actual ", " #expected ")", expect_actual_value,       \
                expect_expected_value, __FILE__, __LINE__);                                                  \
    } while (0)
