#include <Core/Assertions.h>
#include <Kernel/Time/TimerQueue.h>

namespace Kernel::Time {

void TimerQueue::arm(Timer& timer, Core::u64 deadline_ns)
{
    VERIFY(timer.callback != nullptr);
    VERIFY(timer.m_queue == nullptr || timer.m_queue == this);
    if (timer.m_queue == this)
        unlink(timer);
    timer.deadline_ns = deadline_ns;
    insert_sorted(timer);
}

bool TimerQueue::cancel(Timer& timer)
{
    if (timer.m_queue == nullptr)
        return false;
    VERIFY(timer.m_queue == this);
    unlink(timer);
    return true;
}

Core::Optional<Core::u64> TimerQueue::earliest_deadline() const
{
    if (m_first == nullptr)
        return {};
    return m_first->deadline_ns;
}

Core::usize TimerQueue::fire_expired(Core::u64 now_ns)
{
    Core::usize fired = 0;
    // Re-read the head every time: the previous callback may have armed, moved or
    // cancelled any timer, so no pointer into the list survives a callback.
    while (m_first != nullptr && m_first->deadline_ns <= now_ns) {
        Timer& timer = *m_first;
        unlink(timer);
        timer.callback(timer, timer.context);
        ++fired;
    }
    return fired;
}

void TimerQueue::insert_sorted(Timer& timer)
{
    // Walk back from the latest deadline to the last timer that is not later than this
    // one; inserting after it keeps equal deadlines in arm order.
    Timer* predecessor = m_last;
    while (predecessor != nullptr && predecessor->deadline_ns > timer.deadline_ns)
        predecessor = predecessor->m_previous;

    Timer* successor = predecessor != nullptr ? predecessor->m_next : m_first;
    timer.m_previous = predecessor;
    timer.m_next = successor;
    if (predecessor != nullptr)
        predecessor->m_next = &timer;
    else
        m_first = &timer;
    if (successor != nullptr)
        successor->m_previous = &timer;
    else
        m_last = &timer;
    timer.m_queue = this;
    ++m_count;
}

void TimerQueue::unlink(Timer& timer)
{
    if (timer.m_previous != nullptr)
        timer.m_previous->m_next = timer.m_next;
    else
        m_first = timer.m_next;
    if (timer.m_next != nullptr)
        timer.m_next->m_previous = timer.m_previous;
    else
        m_last = timer.m_previous;
    timer.m_previous = nullptr;
    timer.m_next = nullptr;
    timer.m_queue = nullptr;
    --m_count;
}

} // namespace Kernel::Time
