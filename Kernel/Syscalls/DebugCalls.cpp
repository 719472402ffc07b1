// debug_log: a program's line in the kernel log.

#include <ABI/Syscalls.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Syscalls/Calls.h>
#include <Kernel/Syscalls/SyscallSupport.h>
#include <Kernel/Tasks/Process.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Time/Clock.h>

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
    // A program could flood the log: each process has a budget of its own, and all of them
    // together a ceiling, so that many programs at once cannot flood it either.
    // A user thread without a process (the kernel's own tests) has only the ceiling.
    Tasks::Process* process = Tasks::Scheduler::current().process();
    Core::u64 now = Time::monotonic_nanoseconds();
    Core::RateLimiter::Decision own
        = process ? process->consider_log_line(now) : Core::RateLimiter::Decision { true, 0 };
    static Locking::SpinlockProtected<Core::RateLimiter> s_all_programs(
        "all programs' log lines", Locking::LockRank::Leaf, 100u, 20'000'000ull);
    Core::RateLimiter::Decision all = own.allowed
        ? s_all_programs.with([&](Core::RateLimiter& limiter) { return limiter.consider(now); })
        : Core::RateLimiter::Decision { false, 0 };
    if (own.allowed && all.allowed) {
        Core::RateLimiter::Decision decision { true, own.suppressed_before + all.suppressed_before };
        (void)Log::log_after_rate_limit(decision, Log::Level::Info, "user: {}: {}",
            Tasks::Scheduler::current().name(), Core::StringView(text, length));
    }
    return 0;
}

} // namespace Kernel::Syscalls
