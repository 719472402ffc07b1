#pragma once

// Runs programs of the initial RAM disk for kernel tests that drive user-space test
// programs, and checks their exit statuses (only test files include this).

#include <Core/Optional.h>
#include <Core/Span.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Tasks/FirstProgram.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Test/KernelTest.h>

namespace Kernel::Tasks::TestSupport {

// Starts the program at `path` on this CPU with `argument` and the given start-up handles,
// and waits for its main thread; its exit status, or nothing (with the test failed) if it
// could not start.
inline Core::Optional<Core::i64> run_to_exit(Test::TestContext& test_context, const char* path,
    Core::u64 argument, Core::Span<Objects::HandleTable::Entry> startup_handles = {})
{
    auto thread = start_program_from_initial_ramdisk(
        path, Arch::current_processor_index(), argument, startup_handles);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return {};
    auto status = Scheduler::join(*thread.value());
    EXPECT(!status.is_error());
    if (status.is_error())
        return {};
    return status.value();
}

// Runs a user-space test program, which exits with 0 when all its checks pass and with the
// number of the check that failed otherwise.
inline void expect_program_passes(Test::TestContext& test_context, const char* path, Core::u64 argument,
    Core::Span<Objects::HandleTable::Entry> startup_handles = {})
{
    // Nothing when the program could not run, which run_to_exit has already failed the test for.
    auto status = run_to_exit(test_context, path, argument, startup_handles);
    if (status.has_value())
        EXPECT_EQ(status.value(), 0); // otherwise: the number of the check that failed
}

} // namespace Kernel::Tasks::TestSupport
