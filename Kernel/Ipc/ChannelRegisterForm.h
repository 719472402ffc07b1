#pragma once

// The fast paths of the register form (docs/ipc.md#register-form), inline so that they sit
// in the system calls themselves (Syscalls/ChannelCalls.cpp): a call and a reply between
// threads waiting in the register form copy the message from frame to frame under the
// channel's lock and hand the CPU over directly. Whatever does not fit the fast path goes to
// the out-of-line parts in Channel.cpp, which share its records.

#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/MessageRegisters.h>
#include <Kernel/Ipc/Channel.h>
#include <Kernel/Ipc/ChannelState.h>
#include <Kernel/Tasks/Mutex.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Ipc {

[[gnu::always_inline]] inline bool ChannelEndpoint::reply_in_registers_locked(
    Arch::RegisterState& registers, Core::u64 transaction, Tasks::Thread** claimed)
{
    ChannelState& state = *m_state;
    Core::u32 target = 1 - m_side;
    if (!(transaction & ABI::channel_kernel_transaction_bit) || state.closed[target])
        return false;
    PendingCall* call = find_call(state.pending_calls[target], transaction);
    if (!call || !call->registers)
        return false;
    Arch::copy_message(*call->registers, registers);
    call->answered_in_registers = true;
    state.pending_calls[target].remove(*call);
    ++state.counters.sent;
    ++state.counters.sent_in_registers;
    wake_or_claim(*call->caller, claimed, call->handed_off);
    return true;
}

[[gnu::always_inline]] inline Core::Result<void> ChannelEndpoint::call_in_registers(
    Arch::RegisterState& registers, Core::u64 deadline_ns)
{
    ChannelState& state = *m_state;
    Tasks::Thread& self = Tasks::Scheduler::current();
    Core::u32 peer_side = 1 - m_side;
    {
        // The fast path: a server waiting in the register form, nothing queued before this
        // request. The request goes from this frame to the server's, and (interrupts off
        // from here to the block) the CPU to the server, when it is on this one.
        Core::u32 caller_rank = Tasks::call_priority_of(self);
        // The lock turns interrupts off; they stay off until this returns (the unlock in
        // the block gets flags without them), and then come back as they were.
        Core::u64 caller_flags = state.lock.lock();
        Arch::InterruptsRestoredAtExit restore_interrupts(caller_flags);
        Core::u64 saved_flags = caller_flags & ~Arch::interrupt_flag;
        PendingReceive* reader = state.receivers[peer_side].first();
        if (reader && reader->registers && state.queues[peer_side].is_empty() && !state.closed[peer_side]) {
            PendingCall pending { ++state.next_transaction | ABI::channel_kernel_transaction_bit, &self,
                nullptr, &registers, false, false, {} };
            Arch::set_message_transaction_id(registers, pending.transaction_id);
            Arch::copy_message(*reader->registers, registers);
            reader->filled_in_registers = true;
            reader->caller_rank = caller_rank;
            reader->transaction = pending.transaction_id;
            state.receivers[peer_side].remove(*reader);
            ++state.counters.sent;
            ++state.counters.sent_in_registers;
            Tasks::Thread* server = nullptr;
            wake_or_claim(*reader->reader, &server, reader->handed_off);
            // Recorded before the lock goes: no reply can come sooner.
            state.pending_calls[m_side].push_back(pending);
            Tasks::Scheduler::block_releasing(state.lock, saved_flags, deadline_ns, server);
            // Handed back by a reply in registers: it is in this frame, and the record final
            // (wake_or_claim). The loads are atomic: a record that was woken instead may
            // still be written under the lock by another CPU (finish_call_in_registers
            // takes it before it looks).
            if (__atomic_load_n(&pending.handed_off, __ATOMIC_RELAXED)
                && __atomic_load_n(&pending.answered_in_registers, __ATOMIC_RELAXED))
                return {};
            return finish_call_in_registers(pending, registers, saved_flags, deadline_ns);
        }
        state.lock.unlock(saved_flags);
    }
    return call_in_registers_slow(registers, deadline_ns);
}

[[gnu::always_inline]] inline Core::Result<void> ChannelEndpoint::serve_in_registers(
    Arch::RegisterState& registers, bool replies, Core::u64 deadline_ns)
{
    ChannelState& state = *m_state;
    Tasks::Thread& self = Tasks::Scheduler::current();
    Core::u64 transaction = replies ? Arch::message_transaction_id(registers) : 0;
    {
        // The fast path, in one stretch under the channel's lock with interrupts off: the
        // reply goes from this frame straight into the waiting caller's (claimed, when on
        // this CPU), and this thread waits for the next request, handing the CPU to the
        // caller; a call made meanwhile puts its request straight into this frame.
        // Interrupts as in call_in_registers().
        Core::u64 caller_flags = state.lock.lock();
        Arch::InterruptsRestoredAtExit restore_interrupts(caller_flags);
        Core::u64 saved_flags = caller_flags & ~Arch::interrupt_flag;
        Tasks::Thread* caller = nullptr;
        bool reply_sent = false;
        if (replies) {
            reply_sent = reply_in_registers_locked(registers, transaction, &caller);
            Arch::set_reply_sent(registers, reply_sent);
        }
        // Waiting here needs nothing queued, the peer alive, and no priority loan to end
        // (finish_serving takes a lock ranked below the channel's).
        if ((!replies || reply_sent) && state.queues[m_side].is_empty() && !state.closed[1 - m_side]
            && self.m_call_loan_transaction == 0) {
            PendingReceive pending { &self, ABI::channel_register_message_bytes, 0, nullptr, &registers,
                false, 0, 0, false, {} };
            state.receivers[m_side].push_back(pending);
            Tasks::Scheduler::block_releasing(state.lock, saved_flags, deadline_ns, caller);
            // Handed the CPU by a call in registers: its request is in this frame, and the
            // record final (wake_or_claim). Atomic loads, as in call_in_registers().
            if (__atomic_load_n(&pending.handed_off, __ATOMIC_RELAXED)
                && __atomic_load_n(&pending.filled_in_registers, __ATOMIC_RELAXED)) {
                accept(pending.caller_rank, pending.transaction);
                return {};
            }
            return finish_serve_in_registers(pending, registers, saved_flags, deadline_ns);
        }
        state.lock.unlock(saved_flags);
        if (reply_sent)
            finish_serving(transaction);
        if (!replies || reply_sent)
            return receive_into_registers(registers, deadline_ns, caller);
    }
    return serve_in_registers_slow(registers, transaction, deadline_ns);
}

} // namespace Kernel::Ipc
