#pragma once

// In-kernel benchmarks: measurements that only the kernel can take (thread switches,
// wake-ups), registered like tests and run by the test kernel with `test=bench`:
//
//   KERNEL_BENCHMARK(scheduler, thread_switch) { ... report_samples(test_context, ...); }
//
// `./raeen bench` boots the release test kernel with QEMU's clock counting instructions
// (1 ns per instruction), so the figures are the same on every run and every host; they
// measure the code, not the emulator's speed. Each result is one line:
//
//   [BENCH] suite.name metric: n=N min=A median=B p99=C max=D mean=E unit
//
// A benchmark may also EXPECT things (that it measured anything at all); a benchmark
// boot passes only if they hold. Its figures are never compared with limits in tests.

#include <Core/SampleSummary.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Kernel/Test/KernelTest.h>

namespace Kernel::Test {

// Sorts `samples` and prints their summary for the running benchmark. Fails the benchmark
// if there are none.
void report_samples(
    TestContext& context, Core::StringView metric, Core::Span<Core::u64> samples, Core::StringView unit);

// Prints one measured figure (already summarised) for the running benchmark:
//   [BENCH] suite.name metric: value unit
void report_value(TestContext& context, Core::StringView metric, Core::u64 value, Core::StringView unit);

} // namespace Kernel::Test

#define KERNEL_BENCHMARK(suite, name) KERNEL_TEST_DEFINE(suite, name, Benchmark)
