// The system call dispatcher: decodes the number and arguments from the entry frame
// (SyscallEntry.S), runs the call, and leaves its result in RAX (ABI/Syscalls.h). Each call
// validates every argument before it acts, and reports failures as negated ErrorCodes.

#include <ABI/Rights.h>
#include <ABI/Syscalls.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/RegisterState.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Objects/Event.h>
#include <Kernel/Objects/ThreadObject.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Tasks/Process.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/UserThread.h>

namespace Kernel::Syscalls {

namespace {

Core::i64 error_result(Core::ErrorCode code)
{
    return -static_cast<Core::i64>(code);
}

Core::i64 debug_log(Core::u64 user_text, Core::u64 length)
{
    if (length > ABI::debug_log_maximum_length)
        return error_result(Core::ErrorCode::InvalidArgument);
    char text[ABI::debug_log_maximum_length];
    if (Memory::copy_from_user(text, user_text, length).is_error())
        return error_result(Core::ErrorCode::BadAddress);
    // Only printable text reaches the log: a program must not be able to forge log lines
    // (a newline and a line of its choice) or send terminal escapes.
    for (Core::u64 index = 0; index < length; ++index) {
        if (text[index] < ' ' || text[index] > '~')
            text[index] = '?';
    }
    // A program could flood the log: the call site is rate limited like any other.
    LOG_RATELIMITED(Log::Level::Info, 20, 1000, "user: {}: {}", Tasks::Scheduler::current().name(),
        Core::StringView(text, length));
    return 0;
}

// The handle value as the ABI defines it: the low 32 bits of the register; anything above
// them makes the value no handle at all.
Core::Result<Objects::HandleValue> decode_handle(Core::u64 raw)
{
    if (raw > 0xFFFFFFFFull)
        return Core::ErrorCode::BadHandle;
    return static_cast<Objects::HandleValue>(raw);
}

Core::Result<Tasks::Process*> calling_process()
{
    Tasks::Process* process = Tasks::Scheduler::current().process();
    if (!process)
        return Core::ErrorCode::NotSupported;
    return process;
}

// Records a refused handle use in the audit log (docs/abi/audit.md) and passes the result on.
template<typename T>
Core::Result<T> audited(
    Tasks::Process& process, Objects::HandleValue handle, ABI::Rights requested, Core::Result<T> result)
{
    if (!result.is_error())
        return result;
    switch (result.error().code()) {
    case Core::ErrorCode::BadHandle:
        Security::audit(ABI::AuditEvent::BadHandle, process.name(), process.audit_budget(), handle,
            ABI::no_rights, requested);
        break;
    case Core::ErrorCode::WrongType:
        Security::audit(ABI::AuditEvent::WrongType, process.name(), process.audit_budget(), handle,
            ABI::no_rights, requested);
        break;
    case Core::ErrorCode::AccessDenied: {
        auto held = process.with_handles([&](Objects::HandleTable& table) { return table.rights(handle); });
        Security::audit(ABI::AuditEvent::AccessDenied, process.name(), process.audit_budget(), handle,
            held.is_error() ? ABI::no_rights : held.value(), requested);
        break;
    }
    default:
        break;
    }
    return result;
}

Core::i64 result_of(Core::Result<Core::u64> result)
{
    if (result.is_error())
        return error_result(result.error().code());
    return static_cast<Core::i64>(result.value());
}

Core::Result<Core::u64> handle_close(Core::u64 raw_handle)
{
    auto handle = TRY(decode_handle(raw_handle));
    Tasks::Process* process = TRY(calling_process());
    TRY(audited(*process, handle, ABI::no_rights,
        process->with_handles([&](Objects::HandleTable& table) { return table.close(handle); })));
    return 0;
}

Core::Result<Core::u64> handle_duplicate(Core::u64 raw_handle, Core::u64 raw_rights)
{
    auto handle = TRY(decode_handle(raw_handle));
    if (raw_rights > 0xFFFFFFFFull || !ABI::Rights::is_valid(static_cast<Core::u32>(raw_rights)))
        return Core::ErrorCode::InvalidArgument;
    auto rights = ABI::Rights::from_raw(static_cast<Core::u32>(raw_rights));
    Tasks::Process* process = TRY(calling_process());
    auto source_rights = TRY(audited(*process, handle, rights,
        process->with_handles([&](Objects::HandleTable& table) { return table.rights(handle); })));
    auto duplicate = TRY(audited(*process, handle, rights,
        process->with_handles([&](Objects::HandleTable& table) { return table.duplicate(handle, rights); })));
    if (rights != source_rights)
        Security::audit(ABI::AuditEvent::RightsReduced, process->name(), process->audit_budget(), duplicate,
            source_rights, rights);
    return duplicate;
}

Core::Result<Core::u64> handle_info(Core::u64 raw_handle)
{
    auto handle = TRY(decode_handle(raw_handle));
    Tasks::Process* process = TRY(calling_process());
    return audited(*process, handle, ABI::no_rights,
        process->with_handles([&](Objects::HandleTable& table) -> Core::Result<Core::u64> {
            auto rights = TRY(table.rights(handle));
            auto object = TRY(table.lookup<Objects::KernelObject>(handle, ABI::no_rights));
            return (static_cast<Core::u64>(object->type()) << 32) | rights.raw();
        }));
}

Core::Result<Core::u64> event_create()
{
    Tasks::Process* process = TRY(calling_process());
    auto event = TRY(Objects::Event::create());
    auto rights = ABI::Right::Signal | ABI::Right::Wait | ABI::Right::Duplicate | ABI::Right::Transfer;
    auto handle = TRY(process->with_handles([&](Objects::HandleTable& table) {
        return table.add(Core::RefPtr<Objects::KernelObject>(event), rights);
    }));
    return handle;
}

// Finds the event a handle names, with `right`; the reference keeps it alive after the
// table's lock is released, so waiting never holds that lock.
Core::Result<Core::RefPtr<Objects::Event>> event_for(Core::u64 raw_handle, ABI::Right right)
{
    auto handle = TRY(decode_handle(raw_handle));
    Tasks::Process* process = TRY(calling_process());
    return audited(
        *process, handle, ABI::Rights(right), process->with_handles([&](Objects::HandleTable& table) {
            return table.lookup<Objects::Event>(handle, ABI::Rights(right));
        }));
}

Core::Result<Core::u64> event_signal(Core::u64 raw_handle)
{
    TRY(event_for(raw_handle, ABI::Right::Signal))->signal();
    return 0;
}

Core::Result<Core::u64> event_reset(Core::u64 raw_handle)
{
    TRY(event_for(raw_handle, ABI::Right::Signal))->reset();
    return 0;
}

Core::Result<Core::u64> event_wait(Core::u64 raw_handle)
{
    TRY(event_for(raw_handle, ABI::Right::Wait))->wait();
    return 0;
}

Core::Result<Core::u64> thread_create(Core::u64 entry, Core::u64 stack_top, Core::u64 argument)
{
    Tasks::Process* process = TRY(calling_process());
    // The process's handle the new thread gets in RSI, as its first thread did.
    auto self_handle = TRY(process->with_handles([&](Objects::HandleTable& table) {
        return table.add(Core::RefPtr<Objects::KernelObject>(*process), ABI::all_rights);
    }));
    auto created = Tasks::create_user_thread(
        process->name(), Arch::current_processor_index(), *process, entry, stack_top, argument, self_handle);
    if (created.is_error()) {
        (void)process->with_handles([&](Objects::HandleTable& table) { return table.close(self_handle); });
        return created.error();
    }
    Tasks::Thread& thread = *created.value();
    auto handle = [&]() -> Core::Result<Objects::HandleValue> {
        auto object = TRY(Objects::ThreadObject::create(thread));
        return process->with_handles([&](Objects::HandleTable& table) {
            return table.add(Core::RefPtr<Objects::KernelObject>(object),
                ABI::Right::Wait | ABI::Right::Duplicate | ABI::Right::Transfer);
        });
    }();
    // The thread starts either way: once created it holds its process, and only running
    // to its end lets that go. Without a handle nobody can join it, which is the caller's
    // loss, reported as the error.
    Tasks::Scheduler::start(thread);
    if (handle.is_error())
        return handle.error();
    return handle.value();
}

Core::Result<Core::u64> thread_join(Core::u64 raw_handle)
{
    auto handle = TRY(decode_handle(raw_handle));
    Tasks::Process* process = TRY(calling_process());
    auto object = TRY(
        audited(*process, handle, ABI::Right::Wait, process->with_handles([&](Objects::HandleTable& table) {
            return table.lookup<Objects::ThreadObject>(handle, ABI::Right::Wait);
        })));
    auto status = TRY(Tasks::Scheduler::join(object->thread()));
    return static_cast<Core::u64>(status);
}

Core::Result<Core::u64> audit_read(
    Core::u64 raw_handle, Core::u64 user_buffer, Core::u64 buffer_size, Core::u64 first_sequence)
{
    auto handle = TRY(decode_handle(raw_handle));
    if (buffer_size < sizeof(ABI::AuditRecord))
        return Core::ErrorCode::BufferTooSmall;
    Tasks::Process* process = TRY(calling_process());
    // Only the right to read matters; the object is the one audit log.
    (void)TRY(
        audited(*process, handle, ABI::Right::Read, process->with_handles([&](Objects::HandleTable& table) {
            return table.lookup<Security::AuditLogObject>(handle, ABI::Right::Read);
        })));
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

} // namespace

} // namespace Kernel::Syscalls

extern "C" void syscall_dispatch(Kernel::Arch::RegisterState* registers)
{
    using namespace Kernel;
    switch (static_cast<ABI::Syscall>(registers->rax)) {
    case ABI::Syscall::DebugLog:
        registers->rax = static_cast<Core::u64>(Syscalls::debug_log(registers->rdi, registers->rsi));
        return;
    case ABI::Syscall::ThreadExit:
        Tasks::Scheduler::exit_current(static_cast<Core::i64>(registers->rdi));
    case ABI::Syscall::HandleClose:
        registers->rax = static_cast<Core::u64>(Syscalls::result_of(Syscalls::handle_close(registers->rdi)));
        return;
    case ABI::Syscall::HandleDuplicate:
        registers->rax = static_cast<Core::u64>(
            Syscalls::result_of(Syscalls::handle_duplicate(registers->rdi, registers->rsi)));
        return;
    case ABI::Syscall::HandleInfo:
        registers->rax = static_cast<Core::u64>(Syscalls::result_of(Syscalls::handle_info(registers->rdi)));
        return;
    case ABI::Syscall::EventCreate:
        registers->rax = static_cast<Core::u64>(Syscalls::result_of(Syscalls::event_create()));
        return;
    case ABI::Syscall::EventSignal:
        registers->rax = static_cast<Core::u64>(Syscalls::result_of(Syscalls::event_signal(registers->rdi)));
        return;
    case ABI::Syscall::EventReset:
        registers->rax = static_cast<Core::u64>(Syscalls::result_of(Syscalls::event_reset(registers->rdi)));
        return;
    case ABI::Syscall::EventWait:
        registers->rax = static_cast<Core::u64>(Syscalls::result_of(Syscalls::event_wait(registers->rdi)));
        return;
    case ABI::Syscall::ThreadCreate:
        registers->rax = static_cast<Core::u64>(
            Syscalls::result_of(Syscalls::thread_create(registers->rdi, registers->rsi, registers->rdx)));
        return;
    case ABI::Syscall::ThreadJoin:
        registers->rax = static_cast<Core::u64>(Syscalls::result_of(Syscalls::thread_join(registers->rdi)));
        return;
    case ABI::Syscall::AuditRead:
        registers->rax = static_cast<Core::u64>(Syscalls::result_of(
            Syscalls::audit_read(registers->rdi, registers->rsi, registers->rdx, registers->r10)));
        return;
    }
    registers->rax = static_cast<Core::u64>(Syscalls::error_result(Core::ErrorCode::NotSupported));
}
