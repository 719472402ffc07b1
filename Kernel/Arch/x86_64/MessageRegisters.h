#pragma once

// The register form of channel messages (ABI/Channel.h's channel_register_*, docs/ipc.md
// #register-form), in a thread's saved system-call frame: the byte count in RSI, the bytes
// in the eight message registers, the handle in RDI, the deadline in RBX. The IPC code moves
// messages between frames through these functions and never names an x86 register.
//
// Only the words that hold message bytes are written; a last word the message fills in part
// has its other bytes cleared, so that nothing of the sender's registers beyond its message
// reaches the receiver.

#include <ABI/Channel.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/RegisterState.h>

namespace Kernel::Arch {

inline constexpr Core::u32 message_register_count = ABI::channel_register_message_words;

[[nodiscard]] inline Core::u64 register_call_handle(const RegisterState& registers)
{
    return registers.rdi;
}
[[nodiscard]] inline Core::u64 register_call_deadline(const RegisterState& registers)
{
    return registers.rbx;
}
[[nodiscard]] inline Core::u64 message_byte_count(const RegisterState& registers)
{
    return registers.rsi;
}
// channel_serve_registers's report of its reply (RDI).
inline void set_reply_sent(RegisterState& registers, bool sent)
{
    registers.rdi = sent ? 1 : 0;
}
// What a message that stayed queued needs (BufferTooSmall): its sizes in RSI and RDX.
inline void set_needed_sizes(RegisterState& registers, Core::u64 byte_count, Core::u64 handle_count)
{
    registers.rsi = byte_count;
    registers.rdx = handle_count;
}

namespace Detail {

// The message words of a frame, in ABI order.
struct MessageWords {
    Core::u64 words[message_register_count];
};

[[gnu::always_inline]] inline MessageWords gather_message_words(const RegisterState& registers)
{
    return { { registers.rdx, registers.r8, registers.r9, registers.r10, registers.r12, registers.r13,
        registers.r14, registers.r15 } };
}

// Stores the first `word_count` words (at most message_register_count) and leaves the rest.
[[gnu::always_inline]] inline void scatter_message_words(
    RegisterState& registers, const MessageWords& message, Core::u64 word_count)
{
    switch (word_count) {
    default:
        registers.r15 = message.words[7];
        [[fallthrough]];
    case 7:
        registers.r14 = message.words[6];
        [[fallthrough]];
    case 6:
        registers.r13 = message.words[5];
        [[fallthrough]];
    case 5:
        registers.r12 = message.words[4];
        [[fallthrough]];
    case 4:
        registers.r10 = message.words[3];
        [[fallthrough]];
    case 3:
        registers.r9 = message.words[2];
        [[fallthrough]];
    case 2:
        registers.r8 = message.words[1];
        [[fallthrough]];
    case 1:
        registers.rdx = message.words[0];
        [[fallthrough]];
    case 0:
        break;
    }
}

} // namespace Detail

// The message's word that holds the transaction id of a call.
inline constexpr Core::u32 transaction_word = ABI::channel_transaction_id_offset / 8;
static_assert(ABI::channel_transaction_id_offset % 8 == 0);

static_assert(transaction_word == 2, "the third message register is R9");

// The transaction id of the frame's message, or 0 when it is too short to have one.
[[nodiscard]] inline Core::u64 message_transaction_id(const RegisterState& registers)
{
    if (message_byte_count(registers) < ABI::channel_call_minimum_bytes)
        return 0;
    return registers.r9;
}
inline void set_message_transaction_id(RegisterState& registers, Core::u64 transaction)
{
    registers.r9 = transaction;
}

// The i-th message word of a frame (index below message_register_count).
[[nodiscard]] inline Core::u64& message_word(RegisterState& registers, Core::u64 index)
{
    switch (index) {
    case 0:
        return registers.rdx;
    case 1:
        return registers.r8;
    case 2:
        return registers.r9;
    case 3:
        return registers.r10;
    case 4:
        return registers.r12;
    case 5:
        return registers.r13;
    case 6:
        return registers.r14;
    default:
        return registers.r15;
    }
}

// Moves the message in `source` (its byte count at most channel_register_message_bytes)
// into `destination`: the byte count and the words that hold its bytes, register to
// register (the fast path's copy, so no staging through memory).
[[gnu::always_inline]] inline void copy_message(RegisterState& destination, const RegisterState& source)
{
    Core::u64 byte_count = message_byte_count(source);
    destination.rsi = byte_count;
    switch ((byte_count + 7) / 8) {
    default:
        destination.r15 = source.r15;
        [[fallthrough]];
    case 7:
        destination.r14 = source.r14;
        [[fallthrough]];
    case 6:
        destination.r13 = source.r13;
        [[fallthrough]];
    case 5:
        destination.r12 = source.r12;
        [[fallthrough]];
    case 4:
        destination.r10 = source.r10;
        [[fallthrough]];
    case 3:
        destination.r9 = source.r9;
        [[fallthrough]];
    case 2:
        destination.r8 = source.r8;
        [[fallthrough]];
    case 1:
        destination.rdx = source.rdx;
        [[fallthrough]];
    case 0:
        break;
    }
    if (Core::u64 partial_bytes = byte_count % 8; partial_bytes != 0) [[unlikely]]
        message_word(destination, byte_count / 8) &= (1ull << (partial_bytes * 8)) - 1;
}

// Puts `byte_count` bytes (at most channel_register_message_bytes) into the frame's message.
inline void load_message(RegisterState& destination, const Core::u8* bytes, Core::u64 byte_count)
{
    Detail::MessageWords message {};
    __builtin_memcpy(message.words, bytes, byte_count);
    destination.rsi = byte_count;
    Detail::scatter_message_words(destination, message, (byte_count + 7) / 8);
}

// Copies the frame's message bytes (its byte count, at most channel_register_message_bytes)
// out to `bytes`.
inline void store_message(Core::u8* bytes, const RegisterState& source)
{
    Detail::MessageWords message = Detail::gather_message_words(source);
    __builtin_memcpy(bytes, message.words, message_byte_count(source));
}

} // namespace Kernel::Arch
