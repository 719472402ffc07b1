// Processes from user space (Userland/Tests/ProcessTests.cpp) and what the kernel keeps of
// them: exit statuses, the audit of moved handles, and memory given back.

#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Time/Clock.h>

using Kernel::Tasks::TestSupport::count_audit_records;
using Kernel::Tasks::TestSupport::expect_program_passes;
using Kernel::Tasks::TestSupport::next_audit_sequence;
using Kernel::Tasks::TestSupport::run_to_exit;

// Every process call's success and failure paths, children that return, fault, block,
// spin, are killed, exit with threads still running, and receive start-up handles.
KERNEL_TEST(processes, process_calls_from_user_space)
{
    expect_program_passes(test_context, "tests/processes", 0);
}

// Handles that process_start moved are in the audit log, under the sender's name.
KERNEL_TEST(processes, moved_handles_are_audited)
{
    Core::u64 first_new = next_audit_sequence();
    EXPECT(run_to_exit(test_context, "tests/processes", 0).has_value());
    // The program moves two events into each of two children.
    EXPECT_EQ(count_audit_records(first_new, "tests/processes", ABI::AuditEvent::HandleTransferred),
        Core::usize(4));
}

// Children that were killed, faulted or exited give all their memory back once they and
// their parent are gone.
KERNEL_TEST(processes, ended_children_give_their_memory_back)
{
    // A first run warms the heap's caches, so the second one's allocations come from pages
    // already counted.
    EXPECT(run_to_exit(test_context, "tests/processes", 0).has_value());
    Kernel::Tasks::Scheduler::sleep_until(Kernel::Time::monotonic_nanoseconds() + 50'000'000);
    Core::u64 before = Kernel::Memory::physical_memory_statistics().allocated_bytes;
    EXPECT(run_to_exit(test_context, "tests/processes", 0).has_value());
    // The reaper tears processes down after their last thread: give it time. A dozen
    // children ran, each with at least 80 KiB of stack, program and tables; what may stay
    // is the heap's own growth.
    Core::u64 left = 0;
    for (Core::u32 attempt = 0; attempt < 100; ++attempt) {
        Core::u64 now = Kernel::Memory::physical_memory_statistics().allocated_bytes;
        left = now > before ? now - before : 0;
        if (left < 48 * 1024)
            break;
        Kernel::Tasks::Scheduler::sleep_until(Kernel::Time::monotonic_nanoseconds() + 10'000'000);
    }
    EXPECT(left < 48 * 1024);
}
