#include <Core/NoThrow.h>
#include <Kernel/Objects/Event.h>

namespace Kernel::Objects {

Core::Result<Core::RefPtr<Event>> Event::create()
{
    auto* event = new (Core::nothrow) Event();
    if (!event)
        return Core::ErrorCode::OutOfMemory;
    return Core::RefPtr<Event>::adopt(event);
}

Core::Result<void> Event::wait()
{
    TRY(m_signals.wait(signalled, Tasks::no_deadline));
    return {};
}

} // namespace Kernel::Objects
