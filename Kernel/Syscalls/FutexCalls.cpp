// futex_wait, futex_wake (Tasks/Futex.h, docs/ipc.md#futexes).

#include <ABI/Signals.h>
#include <Kernel/Syscalls/Calls.h>
#include <Kernel/Tasks/Futex.h>

namespace Kernel::Syscalls {

CallResult futex_wait(const Arguments& arguments)
{
    // The word is 32 bits: an expected value wider than that could never match.
    if (arguments.second() > 0xFFFFFFFFull)
        return Core::ErrorCode::InvalidArgument;
    Tasks::Process* process = TRY(calling_process());
    TRY(Tasks::futex_wait(process->address_space(), arguments.first(),
        static_cast<Core::u32>(arguments.second()), arguments.third()));
    return 0;
}

CallResult futex_wake(const Arguments& arguments)
{
    Tasks::Process* process = TRY(calling_process());
    return TRY(Tasks::futex_wake(process->address_space(), arguments.first(), arguments.second()));
}

} // namespace Kernel::Syscalls
