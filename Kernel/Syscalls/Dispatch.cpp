// The system call dispatcher: decodes the number and arguments from the entry frame
// (SyscallEntry.S), runs the call, and leaves its result in RAX (ABI/Syscalls.h). Each call
// validates every argument before it acts, and reports failures as negated ErrorCodes.

#include <ABI/Syscalls.h>
#include <Kernel/Arch/x86_64/RegisterState.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Tasks/Scheduler.h>

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
    // A program could flood the log: the call site is rate limited like any other.
    LOG_RATELIMITED(Log::Level::Info, 20, 1000, "user: {}: {}", Tasks::Scheduler::current().name(),
        Core::StringView(text, length));
    return 0;
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
    }
    registers->rax = static_cast<Core::u64>(Syscalls::error_result(Core::ErrorCode::NotSupported));
}
