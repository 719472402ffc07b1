// The system-call fuzzer run (Userland/Tests/SyscallFuzzer.cpp): a million random calls by
// default, none of which may panic or hang the kernel or end the program.

#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Boot/KernelOptions.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Security/BootEntropy.h>
#include <Kernel/Tasks/FirstProgram.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Test/KernelTest.h>

KERNEL_TEST(syscalls, random_calls_never_harm_the_kernel)
{
    const auto& options = Kernel::Boot::kernel_options();
    Core::u64 seed = options.syscall_fuzz_seed.has_value()
        ? options.syscall_fuzz_seed.value()
        : Kernel::Security::boot_random_u64().value & 0xFFFFFFFF;
    Core::u64 calls = options.syscall_fuzz_calls;
    // Reported first, so that a run that goes wrong can be repeated with syscall-fuzz-seed.
    Kernel::Log::info("test: system-call fuzzer: {} calls, seed {}", calls, seed);
    auto thread = Kernel::Tasks::start_program_from_initial_ramdisk(
        "tests/syscall-fuzzer", Kernel::Arch::current_processor_index(), (calls << 32) | seed);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return;
    auto status = Kernel::Tasks::Scheduler::join(*thread.value());
    EXPECT(!status.is_error());
    if (!status.is_error())
        EXPECT_EQ(status.value(), 0);
}

// Userland/Tests/HandleTests.cpp: handle and event calls, success and failure paths.
KERNEL_TEST(syscalls, handle_calls_from_user_space)
{
    auto thread = Kernel::Tasks::start_program_from_initial_ramdisk(
        "tests/handles", Kernel::Arch::current_processor_index(), 0);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return;
    auto status = Kernel::Tasks::Scheduler::join(*thread.value());
    EXPECT(!status.is_error());
    if (!status.is_error())
        EXPECT_EQ(status.value(), 0); // otherwise: the number of the check that failed
}
