// The IPC benchmarks (Userland/Tests/IpcBenchmark.cpp): channel_call round trips between two
// processes on one CPU (the direct hand-off of docs/ipc.md#fast-path) and across two, from
// the client's call, through the server's channel_serve, back to the client; the same in the
// register form (channel_call_registers, channel_serve_registers); and the cost
// per message of one-way writes to a server that reads them. The cross-CPU one needs two
// CPUs and reports nothing on one.

#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Test/KernelBenchmark.h>

namespace {

constexpr Core::u64 same_cpu_mode = 0;
constexpr Core::u64 cross_cpu_mode = 1;
constexpr Core::u64 one_way_mode = 2;
constexpr Core::u64 same_cpu_registers_mode = 3;
constexpr Core::u64 cross_cpu_registers_mode = 4;

// 1000 timed round trips of the benchmark program in `mode`, reported as samples; nothing
// for a cross-CPU mode on one CPU.
void report_round_trips(Kernel::Test::TestContext& test_context, Core::u64 mode, bool needs_two_cpus)
{
    if (needs_two_cpus && Kernel::Arch::processor_count() < 2)
        return;
    Kernel::Tasks::TestSupport::report_program_samples(test_context, "tests/ipc-benchmark",
        Kernel::Tasks::TestSupport::benchmark_argument(1000, mode), "call round trip"_sv);
}

} // namespace

KERNEL_BENCHMARK(ipc, call_round_trip_same_cpu)
{
    report_round_trips(test_context, same_cpu_mode, false);
}

KERNEL_BENCHMARK(ipc, call_round_trip_cross_cpu)
{
    report_round_trips(test_context, cross_cpu_mode, true);
}

KERNEL_BENCHMARK(ipc, register_call_round_trip_same_cpu)
{
    report_round_trips(test_context, same_cpu_registers_mode, false);
}

KERNEL_BENCHMARK(ipc, register_call_round_trip_cross_cpu)
{
    report_round_trips(test_context, cross_cpu_registers_mode, true);
}

KERNEL_BENCHMARK(ipc, one_way_throughput)
{
    auto status = Kernel::Tasks::TestSupport::run_to_exit(test_context, "tests/ipc-benchmark",
        Kernel::Tasks::TestSupport::benchmark_argument(2000, one_way_mode));
    if (!status.has_value())
        return;
    EXPECT(status.value() > 0);
    if (status.value() > 0)
        Kernel::Test::report_value(
            test_context, "per one-way message"_sv, static_cast<Core::u64>(status.value()), "ticks"_sv);
}
