// debug_log: a program's line in the kernel log.

#include <ABI/Syscalls.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Syscalls/Calls.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Syscalls {

CallResult debug_log(const Arguments& arguments)
{
    Core::u64 user_text = arguments.first();
    Core::u64 length = arguments.second();
    if (length > ABI::debug_log_maximum_length)
        return Core::ErrorCode::InvalidArgument;
    char text[ABI::debug_log_maximum_length];
    TRY(Memory::copy_from_user(text, user_text, length));
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

} // namespace Kernel::Syscalls
