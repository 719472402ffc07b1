#include <Core/Assertions.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/StaticStacks.h>

namespace Kernel::Arch {

namespace {

constexpr u32 gs_base_msr = 0xC0000101;

Processor s_boot_processor;
// Entry 0 is the boot processor; application processors are added as they are found.
// Entries are never removed, so a pointer to one stays valid.
Processor* s_processors[max_processors] = { &s_boot_processor };
u32 s_processor_count = 1;
u32 s_online_count = 0;

void write_gs_base(Processor* processor)
{
    write_msr(gs_base_msr, reinterpret_cast<u64>(processor));
}

} // namespace

Processor& boot_processor()
{
    if (!s_boot_processor.self) {
        // The boot CPU's interrupt stacks are the static ones with guard pages
        // (KernelStacks.S): entry 0 of that list is the boot stack, then the IST stacks.
        auto stacks = static_kernel_stacks();
        s_boot_processor.self = &s_boot_processor;
        s_boot_processor.index = 0;
        for (u32 slot = 0; slot < 3; ++slot)
            s_boot_processor.interrupt_stacks[slot] = { stacks[slot + 1].bottom, stacks[slot + 1].top };
    }
    return s_boot_processor;
}

void activate_processor(Processor& processor)
{
    load_gdt_and_tss(processor.gdt, processor.task_state, processor.interrupt_stacks);
    write_gs_base(&processor);
}

void mark_processor_online(Processor& processor)
{
    __atomic_store_n(&processor.online, true, __ATOMIC_RELEASE);
    __atomic_add_fetch(&s_online_count, 1, __ATOMIC_ACQ_REL);
}

Processor* register_processor(u32 apic_id, const InterruptStackRange (&interrupt_stacks)[3])
{
    if (s_processor_count == max_processors)
        return nullptr;
    static Processor s_application_processors[max_processors - 1];
    Processor& processor = s_application_processors[s_processor_count - 1];
    processor.self = &processor;
    processor.index = s_processor_count;
    processor.apic_id = apic_id;
    for (u32 slot = 0; slot < 3; ++slot)
        processor.interrupt_stacks[slot] = interrupt_stacks[slot];
    s_processors[s_processor_count] = &processor;
    __atomic_store_n(&s_processor_count, s_processor_count + 1, __ATOMIC_RELEASE);
    return &processor;
}

u32 processor_count()
{
    return __atomic_load_n(&s_processor_count, __ATOMIC_ACQUIRE);
}

Processor& processor(u32 index)
{
    VERIFY(index < processor_count());
    return *s_processors[index];
}

u32 online_processor_count()
{
    return __atomic_load_n(&s_online_count, __ATOMIC_ACQUIRE);
}

} // namespace Kernel::Arch
