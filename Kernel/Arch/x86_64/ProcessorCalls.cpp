#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/LocalApic.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>

namespace Kernel::Arch {

namespace {

// One mailbox per target CPU. A caller claims the mailbox (busy 0 -> 1), fills it, sends
// the IPI and waits for `completed`; the target runs the function and sets `completed`.
struct Mailbox {
    u32 busy;
    ProcessorFunction function;
    void* argument;
    u32 pending;
    u32 completed;
};

Mailbox s_mailboxes[max_processors];
u64 s_reschedules_received[max_processors];

void handle_reschedule_interrupt(RegisterState&, void*)
{
    __atomic_add_fetch(&s_reschedules_received[current_processor_index()], 1, __ATOMIC_RELAXED);
}

void handle_call_interrupt(RegisterState&, void*)
{
    process_pending_processor_calls();
}

void post_call(u32 index, ProcessorFunction function, void* argument)
{
    Mailbox& mailbox = s_mailboxes[index];
    u32 expected = 0;
    while (!__atomic_compare_exchange_n(
        &mailbox.busy, &expected, 1u, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        expected = 0;
        process_pending_processor_calls();
        pause();
    }
    mailbox.function = function;
    mailbox.argument = argument;
    __atomic_store_n(&mailbox.completed, 0u, __ATOMIC_RELAXED);
    __atomic_store_n(&mailbox.pending, 1u, __ATOMIC_RELEASE);
    send_ipi(processor(index).apic_id, call_function_vector);
}

void wait_and_release(u32 index)
{
    Mailbox& mailbox = s_mailboxes[index];
    while (!__atomic_load_n(&mailbox.completed, __ATOMIC_ACQUIRE)) {
        process_pending_processor_calls();
        pause();
    }
    __atomic_store_n(&mailbox.busy, 0u, __ATOMIC_RELEASE);
}

} // namespace

void initialize_processor_calls()
{
    set_interrupt_handler(call_function_vector, handle_call_interrupt, nullptr);
    set_interrupt_handler(reschedule_vector, handle_reschedule_interrupt, nullptr);
}

u32 stop_other_processors()
{
    if (!local_apic_ready())
        return 0;
    u32 self = current_processor_index();
    u32 stopped = 0;
    for (u32 index = 0; index < processor_count(); ++index) {
        if (index != self && __atomic_load_n(&processor(index).online, __ATOMIC_ACQUIRE)) {
            send_nmi(processor(index).apic_id);
            ++stopped;
        }
    }
    return stopped;
}

void send_reschedule(u32 index)
{
    send_ipi(processor(index).apic_id, reschedule_vector);
}

u64 reschedule_interrupts_received(u32 index)
{
    return __atomic_load_n(&s_reschedules_received[index], __ATOMIC_RELAXED);
}

void process_pending_processor_calls()
{
    // Called from wait loops that may have interrupts on: the function must still run as it
    // would in the call's own interrupt, uninterrupted (it touches per-CPU state).
    InterruptsDisabled interrupts_disabled;
    Mailbox& mailbox = s_mailboxes[current_processor_index()];
    if (!__atomic_exchange_n(&mailbox.pending, 0u, __ATOMIC_ACQUIRE))
        return;
    mailbox.function(mailbox.argument);
    __atomic_store_n(&mailbox.completed, 1u, __ATOMIC_RELEASE);
}

void run_on_processor(u32 index, ProcessorFunction function, void* argument)
{
    // Interrupts off from claiming the target's mailbox to releasing it: the calling thread
    // must not be preempted while it owns the mailbox, or another thread of this CPU
    // posting to the same target would wait for it forever.
    InterruptsDisabled interrupts_disabled;
    if (index == current_processor_index()) {
        function(argument);
        return;
    }
    post_call(index, function, argument);
    wait_and_release(index);
}

void run_on_other_processors(ProcessorFunction function, void* argument)
{
    InterruptsDisabled interrupts_disabled;
    // One snapshot of the targets: a CPU coming online meanwhile is neither posted to nor
    // waited for (it starts after the change it would have been told about).
    u32 self = current_processor_index();
    u32 count = processor_count();
    bool posted[max_processors] {};
    for (u32 index = 0; index < count; ++index) {
        if (index != self && __atomic_load_n(&processor(index).online, __ATOMIC_ACQUIRE)) {
            post_call(index, function, argument);
            posted[index] = true;
        }
    }
    for (u32 index = 0; index < count; ++index) {
        if (posted[index])
            wait_and_release(index);
    }
}

} // namespace Kernel::Arch
