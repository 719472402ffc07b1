#pragma once

// An event object: its Signalled signal stays raised until reset, and threads wait for
// it (event_wait, or object_wait like any object with signals). Rights: Signal to signal
// or reset, Wait to wait.

#include <ABI/Signals.h>
#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Kernel/Objects/KernelObject.h>
#include <Kernel/Objects/Signals.h>

namespace Kernel::Objects {

class Event final : public TypedKernelObject<ABI::ObjectType::Event> {
public:
    // OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<Event>> create();

    void signal() { m_signals.raise(signalled); }
    void reset() { m_signals.clear(signalled); }
    // Interruptible (a system call waits here); no deadline.
    [[nodiscard]] Core::Result<void> wait();
    [[nodiscard]] bool is_signalled() { return (m_signals.current() & signalled) != 0; }

    Signals* signals() override { return &m_signals; }

private:
    static constexpr Core::u32 signalled = ABI::signal_bits(ABI::Signal::Signalled);

    Event() = default;
    Signals m_signals { signalled };
};

} // namespace Kernel::Objects
