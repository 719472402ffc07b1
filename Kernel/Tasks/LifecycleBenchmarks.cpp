// Benchmarks of threads and processes driven from user space
// (Userland/Tests/LifecycleBenchmark.cpp): a yield ping-pong between two processes on one
// CPU, creating and joining a thread, and spawning a process from an ELF image and waiting
// for it to end.

#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Test/KernelBenchmark.h>

namespace {

constexpr Core::u64 yield_mode = 0;
constexpr Core::u64 thread_mode = 1;
constexpr Core::u64 spawn_mode = 2;

} // namespace

KERNEL_BENCHMARK(tasks, yield_round_trip_between_processes)
{
    Kernel::Tasks::TestSupport::report_program_samples(test_context, "tests/lifecycle-benchmark",
        Kernel::Tasks::TestSupport::benchmark_argument(1000, yield_mode), "yield round trip"_sv);
}

KERNEL_BENCHMARK(tasks, thread_create_and_join)
{
    Kernel::Tasks::TestSupport::report_program_samples(test_context, "tests/lifecycle-benchmark",
        Kernel::Tasks::TestSupport::benchmark_argument(200, thread_mode), "create and join"_sv);
}

KERNEL_BENCHMARK(tasks, process_spawn_and_wait)
{
    Kernel::Tasks::TestSupport::report_program_samples(test_context, "tests/lifecycle-benchmark",
        Kernel::Tasks::TestSupport::benchmark_argument(200, spawn_mode), "spawn and wait"_sv);
}
