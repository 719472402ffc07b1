#include <Core/NoThrow.h>
#include <Core/RateLimiter.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Security {

namespace {

struct AuditState {
    ABI::AuditRecord records[ABI::audit_log_capacity] {};
    Core::u64 next_sequence { 0 };
};

// Leaf: nothing is acquired under it (the log is not written from here).
Locking::SpinlockProtected<AuditState> s_audit { "audit log", Locking::LockRank::Leaf };

AuditLogObject* s_instance = nullptr;

} // namespace

void audit(ABI::AuditEvent event, const char* process_name, AuditBudget& budget, Core::u32 handle,
    ABI::Rights rights, ABI::Rights requested_rights)
{
    auto kind = static_cast<Core::u32>(event);
    if (kind == 0 || kind >= AuditBudget::event_kinds)
        return;
    s_audit.with([&](AuditState& state) {
        // Read under the lock, so that times never go backwards while sequences go forwards.
        Core::u64 now = Time::monotonic_nanoseconds();
        auto decision = budget.limiters[kind].consider(now);
        if (!decision.allowed)
            return;
        ABI::AuditRecord& record = state.records[state.next_sequence % ABI::audit_log_capacity];
        record = {};
        record.sequence = state.next_sequence++;
        record.time_ns = now;
        record.event = kind;
        record.handle = handle;
        record.rights = rights.raw();
        record.requested_rights = requested_rights.raw();
        record.suppressed_before = decision.suppressed_before > 0xFFFFFFFF
            ? 0xFFFFFFFF
            : static_cast<Core::u32>(decision.suppressed_before);
        for (Core::usize index = 0; process_name && index < sizeof(record.process) && process_name[index];
             ++index)
            record.process[index] = process_name[index];
    });
}

Core::usize read_audit_log(Core::u64 first_sequence, Core::Span<ABI::AuditRecord> records)
{
    return s_audit.with([&](AuditState& state) {
        Core::u64 oldest = state.next_sequence > ABI::audit_log_capacity
            ? state.next_sequence - ABI::audit_log_capacity
            : 0;
        Core::u64 sequence = first_sequence > oldest ? first_sequence : oldest;
        Core::usize copied = 0;
        for (; sequence < state.next_sequence && copied < records.size(); ++sequence)
            records.data()[copied++] = state.records[sequence % ABI::audit_log_capacity];
        return copied;
    });
}

Core::Result<Core::RefPtr<AuditLogObject>> AuditLogObject::instance()
{
    AuditLogObject* instance = __atomic_load_n(&s_instance, __ATOMIC_ACQUIRE);
    if (!instance) {
        // The new object's first reference is the kernel's own, never dropped: it lives for
        // as long as the kernel runs. Two first callers race harmlessly: one object wins,
        // the other is deleted before anyone saw it.
        auto* created = new (Core::nothrow) AuditLogObject();
        if (!created)
            return Core::ErrorCode::OutOfMemory;
        AuditLogObject* expected = nullptr;
        if (__atomic_compare_exchange_n(
                &s_instance, &expected, created, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            instance = created;
        } else {
            (void)created->unref();
            instance = expected;
        }
    }
    return Core::RefPtr<AuditLogObject>(*instance);
}

} // namespace Kernel::Security
