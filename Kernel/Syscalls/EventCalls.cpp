// event_create, event_signal, event_reset, event_wait.

#include <Kernel/Objects/Event.h>
#include <Kernel/Syscalls/Calls.h>

namespace Kernel::Syscalls {

CallResult event_create(const Arguments&)
{
    Tasks::Process* process = TRY(calling_process());
    auto event = TRY(Objects::Event::create());
    return TRY(add_handle(*process, Core::RefPtr<Objects::KernelObject>(event),
        ABI::Right::Signal | ABI::Right::Wait | ABI::Right::Duplicate | ABI::Right::Transfer));
}

CallResult event_signal(const Arguments& arguments)
{
    TRY(lookup_handle<Objects::Event>(arguments.first(), ABI::Right::Signal))->signal();
    return 0;
}

CallResult event_reset(const Arguments& arguments)
{
    TRY(lookup_handle<Objects::Event>(arguments.first(), ABI::Right::Signal))->reset();
    return 0;
}

CallResult event_wait(const Arguments& arguments)
{
    TRY(TRY(lookup_handle<Objects::Event>(arguments.first(), ABI::Right::Wait))->wait());
    return 0;
}

} // namespace Kernel::Syscalls
