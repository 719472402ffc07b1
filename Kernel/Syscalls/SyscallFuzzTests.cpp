// The system-call fuzzer run (Userland/Tests/SyscallFuzzer.cpp): a million random calls by
// default, none of which may panic or hang the kernel or end the program.

#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Boot/KernelOptions.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Security/BootEntropy.h>
#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Test/KernelTest.h>

using namespace Kernel::Tasks::TestSupport;

KERNEL_TEST(syscalls, random_calls_never_harm_the_kernel)
{
    const auto& options = Kernel::Boot::kernel_options();
    Core::u64 seed = options.syscall_fuzz_seed.has_value()
        ? options.syscall_fuzz_seed.value()
        : Kernel::Security::boot_random_u64().value & 0xFFFFFFFF;
    Core::u64 calls = options.syscall_fuzz_calls;
    // Reported first, so that a run that goes wrong can be repeated with syscall-fuzz-seed.
    Kernel::Log::info("test: system-call fuzzer: {} calls, seed {}", calls, seed);
    auto status = run_to_exit(test_context, "tests/syscall-fuzzer", (calls << 32) | seed);
    EXPECT(status.has_value() && status.value() == 0);
}

// Userland/Tests/HandleTests.cpp: handle and event calls, success and failure paths.
KERNEL_TEST(syscalls, handle_calls_from_user_space)
{
    expect_program_passes(test_context, "tests/handles", 0);
}

// The handle tests' refusals and rights reductions are in the audit log, under their name.
KERNEL_TEST(syscalls, refused_handle_uses_are_audited)
{
    // Only records made from here on count: an earlier run of the same program left some.
    Core::u64 first_new = next_audit_sequence();
    EXPECT(run_to_exit(test_context, "tests/handles", 0).has_value());
    EXPECT(count_audit_records(first_new, "tests/handles", ABI::AuditEvent::RightsReduced) > 0);
    EXPECT(count_audit_records(first_new, "tests/handles", ABI::AuditEvent::AccessDenied) > 0);
    EXPECT(count_audit_records(first_new, "tests/handles", ABI::AuditEvent::BadHandle) > 0);
    EXPECT(count_audit_records(first_new, "tests/handles", ABI::AuditEvent::WrongType) > 0);
}

// Userland/Tests/ThreadTests.cpp: thread_create and thread_join from user space.
KERNEL_TEST(syscalls, threads_from_user_space)
{
    expect_program_passes(test_context, "tests/threads", 0);
}

// Userland/Tests/LibCTests.cpp: the C library through its headers (snprintf, strtol and
// errno in each thread's block, strings, qsort), in user space.
KERNEL_TEST(syscalls, the_c_library_from_user_space)
{
    expect_program_passes(test_context, "tests/libc", 0);
}

// A process whose thread has ended gives its memory back (the reaper tears it down): its
// 64 KiB stack, program pages and page tables. Left allocated would be 80 KiB or more.
KERNEL_TEST(syscalls, a_finished_process_gives_its_memory_back)
{
    expect_second_run_gives_memory_back(test_context, "tests/handles", 48 * 1024);
}

// Userland/Tests/PointerTests.cpp: every call that takes a user pointer, with every kind of
// bad pointer. The audit log is its one start-up handle, for audit_read's buffer.
KERNEL_TEST(syscalls, bad_pointers_to_every_call)
{
    Kernel::Tasks::TestSupport::expect_program_passes_with_audit_log(test_context, "tests/pointers");
}
