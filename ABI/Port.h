#pragma once

// Ports, shared by the kernel and user space (docs/ipc.md#ports): a queue of packets that
// an event loop takes one at a time with port_wait. Objects bound to a port (port_bind)
// queue signal packets when their signals rise; programs queue user packets (port_queue).
// Layouts are part of the ABI: little-endian, naturally aligned, no implicit padding.

#include <stdint.h>

namespace ABI {

enum class PortPacketType : uint32_t {
    // Queued by a binding: `signals` are the object's signals when it last triggered,
    // `count` how many triggers this one packet stands for (a binding has at most one
    // packet queued; later triggers fold into it), `timestamp_ns` the monotonic time of
    // the first of them. The payload is zero.
    Signal = 1,
    // Queued by port_queue: `key` and `payload` as given; `signals` and `count` are 0,
    // `timestamp_ns` the monotonic time it was queued.
    User = 2,
};

struct PortPacket {
    uint64_t key;
    PortPacketType type;
    uint32_t signals;
    uint64_t count;
    uint64_t timestamp_ns;
    uint64_t payload[4];
};
static_assert(sizeof(PortPacket) == 64, "PortPacket is part of the ABI");

// port_bind flags. Without Persistent a binding is one-shot: it queues one packet, the
// first time any of its signals is raised (at once if one is raised already), and is then
// gone.
enum class PortBindFlag : uint64_t {
    // Queue a packet at bind time if a bound signal is raised, then each time a bound
    // signal goes from clear to raised, until the port is closed.
    Persistent = 1u << 0,
};
inline constexpr uint64_t port_bind_known_flags = static_cast<uint64_t>(PortBindFlag::Persistent);

// User packets one port holds at once; port_queue beyond it is OutOfRange. Signal packets
// are not counted: each binding has one packet slot of its own, so they are never refused.
inline constexpr uint64_t port_maximum_user_packets = 256;
// Bindings one port holds at once (each is kernel memory and keeps its object alive).
inline constexpr uint64_t port_maximum_bindings = 256;

} // namespace ABI
