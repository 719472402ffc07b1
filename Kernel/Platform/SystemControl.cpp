#include <Core/NoThrow.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Platform/SystemControl.h>

namespace Kernel::Platform {

namespace {

// The object, once made, with a reference of its own that is never dropped: it lives for as
// long as the kernel runs. A raw pointer, so that no destructor is registered for it.
SystemControl* s_instance = nullptr;
Locking::Spinlock s_instance_lock("system control instance", Locking::LockRank::Leaf);

} // namespace

Core::Result<Core::RefPtr<SystemControl>> SystemControl::instance()
{
    {
        Locking::SpinlockLocker locker(s_instance_lock);
        if (s_instance)
            return Core::RefPtr<SystemControl>(*s_instance);
    }
    // Made outside the lock (nothing is allocated under a leaf); a caller that lost the
    // race drops its copy.
    auto* raw_object = new (Core::nothrow) SystemControl();
    if (!raw_object)
        return Core::ErrorCode::OutOfMemory;
    auto object = Core::RefPtr<SystemControl>::adopt(raw_object);
    Locking::SpinlockLocker locker(s_instance_lock);
    if (!s_instance)
        s_instance = object.leak_ref();
    return Core::RefPtr<SystemControl>(*s_instance);
}

} // namespace Kernel::Platform
