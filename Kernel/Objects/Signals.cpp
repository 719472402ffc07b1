#include <Kernel/Objects/Signals.h>

namespace Kernel::Objects {

void Signals::raise(Core::u32 bits)
{
    m_waiters.with_lock([&] {
        Core::u32 before = m_mask.raised();
        m_mask.raise(bits);
        notify_observers(bits & m_mask.supported(), m_mask.raised() & ~before);
    });
    // Every waiter, not one: waiters may want different bits, and one woken for a bit it
    // does not want would swallow the wake-up. The waiter list is taken at once under the
    // lock; nothing of this object is touched after that (Timer.cpp relies on it).
    m_waiters.wake_all();
}

void Signals::notify_observers(Core::u32 touched, Core::u32 newly_raised)
{
    SignalObserver* observer = m_observers.first();
    while (observer) {
        // Read before the callback: an observer that asks to be detached is unlinked here.
        SignalObserver* next = m_observers.next(*observer);
        if ((observer->watched() & touched) != 0) {
            auto reaction = observer->signals_raised(m_mask.raised(), newly_raised, m_mask.auto_clear());
            Core::u32 consumed = reaction.consumed & observer->watched() & m_mask.auto_clear();
            // Consumed bits are gone for the observers after this one too: an auto-clear
            // bit releases one taker per raise, whoever it is.
            m_mask.clear(consumed);
            newly_raised &= ~consumed;
            touched &= ~consumed;
            if (reaction.detach)
                m_observers.remove(*observer);
        }
        observer = next;
    }
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

Core::u32 Signals::try_observe(Core::u32 wanted)
{
    Core::u32 observed = 0;
    m_waiters.with_lock([&] { observed = m_mask.observe(wanted); });
    return observed;
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

void Signals::attach(SignalObserver& observer)
{
    m_waiters.with_lock([&] {
        m_observers.push_back(observer);
        Core::u32 raised = m_mask.raised();
        if ((raised & observer.watched()) == 0)
            return;
        auto reaction = observer.signals_raised(raised, raised, m_mask.auto_clear());
        m_mask.clear(reaction.consumed & observer.watched() & m_mask.auto_clear());
        if (reaction.detach)
            m_observers.remove(observer);
    });
}

void Signals::detach(SignalObserver& observer)
{
    m_waiters.with_lock([&] {
        if (m_observers.contains(observer))
            m_observers.remove(observer);
    });
}

} // namespace Kernel::Objects
