#pragma once

// The kernel object a thread handle names. Threads are never freed (docs/scheduling.md), so
// the object can name one by address for as long as any handle to it lives. Rights: Wait to
// join it.

#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Kernel/Objects/KernelObject.h>
#include <Kernel/Tasks/Thread.h>

namespace Kernel::Objects {

class ThreadObject final : public TypedKernelObject<ABI::ObjectType::Thread> {
public:
    // OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<ThreadObject>> create(Tasks::Thread& thread);

    [[nodiscard]] Tasks::Thread& thread() const { return m_thread; }

private:
    explicit ThreadObject(Tasks::Thread& thread)
        : m_thread(thread)
    {
    }

    Tasks::Thread& m_thread;
};

} // namespace Kernel::Objects
