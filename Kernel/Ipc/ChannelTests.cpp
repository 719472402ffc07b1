// Channels from user space (Userland/Tests/ChannelTests.cpp).

#include <Kernel/Security/AuditLog.h>
#include <Kernel/Tasks/ProgramTestSupport.h>

using Kernel::Tasks::TestSupport::run_to_exit;

// Ordering, limits, handle moves, a closed peer, signals and every backpressure policy;
// the audit log is its one start-up handle, for channel_statistics.
KERNEL_TEST(ipc, channel_calls_from_user_space)
{
    auto audit_log = Kernel::Security::AuditLogObject::instance();
    EXPECT(!audit_log.is_error());
    if (audit_log.is_error())
        return;
    Kernel::Objects::HandleTable::Entry handles[] = {
        { Core::RefPtr<Kernel::Objects::KernelObject>(audit_log.value()), ABI::Right::Read },
    };
    auto status = run_to_exit(test_context, "tests/channels", 0, handles);
    EXPECT(status.has_value());
    if (status.has_value())
        EXPECT_EQ(status.value(), 0); // otherwise: the number of the check that failed
}
