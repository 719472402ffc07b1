// Processes from user space (Userland/Tests/ProcessTests.cpp) and what the kernel keeps of
// them: exit statuses, the audit of moved handles, and memory given back.

#include <Kernel/Tasks/ProgramTestSupport.h>

using namespace Kernel::Tasks::TestSupport;

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
    // The program moves two events into one child.
    EXPECT_EQ(count_audit_records(first_new, "tests/processes", ABI::AuditEvent::HandleTransferred),
        Core::usize(2));
}

// Children that were killed, faulted or exited give all their memory back once they and
// their parent are gone.
KERNEL_TEST(processes, ended_children_give_their_memory_back)
{
    // A dozen children run, each with at least 80 KiB of stack, program and tables.
    expect_second_run_gives_memory_back(test_context, "tests/processes", 48 * 1024);
}
