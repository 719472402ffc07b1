#pragma once

// What every system call implementation shares: the decoded arguments, the one typed and
// rights-checked handle lookup, and the audit of refused handle uses. Each subsystem's calls
// live in their own file (HandleCalls.cpp, EventCalls.cpp, ...) and are declared in Calls.h;
// Dispatch.cpp maps numbers to them.
//
// The pattern every call follows (seL4's decode, then perform): decode and validate each
// argument first (unknown flag bits are InvalidArgument, addresses outside user space
// BadAddress, handles through lookup_handle), and only then act, on inputs already known
// to be good.

#include <ABI/Rights.h>
#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/RegisterState.h>
#include <Kernel/Objects/HandleTable.h>
#include <Kernel/Tasks/Process.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Syscalls {

// A system call's arguments: the six argument registers of the ABI (ABI/Syscalls.h), in
// order, read from the caller's saved frame, which the calls that use more registers than
// those (the register form of channel messages, Arch/MessageRegisters.h) reach as `frame`.
// A view rather than a copy: the dispatcher hands every call the frame as it is.
struct Arguments {
    Arch::RegisterState* frame;

    [[nodiscard]] Core::u64 first() const { return frame->rdi; }
    [[nodiscard]] Core::u64 second() const { return frame->rsi; }
    [[nodiscard]] Core::u64 third() const { return frame->rdx; }
    [[nodiscard]] Core::u64 fourth() const { return frame->r10; }
    [[nodiscard]] Core::u64 fifth() const { return frame->r8; }
    [[nodiscard]] Core::u64 sixth() const { return frame->r9; }
};

// A call's result: a non-negative value, or the error the dispatcher negates into RAX.
using CallResult = Core::Result<Core::u64>;

// The handle value as the ABI defines it: the low 32 bits of the register; anything above
// them makes the value no handle at all (BadHandle).
[[nodiscard]] inline Core::Result<Objects::HandleValue> decode_handle(Core::u64 raw)
{
    if (raw > 0xFFFFFFFFull)
        return Core::ErrorCode::BadHandle;
    return static_cast<Objects::HandleValue>(raw);
}

// The process of the calling thread. Every thread that makes system calls has one; kernel
// tests that run user code on a bare address space get NotSupported.
[[nodiscard]] inline Core::Result<Tasks::Process*> calling_process()
{
    Tasks::Process* process = Tasks::Scheduler::current().process();
    if (!process)
        return Core::ErrorCode::NotSupported;
    return process;
}

// Records a refused handle use (BadHandle, WrongType, AccessDenied) in the audit log
// (docs/abi/audit.md); other errors and successes pass through unrecorded.
void audit_refusal(
    Tasks::Process& process, Objects::HandleValue handle, ABI::Rights requested, Core::ErrorCode error);

template<typename T>
[[nodiscard]] Core::Result<T> audited(
    Tasks::Process& process, Objects::HandleValue handle, ABI::Rights requested, Core::Result<T> result)
{
    if (result.is_error())
        audit_refusal(process, handle, requested, result.error().code());
    return result;
}

// The one way a call reaches an object through a handle of the calling process: decodes the
// value, looks it up as a T with every right in `required` (HandleTable::lookup's checks
// and error order), and audits a refusal. The reference keeps the object alive after the
// table's lock is released, so a call never holds that lock while it blocks or copies.
template<typename T>
[[nodiscard, gnu::always_inline]] inline Core::Result<Core::RefPtr<T>> lookup_handle(
    Core::u64 raw_handle, ABI::Rights required)
{
    auto handle = TRY(decode_handle(raw_handle));
    Tasks::Process* process = TRY(calling_process());
    return audited(*process, handle, required, process->with_handles([&](Objects::HandleTable& table) {
        return table.lookup<T>(handle, required);
    }));
}

// lookup_handle, also returning every right the handle carries, read under the same lock
// as the lookup. For calls whose effect the handle's rights bound beyond the call itself
// (a mapping keeps the most its handle allowed, for later protection changes).
template<typename T> struct HandleWithRights {
    Core::RefPtr<T> object;
    ABI::Rights rights;
};
template<typename T>
[[nodiscard]] Core::Result<HandleWithRights<T>> lookup_handle_with_rights(
    Core::u64 raw_handle, ABI::Rights required)
{
    auto handle = TRY(decode_handle(raw_handle));
    Tasks::Process* process = TRY(calling_process());
    return audited(*process, handle, required,
        process->with_handles([&](Objects::HandleTable& table) -> Core::Result<HandleWithRights<T>> {
            auto object = TRY(table.lookup<T>(handle, required));
            auto rights = TRY(table.rights(handle));
            return HandleWithRights<T> { Core::move(object), rights };
        }));
}

// Adds a handle to `object` with `rights` to the calling process's table.
[[nodiscard]] Core::Result<Objects::HandleValue> add_handle(
    Tasks::Process& process, Core::RefPtr<Objects::KernelObject> object, ABI::Rights rights);

// Whether `raw` names only flags in `known`: unknown bits are InvalidArgument, so that a
// program built for a newer ABI learns its flag does nothing here.
[[nodiscard]] inline Core::Result<void> check_flags(Core::u64 raw, Core::u64 known)
{
    if ((raw & ~known) != 0)
        return Core::ErrorCode::InvalidArgument;
    return {};
}

} // namespace Kernel::Syscalls
