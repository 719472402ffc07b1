#pragma once

// A port (ABI/Port.h, docs/ipc.md#ports): a FIFO of packets an event loop takes with
// port_wait. Bindings (port_bind) queue signal packets when an object's signals rise;
// programs queue user packets (port_queue). Rights: Write to bind and queue, Read to wait.
// A port has no signals of its own, so ports cannot be bound to ports and bindings can
// never form a reference cycle.
//
// Lifetimes. A binding is a SignalObserver attached to its object's Signals, owned by the
// port, holding a reference to the object. It goes when the port is destroyed (last handle
// closed), or, for a one-shot binding, right after port_wait hands out its packet. So an
// object whose last handle is closed lives on while a binding to it remains; closing the
// port ends that. The binding points back at the port without a reference: the port
// detaches every binding (under each object's signals lock) before it goes, so no raise
// can reach a port that is gone.
//
// Locks (docs/lock-order.md): m_bindings_lock (PortBindings) guards the binding list and
// is taken before an object's signals lock to attach; m_waiters' lock (SignalObserver)
// guards the packet queue and is taken under an object's signals lock by the raise path.
// Memory is allocated and freed with neither held.

#include <Core/Error.h>
#include <Core/IntrusiveList.h>
#include <Core/RefPtr.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Objects/KernelObject.h>
#include <Kernel/Objects/PortQueue.h>
#include <Kernel/Objects/Signals.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Objects {

class Port;

class PortBinding final : public SignalObserver, public PortQueueEntry {
public:
    PortBinding(
        Port& port, Core::RefPtr<KernelObject> object, Core::u32 watched, Core::u64 key, bool persistent)
        : SignalObserver(watched)
        , PortQueueEntry(false)
        , m_port(port)
        , m_object(Core::move(object))
        , m_key(key)
        , m_persistent(persistent)
    {
    }

    Reaction signals_raised(Core::u32 current, Core::u32 newly_raised, Core::u32 auto_clear) override;

    [[nodiscard]] bool is_persistent() const { return m_persistent; }
    [[nodiscard]] KernelObject& object() { return *m_object; }

    Core::IntrusiveListNode<PortBinding> m_port_node;

private:
    // The port that owns this binding; it detaches the binding before it is destroyed, so
    // the reference is valid whenever the callback runs.
    Port& m_port;
    Core::RefPtr<KernelObject> m_object;
    Core::u64 m_key;
    bool m_persistent;
};

class Port final : public TypedKernelObject<ABI::ObjectType::Port> {
public:
    // OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<Port>> create();
    ~Port() override;

    // Binds `object`, which has signals and supports every bit of `watched` (the caller
    // checked both). A packet may be queued before this returns (a watched bit raised
    // already). OutOfRange at ABI::port_maximum_bindings, OutOfMemory.
    [[nodiscard]] Core::Result<void> bind(
        Core::RefPtr<KernelObject> object, Core::u32 watched, Core::u64 key, bool persistent);
    // Queues a User packet with `key` and `payload`. OutOfRange when
    // ABI::port_maximum_user_packets are queued, OutOfMemory.
    [[nodiscard]] Core::Result<void> queue_user_packet(Core::u64 key, const Core::u64 (&payload)[4]);
    // Takes the oldest packet, blocking until there is one. TimedOut at `deadline_ns`
    // (Tasks::no_deadline: never), Interrupted when the caller's process is terminated.
    // Packets already queued win over a past deadline.
    [[nodiscard]] Core::Result<ABI::PortPacket> wait(Core::u64 deadline_ns);

    [[nodiscard]] Core::u64 binding_count();
    [[nodiscard]] Core::u64 queued_packet_count();

private:
    friend class PortBinding;

    Port() = default;
    // The raise path of `binding`'s object: queues or folds its packet and wakes a waiter.
    void post_signal(PortBinding& binding, Core::u64 key, Core::u32 signals);
    // Ends a one-shot binding whose packet has been taken.
    void retire(PortBinding& binding);

    Tasks::WaitQueue m_waiters { "port", Locking::LockRank::SignalObserver };
    PortQueue m_queue { ABI::port_maximum_user_packets };
    Locking::Spinlock m_bindings_lock { "port bindings", Locking::LockRank::PortBindings };
    Core::IntrusiveList<PortBinding, &PortBinding::m_port_node> m_bindings;
};

} // namespace Kernel::Objects
