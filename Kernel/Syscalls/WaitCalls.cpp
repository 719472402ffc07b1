// object_wait: waiting for the signals of any object that has them (Objects/Signals.h).

#include <ABI/Signals.h>
#include <Kernel/Objects/Signals.h>
#include <Kernel/Syscalls/Calls.h>

namespace Kernel::Syscalls {

static_assert(ABI::no_deadline == Tasks::no_deadline, "object_wait passes its deadline through");

CallResult object_wait(const Arguments& arguments)
{
    if (!ABI::is_valid_signal_mask(arguments.second))
        return Core::ErrorCode::InvalidArgument;
    auto wanted = static_cast<Core::u32>(arguments.second);
    Core::u64 deadline_ns = arguments.third;
    auto object = TRY(lookup_handle<Objects::KernelObject>(arguments.first, ABI::Right::Wait));
    Objects::Signals* signals = object->signals();
    if (!signals)
        return Core::ErrorCode::NotSupported;
    // A bit this type never raises could only end in TimedOut: a mistake worth reporting.
    if ((wanted & ~signals->supported()) != 0)
        return Core::ErrorCode::InvalidArgument;
    // `object` keeps the signals alive for the whole wait.
    return TRY(signals->wait(wanted, deadline_ns));
}

} // namespace Kernel::Syscalls
