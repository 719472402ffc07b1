#pragma once

// Per-CPU data. Every CPU has one Processor; GS base points at it, so the running CPU finds
// its own with a single load (current_processor()). It holds the CPU's GDT, TSS and
// interrupt stacks, and its identity (dense index, APIC id).
//
// Other subsystems keep their per-CPU state in arrays indexed by processor index
// (max_processors entries), so this structure does not grow with every subsystem.

#include <Core/Types.h>
#include <Kernel/Arch/x86_64/GDT.h>

namespace Kernel::Arch {

inline constexpr Core::u32 max_processors = 16;

struct Processor {
    // Must stay first: current_processor() reads it from gs:0.
    Processor* self;
    Core::u32 index;
    Core::u32 apic_id;
    // The stack a system call from user mode switches to: the top of the running thread's
    // kernel stack (also TSS.rsp0, for interrupts from user mode). Read by SyscallEntry.S
    // at a fixed offset.
    Core::u64 kernel_stack_top;
    // Where SyscallEntry.S keeps the user stack pointer while it switches stacks.
    Core::u64 user_stack_scratch;
    // The thread running on this CPU (a Tasks::Thread, which this layer does not know), set
    // by the scheduler at every switch (current_thread_pointer()).
    void* current_thread;
    // null, kernel code and data, user data and code, then the TSS descriptor.
    Core::u64 gdt[gdt_entry_count];
    TaskStateSegment task_state;
    // IST stacks, in IST order (double fault, NMI, machine check).
    InterruptStackRange interrupt_stacks[3];
    bool online;
};

// SyscallEntry.S addresses these fields through GS with these offsets.
inline constexpr Core::u64 processor_kernel_stack_top_offset = 16;
inline constexpr Core::u64 processor_user_stack_scratch_offset = 24;
static_assert(__builtin_offsetof(Processor, kernel_stack_top) == processor_kernel_stack_top_offset);
static_assert(__builtin_offsetof(Processor, user_stack_scratch) == processor_user_stack_scratch_offset);

// The boot CPU's Processor (static storage: it is needed before the heap exists).
[[nodiscard]] Processor& boot_processor();

// Loads the processor's GDT and TSS on the calling CPU and points GS base at it. Each CPU
// calls this once for its own Processor, first thing.
void activate_processor(Processor& processor);
// Publishes the CPU as online: from then on it receives cross-CPU calls, shootdowns and
// the panic NMI, so a CPU calls this only once its IDT, protections and APIC are set up.
void mark_processor_online(Processor& processor);

// The calling CPU's Processor. Valid once activate_processor() ran on this CPU.
[[nodiscard]] inline Processor& current_processor()
{
    Processor* processor;
    // Invariant: GS base holds this CPU's Processor, whose first field points to itself;
    // reading gs:0 is a plain load that touches nothing else.
    asm volatile("mov %%gs:0, %0" : "=r"(processor));
    return *processor;
}

[[nodiscard]] inline Core::u32 current_processor_index()
{
    Core::u32 index;
    // Invariant: as above; `index` is at a fixed offset in Processor.
    asm volatile("movl %%gs:%c1, %0" : "=r"(index) : "i"(__builtin_offsetof(Processor, index)));
    return index;
}

// The thread running on this CPU, as the scheduler last set it. One gs-relative load, so
// it needs no interrupts off: a thread that moves to another CPU around the load finds
// itself there too.
[[nodiscard]] inline void* current_thread_pointer()
{
    void* thread;
    // Invariant: as above; `current_thread` is at a fixed offset in Processor.
    asm volatile("mov %%gs:%c1, %0" : "=r"(thread) : "i"(__builtin_offsetof(Processor, current_thread)));
    return thread;
}

// Records the thread this CPU runs from now on. Interrupts must be off (the scheduler's
// switch), so that the record and the switch cannot be separated.
inline void set_current_thread_pointer(void* thread)
{
    current_processor().current_thread = thread;
}

// Adds a processor (an application processor found in the MADT) to the table, with the
// given interrupt stacks. Returns nothing when the table is full.
[[nodiscard]] Processor* register_processor(
    Core::u32 apic_id, const InterruptStackRange (&interrupt_stacks)[3]);

[[nodiscard]] Core::u32 processor_count();
[[nodiscard]] Processor& processor(Core::u32 index);
[[nodiscard]] Core::u32 online_processor_count();

} // namespace Kernel::Arch
