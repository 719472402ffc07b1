#pragma once

// The security audit log: a bounded ring of security-relevant events (refused accesses,
// bad handles, rights reductions), each kind rate limited per process so that a program
// can neither flush the ring nor use up everyone's budget. Readable from user space only through a handle to
// the audit log object, which the kernel gives to process 1 alone. docs/abi/audit.md.

#include <ABI/Audit.h>
#include <ABI/Rights.h>
#include <Core/RateLimiter.h>
#include <Core/RefPtr.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Objects/KernelObject.h>

namespace Kernel::Security {

// How many events of each kind one process may still record: a burst of 32, then 100 a
// second. Each process has its own (Tasks::Process), so one program cannot use up the
// budget and silence the log for everyone else. Changed only under the audit log's lock.
struct AuditBudget {
    static constexpr Core::u32 event_kinds = 6; // AuditEvent values 1-5, indexed directly
    Core::RateLimiter limiters[event_kinds] {
        Core::RateLimiter(32, 10'000'000),
        Core::RateLimiter(32, 10'000'000),
        Core::RateLimiter(32, 10'000'000),
        Core::RateLimiter(32, 10'000'000),
        Core::RateLimiter(32, 10'000'000),
        Core::RateLimiter(32, 10'000'000),
    };
};

// Records an event for the process `process_name` (may be null), whose budget it uses.
// Never blocks or allocates; takes a leaf lock, so it may be called from any thread context.
void audit(ABI::AuditEvent event, const char* process_name, AuditBudget& budget, Core::u32 handle,
    ABI::Rights rights, ABI::Rights requested_rights);

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
