#include <Core/NoThrow.h>
#include <Kernel/Objects/Port.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Objects {

SignalObserver::Reaction PortBinding::signals_raised(
    Core::u32 current, Core::u32 newly_raised, Core::u32 auto_clear)
{
    BindingTrigger trigger
        = decide_binding_trigger(m_persistent, watched(), current, newly_raised, auto_clear);
    if (trigger.queue_packet)
        m_port.post_signal(*this, m_key, current);
    return Reaction { trigger.consumed, trigger.finished };
}

Core::Result<Core::RefPtr<Port>> Port::create()
{
    auto* port = new (Core::nothrow) Port();
    if (!port)
        return Core::ErrorCode::OutOfMemory;
    return Core::RefPtr<Port>::adopt(port);
}

Port::~Port()
{
    // Nobody else holds the port, so the binding list needs no lock. Detach first: after
    // that no raise reaches this port, and what is left can go without locks.
    for (PortBinding* binding = m_bindings.first(); binding; binding = m_bindings.next(*binding))
        binding->object().signals()->detach(*binding);
    while (PortQueueEntry* entry = m_queue.pop()) {
        if (entry->is_user)
            delete entry;
    }
    // Dropping a binding's object reference may destroy the object; that is allowed here,
    // as for any handle close (objects' destructors take no handle-table lock).
    while (PortBinding* binding = m_bindings.first()) {
        m_bindings.remove(*binding);
        delete binding;
    }
}

Core::Result<void> Port::bind(
    Core::RefPtr<KernelObject> object, Core::u32 watched, Core::u64 key, bool persistent)
{
    Signals* signals = object->signals();
    auto* binding = new (Core::nothrow) PortBinding(*this, Core::move(object), watched, key, persistent);
    if (!binding)
        return Core::ErrorCode::OutOfMemory;
    bool linked = false;
    {
        Locking::SpinlockLocker locker(m_bindings_lock);
        if (m_bindings.size() < ABI::port_maximum_bindings) {
            m_bindings.push_back(*binding);
            linked = true;
        }
    }
    if (!linked) {
        // Freed outside the lock: the heap's lock ranks below it.
        delete binding;
        return Core::ErrorCode::OutOfRange;
    }
    // Linked in the port's list first, so that a one-shot packet queued by the attach and
    // taken at once by another thread finds its binding there to retire.
    signals->attach(*binding);
    return {};
}

void Port::post_signal(PortBinding& binding, Core::u64 key, Core::u32 signals)
{
    Core::u64 now_ns = Time::monotonic_nanoseconds();
    m_waiters.with_lock([&] { m_queue.post_signal(binding, key, signals, now_ns); });
    // Interrupts are off here (a signals lock is held), so this only marks the woken thread
    // runnable; nothing switches inside the raise path.
    m_waiters.wake_one();
}

Core::Result<void> Port::queue_user_packet(Core::u64 key, const Core::u64 (&payload)[4])
{
    auto* entry = new (Core::nothrow) PortQueueEntry(true);
    if (!entry)
        return Core::ErrorCode::OutOfMemory;
    entry->packet.key = key;
    entry->packet.type = ABI::PortPacketType::User;
    entry->packet.timestamp_ns = Time::monotonic_nanoseconds();
    for (Core::usize index = 0; index < 4; ++index)
        entry->packet.payload[index] = payload[index];
    Core::Result<void> pushed = {};
    m_waiters.with_lock([&] { pushed = m_queue.push_user(*entry); });
    if (pushed.is_error()) {
        delete entry;
        return pushed;
    }
    m_waiters.wake_one();
    return {};
}

Core::Result<ABI::PortPacket> Port::wait(Core::u64 deadline_ns)
{
    PortQueueEntry* entry = nullptr;
    ABI::PortPacket packet {};
    TRY(m_waiters.wait_until_interruptible(
        [&] {
            entry = m_queue.pop();
            if (!entry)
                return false;
            // Copied under the lock: a binding's entry may be refilled right after.
            packet = entry->packet;
            return true;
        },
        deadline_ns));
    if (entry->is_user) {
        delete entry;
    } else {
        // The entry is a binding's (the only other kind). A one-shot binding queues its
        // packet once, as it finishes, so taking it is the binding's end.
        auto* binding = static_cast<PortBinding*>(entry);
        if (!binding->is_persistent())
            retire(*binding);
    }
    return packet;
}

void Port::retire(PortBinding& binding)
{
    {
        Locking::SpinlockLocker locker(m_bindings_lock);
        m_bindings.remove(binding);
    }
    // The raise that finished it unlinked it already; taking the signals lock here waits
    // until that raise has left the callback, so the record is free to go.
    binding.object().signals()->detach(binding);
    delete &binding;
}

Core::u64 Port::binding_count()
{
    Locking::SpinlockLocker locker(m_bindings_lock);
    return m_bindings.size();
}

Core::u64 Port::queued_packet_count()
{
    Core::u64 count = 0;
    m_waiters.with_lock([&] { count = m_queue.size(); });
    return count;
}

} // namespace Kernel::Objects
