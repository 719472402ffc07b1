// The null system call round trip (Userland/Tests/NullSyscall.cpp): from `syscall` in user
// mode back to the next user instruction, for a call that does nothing.

#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Tasks/FirstProgram.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Test/KernelBenchmark.h>

KERNEL_BENCHMARK(syscalls, null_call_round_trip)
{
    constexpr Core::u64 round_trips = 2000;
    auto thread = Kernel::Tasks::start_program_from_initial_ramdisk(
        "tests/null-syscall", Kernel::Arch::current_processor_index(), round_trips);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return;
    auto status = Kernel::Tasks::Scheduler::join(*thread.value());
    EXPECT(!status.is_error() && status.value() > 0);
    if (status.is_error() || status.value() <= 0)
        return;
    auto result = static_cast<Core::u64>(status.value());
    // Time-stamp counter ticks: instructions under -icount 0 (the two rdtsc included).
    Kernel::Test::report_value(test_context, "fastest round trip"_sv, result & 0xFFFFFFFF, "ticks"_sv);
    Kernel::Test::report_value(test_context, "median round trip"_sv, result >> 32, "ticks"_sv);
}
