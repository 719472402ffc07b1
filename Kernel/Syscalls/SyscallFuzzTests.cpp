// The system-call fuzzer run (Userland/Tests/SyscallFuzzer.cpp): a million random calls by
// default, none of which may panic or hang the kernel or end the program.

#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Boot/KernelOptions.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Security/AuditLog.h>
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

// The handle tests' refusals and rights reductions are in the audit log, under their name.
KERNEL_TEST(syscalls, refused_handle_uses_are_audited)
{
    auto thread = Kernel::Tasks::start_program_from_initial_ramdisk(
        "tests/handles", Kernel::Arch::current_processor_index(), 0);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return;
    EXPECT(!Kernel::Tasks::Scheduler::join(*thread.value()).is_error());
    bool seen[5] {};
    static ABI::AuditRecord records[ABI::audit_log_capacity];
    Core::usize count = Kernel::Security::read_audit_log(0, { records, ABI::audit_log_capacity });
    EXPECT(count > 0);
    for (Core::usize index = 0; index < count; ++index) {
        const char expected[] = "tests/handles";
        bool ours = true;
        for (Core::usize character = 0; character < sizeof(expected); ++character)
            ours = ours && records[index].process[character] == expected[character];
        if (ours && records[index].event < 5)
            seen[records[index].event] = true;
        if (index > 0)
            EXPECT(records[index].sequence == records[index - 1].sequence + 1);
    }
    EXPECT(seen[static_cast<Core::u32>(ABI::AuditEvent::RightsReduced)]);
    EXPECT(seen[static_cast<Core::u32>(ABI::AuditEvent::AccessDenied)]);
    EXPECT(seen[static_cast<Core::u32>(ABI::AuditEvent::BadHandle)]);
    EXPECT(seen[static_cast<Core::u32>(ABI::AuditEvent::WrongType)]);
}
