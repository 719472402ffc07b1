// timer_create, timer_set, timer_cancel, clock_monotonic, clock_wall.

#include <ABI/Devices.h>
#include <Kernel/Objects/Timer.h>
#include <Kernel/Syscalls/Calls.h>
#include <Kernel/Time/Clock.h>
#include <Kernel/Time/WallClock.h>

namespace Kernel::Syscalls {

CallResult timer_create(const Arguments& arguments)
{
    TRY(check_flags(arguments.first(), ABI::known_timer_flags));
    bool auto_reset = (arguments.first() & static_cast<Core::u64>(ABI::TimerFlag::AutoReset)) != 0;
    Tasks::Process* process = TRY(calling_process());
    auto timer = TRY(Objects::Timer::create(auto_reset));
    // No Signal: only the kernel raises Fired. Manage is what reprogramming needs, so a
    // handle passed on with Wait alone lets its holder watch the timer, not change it.
    return TRY(add_handle(*process, Core::RefPtr<Objects::KernelObject>(timer),
        ABI::Right::Wait | ABI::Right::Manage | ABI::Right::Duplicate | ABI::Right::Transfer));
}

CallResult timer_set(const Arguments& arguments)
{
    Core::u64 deadline_ns = arguments.second();
    Core::u64 period_ns = arguments.third();
    if (period_ns != 0 && period_ns < ABI::minimum_timer_period_ns)
        return Core::ErrorCode::InvalidArgument;
    TRY(lookup_handle<Objects::Timer>(arguments.first(), ABI::Right::Manage))->set(deadline_ns, period_ns);
    return 0;
}

CallResult timer_cancel(const Arguments& arguments)
{
    TRY(lookup_handle<Objects::Timer>(arguments.first(), ABI::Right::Manage))->cancel();
    return 0;
}

CallResult clock_monotonic(const Arguments&)
{
    return Time::monotonic_nanoseconds();
}

CallResult clock_wall(const Arguments&)
{
    return Time::wall_clock_unix_seconds();
}

} // namespace Kernel::Syscalls
