#include <Core/Span.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Tasks/Process.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Test/KernelBenchmark.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Test/QemuExit.h>
#include <Kernel/Time/Clock.h>

extern "C" const Kernel::Test::TestCase __kernel_tests_start[];
extern "C" const Kernel::Test::TestCase __kernel_tests_end[];

namespace Kernel::Test {

namespace {

template<typename... Arguments> void report(Core::StringView format_string, const Arguments&... arguments)
{
    // Test reports bypass the log level: the runner must see them whatever `log=` says.
    Core::FixedStringBuilder<400> line;
    line.appendf(format_string, arguments...);
    Log::write_record(Log::Level::Info, line.string_view());
}

} // namespace

void report_samples(
    TestContext& context, Core::StringView metric, Core::Span<Core::u64> samples, Core::StringView unit)
{
    if (samples.size() == 0) {
        context.fail("no samples were taken", __FILE__, __LINE__);
        return;
    }
    Core::SampleSummary summary = Core::summarize_samples(samples);
    report("[BENCH] {}.{} {}: n={} min={} median={} p99={} max={} mean={} {}", context.test_case().suite,
        context.test_case().name, metric, summary.count, summary.minimum, summary.median,
        summary.percentile_99, summary.maximum, summary.mean, unit);
}

void report_value(TestContext& context, Core::StringView metric, Core::u64 value, Core::StringView unit)
{
    report(
        "[BENCH] {}.{} {}: {} {}", context.test_case().suite, context.test_case().name, metric, value, unit);
}

void TestContext::fail(Core::StringView what, const char* file, int line)
{
    m_failed = true;
    report("[TEST] FAIL {}.{}: {} ({}:{})", m_test_case.suite, m_test_case.name, what, file, line);
}

bool selector_matches(Core::StringView selector, const TestCase& test)
{
    auto dot = selector.find('.');
    if (!dot.has_value()) {
        if (selector == "all")
            return test.kind == TestKind::Plain;
        if (selector == "timed")
            return test.kind == TestKind::Timed;
        if (selector == "bench")
            return test.kind == TestKind::Benchmark;
        return false;
    }
    Core::StringView selected_suite = selector.substring(0, dot.value());
    Core::StringView selected_name = selector.substring(dot.value() + 1);
    if (selected_suite != Core::StringView(test.suite))
        return false;
    if (selected_name == "*")
        return test.kind != TestKind::EndsInPanic;
    return selected_name == Core::StringView(test.name);
}

// The linker places every TestCase of the .kernel_tests section between the two symbols.
// The bounds are compared as integers: as C++ arrays they are distinct objects, which the
// compiler may assume never meet.
Core::Span<const TestCase> registered_tests()
{
    auto start = reinterpret_cast<Core::uptr>(__kernel_tests_start);
    auto end = reinterpret_cast<Core::uptr>(__kernel_tests_end);
    return { __kernel_tests_start, (end - start) / sizeof(TestCase) };
}

bool kernel_has_tests()
{
    return !registered_tests().is_empty();
}

namespace {

// A benchmark measures only itself: it starts once the processes earlier tests left are
// torn down (the reaper would otherwise run beside it, on whichever CPU it is, and a
// runnable fair thread there changes what the scheduler does on every switch), or after a
// second at most.
void wait_for_process_teardowns()
{
    Core::u64 give_up_at = Time::monotonic_nanoseconds() + 1'000'000'000;
    while (Tasks::Process::teardowns_pending() && Time::monotonic_nanoseconds() < give_up_at)
        Tasks::Scheduler::sleep_until(Time::monotonic_nanoseconds() + 1'000'000);
}

} // namespace

void run_selected_tests_and_exit(Core::StringView selector)
{
    Core::u32 selected = 0;
    for (const TestCase& test : registered_tests()) {
        if (selector_matches(selector, test))
            ++selected;
    }
    report("[TEST] START selector={} selected={}", selector, selected);

    Core::u32 passed = 0;
    Core::u32 failed = 0;
    for (const TestCase& test : registered_tests()) {
        if (!selector_matches(selector, test))
            continue;
        report("[TEST] RUN {}.{}", test.suite, test.name);
        if (test.kind == TestKind::Benchmark)
            wait_for_process_teardowns();
        TestContext context(test);
        test.function(context);
        if (context.failed()) {
            ++failed;
        } else {
            ++passed;
            report("[TEST] PASS {}.{}", test.suite, test.name);
        }
    }
    report("[TEST] DONE passed={} failed={}", passed, failed);
    // Selecting nothing is a failure too: it means the runner and kernel disagree.
    bool success = failed == 0 && selected > 0;
    exit_qemu(success ? QemuExitCode::TestsPassed : QemuExitCode::TestsFailed);
}

} // namespace Kernel::Test
