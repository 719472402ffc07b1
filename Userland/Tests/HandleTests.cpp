// User-space tests of handles and events through the system calls: every call's success
// and failure paths (stale handles, wrong types, missing rights, unknown right bits,
// widening duplicates). The kernel test kernel.syscalls.handle_calls_from_user_space runs
// it; it exits with 0, or with the number of the first check that failed.

#include <ABI/ObjectType.h>
#include <ABI/Rights.h>
#include <Userland/Runtime/System.h>

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
    int64_t check = 0;
    auto expect = [&](bool condition) {
        ++check;
        return condition;
    };

    // The bootstrap handle: a process, every right.
    int64_t info = System::handle_info(self);
    if (!expect(info >= 0 && (info >> 32) == static_cast<int64_t>(ABI::ObjectType::Process)))
        return check;
    if (!expect((info & 0xFFFFFFFF) == raw(ABI::all_rights)))
        return check;

    // Events: create, signal, wait (returns at once when signalled), reset.
    int64_t event = System::event_create();
    if (!expect(event > 0))
        return check;
    auto event_handle = static_cast<uint32_t>(event);
    if (!expect((System::handle_info(event_handle) >> 32) == static_cast<int64_t>(ABI::ObjectType::Event)))
        return check;
    if (!expect(System::event_signal(event_handle) == 0 && System::event_wait(event_handle) == 0))
        return check;
    if (!expect(System::event_reset(event_handle) == 0))
        return check;

    // Wrong type: a process is not an event.
    if (!expect(System::event_signal(self) == failure(ErrorCode::WrongType)))
        return check;

    // Duplicates keep or reduce rights, never widen them.
    int64_t wait_only = System::handle_duplicate(event_handle, raw(ABI::Right::Wait | ABI::Right::Duplicate));
    if (!expect(wait_only > 0))
        return check;
    auto wait_handle = static_cast<uint32_t>(wait_only);
    if (!expect(
            (System::handle_info(wait_handle) & 0xFFFFFFFF) == raw(ABI::Right::Wait | ABI::Right::Duplicate)))
        return check;
    // Missing rights: no Signal on the reduced handle.
    if (!expect(System::event_signal(wait_handle) == failure(ErrorCode::AccessDenied)))
        return check;
    // Widening is refused.
    if (!expect(System::handle_duplicate(wait_handle, raw(ABI::Right::Wait | ABI::Right::Signal))
            == failure(ErrorCode::AccessDenied)))
        return check;
    // Unknown right bits are refused before anything else.
    if (!expect(System::handle_duplicate(event_handle, 1u << 20) == failure(ErrorCode::InvalidArgument)))
        return check;
    // A handle without Duplicate cannot be duplicated at all.
    int64_t signal_only = System::handle_duplicate(event_handle, raw(ABI::Right::Signal));
    if (!expect(signal_only > 0))
        return check;
    if (!expect(System::handle_duplicate(static_cast<uint32_t>(signal_only), raw(ABI::Right::Signal))
            == failure(ErrorCode::AccessDenied)))
        return check;

    // Stale handles: after close, the value is dead, also for close itself.
    if (!expect(System::handle_close(wait_handle) == 0))
        return check;
    if (!expect(System::handle_info(wait_handle) == failure(ErrorCode::BadHandle)))
        return check;
    if (!expect(System::event_wait(wait_handle) == failure(ErrorCode::BadHandle)))
        return check;
    if (!expect(System::handle_close(wait_handle) == failure(ErrorCode::BadHandle)))
        return check;
    // A new handle in the freed slot gets a new value: the old one stays dead.
    int64_t another = System::event_create();
    if (!expect(another > 0 && static_cast<uint32_t>(another) != wait_handle))
        return check;
    if (!expect(System::handle_info(wait_handle) == failure(ErrorCode::BadHandle)))
        return check;

    // The audit log is for process 1 alone: this process holds no handle to it, and its
    // own handles name other things.
    ABI::AuditRecord record;
    if (!expect(System::audit_read(self, &record, sizeof(record), 0) == failure(ErrorCode::WrongType)))
        return check;
    if (!expect(System::audit_read(0, &record, sizeof(record), 0) == failure(ErrorCode::BadHandle)))
        return check;

    // Forged and malformed values.
    if (!expect(System::handle_info(0) == failure(ErrorCode::BadHandle)))
        return check;
    if (!expect(System::handle_info(0xFFFFFFFF) == failure(ErrorCode::BadHandle)))
        return check;
    if (!expect(System::system_call(ABI::Syscall::HandleInfo, 0x100000000ull | self)
            == failure(ErrorCode::BadHandle)))
        return check;

    // The event still works through the handles left, and closing them all is clean.
    if (!expect(System::event_signal(static_cast<uint32_t>(signal_only)) == 0
            && System::event_wait(event_handle) == 0))
        return check;
    if (!expect(System::handle_close(static_cast<uint32_t>(signal_only)) == 0
            && System::handle_close(event_handle) == 0
            && System::handle_close(static_cast<uint32_t>(another)) == 0))
        return check;
    return 0;
}
