// Process 1: the first user program, which the kernel loads from the initial RAM disk
// (/init) at the end of boot. Today it reports that user space runs, checks its bootstrap
// handle, and checks that the kernel refuses what it must; starting and supervising
// services arrives with process creation and IPC.

#include <ABI/ObjectType.h>
#include <ABI/Process.h>
#include <ABI/Rights.h>
#include <Userland/Runtime/System.h>

namespace {

// Data reached through a pointer the loader had to relocate (this is a position-
// independent executable, and the pointer is read from memory because it is volatile):
// if relocation went wrong, the text would not print.
const char ready_message[] = "user space is running";
const char* volatile relocated_message = ready_message;

} // namespace

namespace {

ABI::AuditRecord s_records[16];

bool same_name(const char (&field)[16], const char* name)
{
    for (uint64_t index = 0; index < sizeof(field); ++index) {
        if (field[index] != name[index])
            return false;
        if (name[index] == 0)
            return true;
    }
    return name[sizeof(field)] == 0;
}

} // namespace

extern "C" int64_t main(uint64_t, uint64_t self, const ABI::StartupHandles* startup)
{
    // Process 1's start-up handles: the audit log and the root device resources, in the
    // order Kernel/Tasks/FirstProgram.h lists them.
    if (startup->count != 7)
        return 8;
    uint32_t audit_log = startup->handles[0];
    const ABI::ObjectType startup_types[] = { ABI::ObjectType::AuditLog, ABI::ObjectType::IoPortRange,
        ABI::ObjectType::MmioRange, ABI::ObjectType::InterruptRange, ABI::ObjectType::MemoryObject,
        ABI::ObjectType::SerialConsole, ABI::ObjectType::SystemControl };
    for (uint64_t index = 0; index < startup->count; ++index) {
        int64_t startup_info = System::handle_info(startup->handles[index]);
        if (startup_info < 0 || (startup_info >> 32) != static_cast<int64_t>(startup_types[index]))
            return 9;
    }
    if (System::debug_log(relocated_message, sizeof(ready_message) - 1) != 0)
        return 1;
    // The bootstrap handle names this process, with every right.
    int64_t info = System::handle_info(static_cast<uint32_t>(self));
    if (info < 0 || (info >> 32) != static_cast<int64_t>(ABI::ObjectType::Process)
        || (info & 0xFFFFFFFF) != ABI::all_rights.raw())
        return 4;
    // The kernel must refuse a pointer into its own half, and an unknown call.
    if (System::debug_log(reinterpret_cast<const char*>(0xFFFFFFFF80000000ull), 8) >= 0)
        return 2;
    if (System::system_call(static_cast<ABI::Syscall>(0xFFFF)) >= 0)
        return 3;
    // Process 1 alone holds the audit log. A refused handle use of its own must show there.
    if (System::handle_close(0x7FFF0001) != System::failure(ABI::ErrorCode::BadHandle))
        return 5;
    bool found = false;
    uint64_t next_sequence = 0;
    for (;;) {
        int64_t read = System::audit_read(audit_log, s_records, sizeof(s_records), next_sequence);
        if (read < 0)
            return 6;
        if (read == 0)
            break;
        for (int64_t index = 0; index < read; ++index) {
            const ABI::AuditRecord& record = s_records[index];
            if (record.event == static_cast<uint32_t>(ABI::AuditEvent::BadHandle)
                && record.handle == 0x7FFF0001 && same_name(record.process, "init"))
                found = true;
            next_sequence = record.sequence + 1;
        }
    }
    if (!found)
        return 7;
    return 0;
}
