// audit_read: the privileged reader's view of the audit log.

#include <ABI/Audit.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Syscalls/Calls.h>

namespace Kernel::Syscalls {

CallResult audit_read(const Arguments& arguments)
{
    Core::u64 user_buffer = arguments.second();
    Core::u64 buffer_size = arguments.third();
    Core::u64 first_sequence = arguments.fourth();
    auto handle = TRY(decode_handle(arguments.first()));
    if (buffer_size < sizeof(ABI::AuditRecord))
        return Core::ErrorCode::BufferTooSmall;
    // Only the right to read matters; the object is the one audit log.
    (void)TRY(lookup_handle<Security::AuditLogObject>(handle, ABI::Right::Read));
    // A batch at a time through a kernel buffer, so the log's lock is never held across a
    // copy to user memory (which may fault).
    constexpr Core::usize batch = 8;
    ABI::AuditRecord records[batch];
    Core::u64 capacity = buffer_size / sizeof(ABI::AuditRecord);
    Core::u64 copied = 0;
    Core::u64 sequence = first_sequence;
    while (copied < capacity) {
        Core::usize wanted = capacity - copied < batch ? static_cast<Core::usize>(capacity - copied) : batch;
        Core::usize got = Security::read_audit_log(sequence, Core::Span<ABI::AuditRecord>(records, wanted));
        if (got == 0)
            break;
        TRY(Memory::copy_to_user(
            user_buffer + copied * sizeof(ABI::AuditRecord), records, got * sizeof(ABI::AuditRecord)));
        copied += got;
        sequence = records[got - 1].sequence + 1;
    }
    return copied;
}

} // namespace Kernel::Syscalls
