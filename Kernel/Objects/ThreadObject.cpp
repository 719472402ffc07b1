#include <Core/NoThrow.h>
#include <Kernel/Objects/ThreadObject.h>

namespace Kernel::Objects {

Core::Result<Core::RefPtr<ThreadObject>> ThreadObject::create(Tasks::Thread& thread)
{
    auto* object = new (Core::nothrow) ThreadObject(thread);
    if (!object)
        return Core::ErrorCode::OutOfMemory;
    return Core::RefPtr<ThreadObject>::adopt(object);
}

} // namespace Kernel::Objects
