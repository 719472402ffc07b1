#pragma once

// Channels (docs/ipc.md), shared by the kernel and user space. Values and layouts are ABI:
// never renumbered or reordered, only appended to.

#include <ABI/Handle.h>
#include <stdint.h>

namespace ABI {

// The most a message can carry.
inline constexpr uint64_t channel_maximum_message_bytes = 65536;
inline constexpr uint32_t channel_maximum_message_handles = 64;

// How many messages wait in one direction before the channel's backpressure policy applies.
inline constexpr uint32_t channel_queue_capacity = 64;

// What a full direction does to the next write (channel_create's flags).
enum class ChannelQos : uint64_t {
    // Latency-sensitive: the writer is parked until a reader makes room, for at most
    // channel_park_limit_ns; then the write fails with TimedOut and nothing is sent.
    LatencySensitive = 0,
    // Best-effort: the oldest waiting message is dropped (its handles closed) to make room.
    BestEffort = 1,
    // Bulk: messages beyond the queue's capacity spill into an overflow of at most
    // channel_spill_limit_bytes of kernel memory (each message charged its bytes, handle
    // entries and bookkeeping); past that the write fails with WouldBlock.
    Bulk = 2,
};
inline constexpr uint64_t channel_qos_count = 3;
inline constexpr uint64_t channel_park_limit_ns = 500'000;
inline constexpr uint64_t channel_spill_limit_bytes = 256 * 1024;

// channel_read's in/out block: where the message goes, and (out) how big it was. On
// BufferTooSmall the message stays queued and byte_count / handle_count say what it needs.
struct ChannelReadBuffer {
    uint64_t bytes_address;
    uint64_t bytes_capacity;
    uint64_t handles_address; // an array of HandleValue
    uint64_t handles_capacity;
    uint64_t byte_count; // out
    uint64_t handle_count; // out
};

// channel_call: the request's bytes hold a transaction id at this offset (the message
// header's field, docs/ipc-schemas.md), which the kernel sets; the reply must carry the
// same id there to reach the caller. Kernel-assigned ids have the top bit set.
inline constexpr uint64_t channel_transaction_id_offset = 16;
inline constexpr uint64_t channel_call_minimum_bytes = channel_transaction_id_offset + 8;
inline constexpr uint64_t channel_kernel_transaction_bit = 1ull << 63;

// The register form of channel_call and channel_serve (docs/ipc.md#register-form): a
// message of at most channel_register_message_bytes and no handles travels in the message
// registers, byte 8*i to 8*i+7 in the i-th of them, little-endian. In order: RDX, R8, R9,
// R10, R12, R13, R14, R15. The transaction id of a call (byte 16) is the third.
inline constexpr uint64_t channel_register_message_words = 8;
inline constexpr uint64_t channel_register_message_bytes = channel_register_message_words * 8;

// channel_call's arguments: the request, where the reply goes (and, out, its sizes), and
// an absolute monotonic deadline for the reply (no_deadline: none).
struct ChannelCallArguments {
    uint64_t bytes_address;
    uint64_t byte_count;
    uint64_t handles_address;
    uint64_t handle_count;
    ChannelReadBuffer reply;
    uint64_t deadline_ns;
    uint64_t flags; // must be 0
};

// channel_serve's flags.
enum class ChannelServeFlag : uint64_t {
    // Write the reply described by the reply_* fields before waiting for the next message.
    Reply = 1,
};

// channel_serve's arguments: the reply to send (with ChannelServeFlag::Reply), where the
// next message goes (and, out, its sizes), and an absolute monotonic deadline for it
// (no_deadline: none).
struct ChannelServeArguments {
    uint64_t reply_bytes_address;
    uint64_t reply_byte_count;
    uint64_t reply_handles_address; // an array of HandleValue
    uint64_t reply_handle_count;
    ChannelReadBuffer request;
    uint64_t deadline_ns;
    uint64_t flags; // ChannelServeFlag bits
    // Out, written when the call fails: 1 if the reply went out before the failure (the
    // failure is then the read's), 0 if not. On success a reply asked for was sent.
    uint64_t reply_sent;
};

// A channel's counters since it was made, both directions together (channel_statistics).
struct ChannelStatistics {
    uint64_t sent; // messages queued for a reader or handed to a waiting caller
    uint64_t dropped; // best-effort messages dropped to make room
    uint64_t parked; // latency-sensitive writes that had to wait for room
    uint64_t spilled; // bulk messages queued beyond the capacity
    uint64_t timed_out; // parked writes that gave up after channel_park_limit_ns
    uint64_t qos; // the ChannelQos
    // Of `sent`: messages of the register form copied from the sender's saved registers
    // straight into a waiting receiver's (docs/ipc.md#register-form), with no Message.
    uint64_t sent_in_registers;
};

} // namespace ABI
