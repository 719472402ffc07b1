// User-space tests of handles and events through the system calls: every call's success
// and failure paths (stale handles, wrong types, missing rights, unknown right bits,
// widening duplicates). The kernel test kernel.syscalls.handle_calls_from_user_space runs
// it; it exits with 0, or with the number of the first check that failed.

#include <ABI/ObjectType.h>
#include <ABI/Rights.h>
#include <Userland/Runtime/System.h>
#include <Userland/Tests/Checks.h>

using ABI::ErrorCode;
using System::failure;

namespace {

constexpr uint32_t raw(ABI::Rights rights)
{
    return rights.raw();
}

} // namespace

extern "C" int64_t main(uint64_t, uint64_t self_value)
{
    auto self = static_cast<uint32_t>(self_value);
    CheckCounter checks;

    // The bootstrap handle: a process, every right.
    int64_t info = System::handle_info(self);
    if (!checks.expect(info >= 0 && (info >> 32) == static_cast<int64_t>(ABI::ObjectType::Process)))
        return checks.failed_check();
    if (!checks.expect((info & 0xFFFFFFFF) == raw(ABI::all_rights)))
        return checks.failed_check();

    // Events: create, signal, wait (returns at once when signalled), reset.
    int64_t event = System::event_create();
    if (!checks.expect(event > 0))
        return checks.failed_check();
    auto event_handle = static_cast<uint32_t>(event);
    if (!checks.expect(
            (System::handle_info(event_handle) >> 32) == static_cast<int64_t>(ABI::ObjectType::Event)))
        return checks.failed_check();
    if (!checks.expect(System::event_signal(event_handle) == 0 && System::event_wait(event_handle) == 0))
        return checks.failed_check();
    if (!checks.expect(System::event_reset(event_handle) == 0))
        return checks.failed_check();

    // Wrong type: a process is not an event.
    if (!checks.expect(System::event_signal(self) == failure(ErrorCode::WrongType)))
        return checks.failed_check();

    // Duplicates keep or reduce rights, never widen them.
    int64_t wait_only = System::handle_duplicate(event_handle, raw(ABI::Right::Wait | ABI::Right::Duplicate));
    if (!checks.expect(wait_only > 0))
        return checks.failed_check();
    auto wait_handle = static_cast<uint32_t>(wait_only);
    if (!checks.expect(
            (System::handle_info(wait_handle) & 0xFFFFFFFF) == raw(ABI::Right::Wait | ABI::Right::Duplicate)))
        return checks.failed_check();
    // Missing rights: no Signal on the reduced handle.
    if (!checks.expect(System::event_signal(wait_handle) == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    // Widening is refused.
    if (!checks.expect(System::handle_duplicate(wait_handle, raw(ABI::Right::Wait | ABI::Right::Signal))
            == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    // Unknown right bits are refused before anything else.
    if (!checks.expect(
            System::handle_duplicate(event_handle, 1u << 20) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    // A handle without Duplicate cannot be duplicated at all.
    int64_t signal_only = System::handle_duplicate(event_handle, raw(ABI::Right::Signal));
    if (!checks.expect(signal_only > 0))
        return checks.failed_check();
    if (!checks.expect(System::handle_duplicate(static_cast<uint32_t>(signal_only), raw(ABI::Right::Signal))
            == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();

    // Stale handles: after close, the value is dead, also for close itself.
    if (!checks.expect(System::handle_close(wait_handle) == 0))
        return checks.failed_check();
    if (!checks.expect(System::handle_info(wait_handle) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    if (!checks.expect(System::event_wait(wait_handle) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    if (!checks.expect(System::handle_close(wait_handle) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    // A new handle in the freed slot gets a new value: the old one stays dead.
    int64_t another = System::event_create();
    if (!checks.expect(another > 0 && static_cast<uint32_t>(another) != wait_handle))
        return checks.failed_check();
    if (!checks.expect(System::handle_info(wait_handle) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();

    // The audit log is for process 1 alone: this process holds no handle to it, and its
    // own handles name other things.
    ABI::AuditRecord record;
    if (!checks.expect(System::audit_read(self, &record, sizeof(record), 0) == failure(ErrorCode::WrongType)))
        return checks.failed_check();
    if (!checks.expect(System::audit_read(0, &record, sizeof(record), 0) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();

    // Forged and malformed values.
    if (!checks.expect(System::handle_info(0) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    if (!checks.expect(System::handle_info(0xFFFFFFFF) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    if (!checks.expect(System::system_call(ABI::Syscall::HandleInfo, 0x100000000ull | self)
            == failure(ErrorCode::BadHandle)))
        return checks.failed_check();

    // The event still works through the handles left, and closing them all is clean.
    if (!checks.expect(System::event_signal(static_cast<uint32_t>(signal_only)) == 0
            && System::event_wait(event_handle) == 0))
        return checks.failed_check();
    if (!checks.expect(System::handle_close(static_cast<uint32_t>(signal_only)) == 0
            && System::handle_close(event_handle) == 0
            && System::handle_close(static_cast<uint32_t>(another)) == 0))
        return checks.failed_check();
    return 0;
}
