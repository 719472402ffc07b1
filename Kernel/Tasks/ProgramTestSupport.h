#pragma once

// Runs a program of the initial RAM disk to its end, for kernel tests that drive user-space
// test programs (only test files include this).

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

} // namespace Kernel::Tasks::TestSupport
