#pragma once

// Object signals, shared by the kernel and user space (docs/abi/handles.md#signals). Every
// object that can be waited for carries a set of signal bits; object_wait blocks until any
// of the bits the caller names is raised. The bits form one number space for every type
// (a bit means the same thing wherever it is raised), and a value is never renumbered or
// reused: new signals take the next free bit.
//
// Taken: bit 0 Signalled (Event), bit 1 Fired (Timer), bit 2 Triggered (Interrupt), bit 3
// Terminated (Process), bits 4-6 Readable, Writable, PeerClosed (channel endpoints). Set
// aside: bit 3 for Thread too.

#include <stdint.h>

namespace ABI {

enum class Signal : uint32_t {
    // An event was signalled (event_signal) and not reset since.
    Signalled = 1u << 0,
    // A timer reached its deadline (or its next period) since it was set, cancelled or,
    // for an auto-reset timer, last waited for.
    Fired = 1u << 1,
    // An interrupt line asserted since its last interrupt_ack; the line is masked until
    // that ack.
    Triggered = 1u << 2,
    // A process has exited: every thread gone, handles closed, exit status final
    // (process_wait reads it). Stays raised.
    Terminated = 1u << 3,
    // A channel endpoint has a message to read.
    Readable = 1u << 4,
    // A write to a channel endpoint would not have to wait or fail for lack of room.
    Writable = 1u << 5,
    // The other endpoint of a channel is closed (messages already queued can still be read).
    PeerClosed = 1u << 6,
};

// Every bit that names a signal. A mask passed to object_wait with any other bit is
// refused (InvalidArgument), so that a program built for a newer ABI learns that its
// signal does not exist here.
inline constexpr uint32_t known_signal_bits = (1u << 7) - 1;

constexpr uint32_t signal_bits(Signal signal)
{
    return static_cast<uint32_t>(signal);
}

// Whether `raw_bits` is a mask object_wait accepts: at least one signal, only known ones.
constexpr bool is_valid_signal_mask(uint64_t raw_bits)
{
    return raw_bits != 0 && (raw_bits & ~static_cast<uint64_t>(known_signal_bits)) == 0;
}

// The deadline of a wait that never times out (object_wait).
inline constexpr uint64_t no_deadline = ~uint64_t(0);

// One entry of object_wait_many's array: the caller fills `handle` and `wanted` (a mask
// object_wait would accept), the kernel writes `observed` (the object's signals when the
// wait ended). 12 bytes, 4-byte aligned, no padding; the array is the caller's for the
// duration of the call.
struct WaitItem {
    uint32_t handle;
    uint32_t wanted;
    uint32_t observed;
};
static_assert(sizeof(WaitItem) == 12, "WaitItem is part of the ABI");

// How many items one object_wait_many call takes. Each item is a registration the kernel
// keeps for the length of the wait; the bound keeps one call's kernel memory small.
inline constexpr uint64_t wait_many_maximum_items = 64;

} // namespace ABI
