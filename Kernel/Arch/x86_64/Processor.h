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
    // null, kernel code, kernel data, then the 16-byte TSS descriptor of `task_state`.
    Core::u64 gdt[5];
    TaskStateSegment task_state;
    // IST stacks, in IST order (double fault, NMI, machine check).
    InterruptStackRange interrupt_stacks[3];
    bool online;
};

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

// Adds a processor (an application processor found in the MADT) to the table, with the
// given interrupt stacks. Returns nothing when the table is full.
[[nodiscard]] Processor* register_processor(
    Core::u32 apic_id, const InterruptStackRange (&interrupt_stacks)[3]);

[[nodiscard]] Core::u32 processor_count();
[[nodiscard]] Processor& processor(Core::u32 index);
[[nodiscard]] Core::u32 online_processor_count();

} // namespace Kernel::Arch
