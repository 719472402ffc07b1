// The null system call round trip (Userland/Tests/NullSyscall.cpp): from `syscall` in user
// mode back to the next user instruction, for a call that does nothing.

#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Test/KernelBenchmark.h>

KERNEL_BENCHMARK(syscalls, null_call_round_trip)
{
    constexpr Core::u64 round_trips = 2000;
    Kernel::Tasks::TestSupport::report_program_samples(
        test_context, "tests/null-syscall", round_trips, "round trip"_sv);
}
