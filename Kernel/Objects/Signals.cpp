#include <Kernel/Objects/Signals.h>

namespace Kernel::Objects {

void Signals::raise(Core::u32 bits)
{
    m_waiters.with_lock([&] { m_mask.raise(bits); });
    // Every waiter, not one: waiters may want different bits, and one woken for a bit it
    // does not want would swallow the wake-up. The waiter list is taken at once under the
    // lock; nothing of this object is touched after that (Timer.cpp relies on it).
    m_waiters.wake_all();
}

void Signals::clear(Core::u32 bits)
{
    m_waiters.with_lock([&] { m_mask.clear(bits); });
}

Core::u32 Signals::current()
{
    Core::u32 raised = 0;
    m_waiters.with_lock([&] { raised = m_mask.raised(); });
    return raised;
}

Core::Result<Core::u32> Signals::wait(Core::u32 wanted, Core::u64 deadline_ns)
{
    Core::u32 observed = 0;
    TRY(m_waiters.wait_until_interruptible(
        [&] {
            observed = m_mask.observe(wanted);
            return observed != 0;
        },
        deadline_ns));
    return observed;
}

} // namespace Kernel::Objects
