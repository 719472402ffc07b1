#pragma once

// The security audit log's records (docs/abi/audit.md), as audit_read (ABI/Syscalls.h)
// copies them out. Event numbers and the record layout are ABI: never renumbered, only
// appended to.

#include <stddef.h>
#include <stdint.h>

namespace ABI {

enum class AuditEvent : uint32_t {
    // A handle was duplicated with fewer rights than its source (rights: the source's,
    // requested_rights: the new handle's).
    RightsReduced = 1,
    // A call was refused for missing rights (rights: the handle's, requested_rights:
    // what the call needed).
    AccessDenied = 2,
    // A call named a handle that is not valid in its process: never issued, closed
    // (stale) or forged.
    BadHandle = 3,
    // A call named a handle to an object of another type than it works on.
    WrongType = 4,
    // A handle left its process for another (process_start; channels, M1.6): handle is
    // the value it had in the sender, rights what it carries; requested_rights is unused.
    HandleTransferred = 5,
};

struct AuditRecord {
    // Increases by one per record; a gap means records were overwritten before being read.
    uint64_t sequence;
    // Monotonic time of the event.
    uint64_t time_ns;
    uint32_t event; // an AuditEvent
    uint32_t handle;
    uint32_t rights;
    uint32_t requested_rights;
    // Events of this kind the rate limit dropped just before this one.
    uint32_t suppressed_before;
    uint32_t reserved;
    // The process's name, NUL-padded (and not terminated when it fills the field).
    char process[16];
};
static_assert(sizeof(AuditRecord) == 56);

// How many records the kernel keeps; older ones are overwritten.
inline constexpr size_t audit_log_capacity = 256;

} // namespace ABI
