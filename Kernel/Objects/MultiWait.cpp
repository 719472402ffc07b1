#include <ABI/Signals.h>
#include <Core/NoThrow.h>
#include <Core/Optional.h>
#include <Kernel/Objects/MultiWait.h>

namespace Kernel::Objects {

namespace {

// The state one wait_for_any shares with the raise paths of its objects.
class MultiWaitState {
public:
    // Called by an observer under an object's signals lock, in any context: marks the wait
    // notified and wakes its thread (with interrupts off, so the wake only makes it
    // runnable). Takes only m_queue's lock (SignalObserver rank).
    void notify()
    {
        m_queue.with_lock([&] { m_notified = true; });
        m_queue.wake_all();
    }

    // Sleeps until notified since the last call, the deadline, or termination.
    [[nodiscard]] Core::Result<void> sleep(Core::u64 deadline_ns)
    {
        return m_queue.wait_until_interruptible(
            [&] {
                bool notified = m_notified;
                m_notified = false;
                return notified;
            },
            deadline_ns);
    }

private:
    Tasks::WaitQueue m_queue { "multi-object wait", Locking::LockRank::SignalObserver };
    // Guarded by m_queue's lock.
    bool m_notified { false };
};

class MultiWaitObserver final : public SignalObserver {
public:
    MultiWaitObserver()
        : SignalObserver(0)
    {
    }
    // Before the observer is attached.
    void configure(MultiWaitState& state, Core::u32 watched)
    {
        m_state = &state;
        set_watched(watched);
    }

    Reaction signals_raised(Core::u32, Core::u32, Core::u32) override
    {
        // Nothing consumed here: the waiting thread consumes what it takes when it checks,
        // so that only the item it returns loses auto-clear bits.
        m_state->notify();
        return {};
    }

private:
    // The state of the wait this observer belongs to (set by configure before the attach).
    // The waiting thread detaches every observer before the state goes.
    MultiWaitState* m_state { nullptr };
};

// What one wait allocates: its state and an observer per item.
struct MultiWaitRecords {
    MultiWaitState state;
    MultiWaitObserver observers[ABI::wait_many_maximum_items];
};

} // namespace

Core::Result<WaitManyChoice> wait_for_any(Core::Span<MultiWaitItem> items, Core::u64 deadline_ns)
{
    VERIFY(items.size() >= 1 && items.size() <= ABI::wait_many_maximum_items);
    auto item_count = static_cast<Core::u32>(items.size());
    // On the heap, not the stack: 64 observers would take a large part of a kernel stack.
    auto* records = new (Core::nothrow) MultiWaitRecords();
    if (!records)
        return Core::ErrorCode::OutOfMemory;
    for (Core::u32 index = 0; index < item_count; ++index) {
        records->observers[index].configure(records->state, items[index].wanted);
        items[index].signals->attach(records->observers[index]);
    }
    Core::Optional<WaitManyChoice> choice;
    Core::ErrorCode failure = Core::ErrorCode::TimedOut;
    for (;;) {
        choice = first_satisfied_item(item_count,
            [&](Core::u32 index) { return items[index].signals->try_observe(items[index].wanted); });
        if (choice.has_value())
            break;
        // A raise since the attach (or since the last sleep) left the state notified, and
        // the sleep then returns at once: nothing between the check and the sleep is lost.
        auto slept = records->state.sleep(deadline_ns);
        if (slept.is_error()) {
            failure = slept.error().code();
            break;
        }
    }
    // Detached before the records go: afterwards no raise is inside an observer.
    for (Core::u32 index = 0; index < item_count; ++index)
        items[index].signals->detach(records->observers[index]);
    delete records;
    for (Core::u32 index = 0; index < item_count; ++index)
        items[index].observed = items[index].signals->current();
    if (!choice.has_value())
        return failure;
    items[choice.value().index].observed = choice.value().observed;
    return choice.value();
}

} // namespace Kernel::Objects
