// The channel_call round trip between two processes (Userland/Tests/IpcBenchmark.cpp): from
// the client's call, through the request, the server's read and reply, back to the client.
// Where the two processes run is the balancer's choice (the bench boot has two CPUs).

#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Test/KernelBenchmark.h>

KERNEL_BENCHMARK(ipc, call_round_trip)
{
    constexpr Core::u64 round_trips = 1000;
    Kernel::Tasks::TestSupport::report_program_fastest_and_median(test_context, "tests/ipc-benchmark",
        round_trips, "fastest call round trip"_sv, "median call round trip"_sv);
}
