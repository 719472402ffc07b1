#include <Core/Assertions.h>
#include <Kernel/Time/TimerQueue.h>

namespace Kernel::Time {

void TimerQueue::arm(Timer& timer, Core::u64 deadline_ns)
{
    VERIFY(timer.callback != nullptr);
    VERIFY(!timer.is_armed() || m_timers.contains(timer));
    if (timer.is_armed())
        m_timers.remove(timer);
    timer.deadline_ns = deadline_ns;
    insert_sorted(timer);
}

bool TimerQueue::cancel(Timer& timer)
{
    if (!timer.is_armed())
        return false;
    VERIFY(m_timers.contains(timer));
    m_timers.remove(timer);
    return true;
}

Core::Optional<Core::u64> TimerQueue::earliest_deadline() const
{
    if (m_timers.is_empty())
        return {};
    return m_timers.first()->deadline_ns;
}

Core::usize TimerQueue::fire_expired(Core::u64 now_ns)
{
    Core::usize fired = 0;
    // Re-read the head every time: the previous callback may have armed, moved or
    // cancelled any timer, so no pointer into the list survives a callback.
    while (!m_timers.is_empty() && m_timers.first()->deadline_ns <= now_ns) {
        Timer& timer = *m_timers.first();
        m_timers.remove(timer);
        timer.callback(timer, timer.context);
        ++fired;
    }
    return fired;
}

void TimerQueue::insert_sorted(Timer& timer)
{
    // Walk back from the latest deadline to the last timer that is not later than this
    // one; inserting after it keeps equal deadlines in arm order.
    Timer* predecessor = m_timers.last();
    while (predecessor != nullptr && predecessor->deadline_ns > timer.deadline_ns)
        predecessor = decltype(m_timers)::previous(*predecessor);
    m_timers.insert_after(predecessor, timer);
}

} // namespace Kernel::Time
