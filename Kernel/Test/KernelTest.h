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

#include <Core/Format.h>
#include <Core/StringView.h>
#include <Core/Types.h>

namespace Kernel::Test {

class TestContext;

struct TestCase {
    const char* suite;
    const char* name;
    void (*function)(TestContext&);
    bool ends_in_panic;
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

private:
    const TestCase& m_test_case;
    bool m_failed { false };
};

// Does `selector` ("all", "suite.*" or "suite.name") choose this test?
[[nodiscard]] bool selector_matches(
    Core::StringView selector, Core::StringView suite, Core::StringView name, bool ends_in_panic);

// Whether this kernel was linked with any tests (the test kernel is; the product is not).
[[nodiscard]] bool kernel_has_tests();

// Runs the selected tests, prints the report and leaves QEMU with the outcome.
[[noreturn]] void run_selected_tests_and_exit(Core::StringView selector);

} // namespace Kernel::Test

#define KERNEL_TEST_DEFINE(suite, name, ends_in_panic)                                                       \
    static void kernel_test_function_##suite##_##name(::Kernel::Test::TestContext& test_context);            \
    [[gnu::used,                                                                                             \
        gnu::section(                                                                                        \
            ".kernel_tests")]] static const ::Kernel::Test::TestCase kernel_test_case_##suite##_##name {     \
        #suite, #name, kernel_test_function_##suite##_##name, ends_in_panic                                  \
    };                                                                                                       \
    static void kernel_test_function_##suite##_##name(                                                       \
        [[maybe_unused]] ::Kernel::Test::TestContext& test_context)

#define KERNEL_TEST(suite, name) KERNEL_TEST_DEFINE(suite, name, false)
#define KERNEL_PANIC_TEST(suite, name) KERNEL_TEST_DEFINE(suite, name, true)

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
