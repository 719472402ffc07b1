#pragma once

// The security audit log: a bounded ring of security-relevant events (refused accesses,
// bad handles, rights reductions), each kind rate limited so that a program cannot flush
// the ring with one kind of event. Readable from user space only through a handle to the
// audit log object, which the kernel gives to process 1 alone. docs/abi/audit.md.

#include <ABI/Audit.h>
#include <ABI/Rights.h>
#include <Core/RefPtr.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Objects/KernelObject.h>

namespace Kernel::Security {

// Records an event for `process_name` (may be null). Never blocks or allocates; takes a
// leaf lock, so it may be called from any thread context.
void audit(ABI::AuditEvent event, const char* process_name, Core::u32 handle, ABI::Rights rights,
    ABI::Rights requested_rights);

// Copies the records with sequence >= first_sequence still in the ring, oldest first, into
// `records`; returns how many.
Core::usize read_audit_log(Core::u64 first_sequence, Core::Span<ABI::AuditRecord> records);

// The kernel object a handle to the audit log names (Read to read it).
class AuditLogObject final : public Objects::TypedKernelObject<ABI::ObjectType::AuditLog> {
public:
    // The one instance, made at first use and never freed. OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<AuditLogObject>> instance();

private:
    AuditLogObject() = default;
};

} // namespace Kernel::Security
