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

} // namespace Kernel::Objects
