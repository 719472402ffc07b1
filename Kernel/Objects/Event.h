#pragma once

// An event object: a flag that stays signalled until reset, which threads wait for
// (Tasks::Event underneath). Rights: Signal to signal or reset, Wait to wait.

#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Kernel/Objects/KernelObject.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Objects {

class Event final : public TypedKernelObject<ABI::ObjectType::Event> {
public:
    // OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<Event>> create();

    void signal() { m_event.signal(); }
    void reset() { m_event.reset(); }
    // Interruptible (a system call waits here).
    [[nodiscard]] Core::Result<void> wait() { return m_event.wait_interruptible(); }
    [[nodiscard]] bool is_signalled() const { return m_event.is_signalled(); }

private:
    Event() = default;
    Tasks::Event m_event;
};

} // namespace Kernel::Objects
