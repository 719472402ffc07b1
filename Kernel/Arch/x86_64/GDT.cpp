#include <Core/Assertions.h>
#include <Kernel/Arch/x86_64/GDT.h>

namespace Kernel::Arch {

namespace {

struct [[gnu::packed]] DescriptorTablePointer {
    Core::u16 limit;
    Core::u64 base;
};

} // namespace

void load_gdt_and_tss(Core::u64 (&gdt)[gdt_entry_count], TaskStateSegment& task_state,
    const InterruptStackRange (&interrupt_stacks)[3])
{
    task_state = {};
    for (Core::u8 index = 0; index < 3; ++index)
        task_state.ist[index] = interrupt_stacks[index].top;
    // No I/O permission bitmap: point past the end of the segment.
    task_state.io_map_base = sizeof(TaskStateSegment);

    gdt[0] = 0;
    gdt[1] = 0x00AF9A000000FFFFull; // present, ring 0, code, long mode
    gdt[2] = 0x00CF92000000FFFFull; // present, ring 0, data, writable
    gdt[3] = 0x00CFF2000000FFFFull; // present, ring 3, data, writable
    gdt[4] = 0x00AFFA000000FFFFull; // present, ring 3, code, long mode

    // Only the address is taken, for the descriptor: the caller keeps task_state alive for
    // as long as the GDT refers to it.
    auto tss_base = reinterpret_cast<Core::u64>(&task_state);
    Core::u64 tss_limit = sizeof(TaskStateSegment) - 1;
    gdt[5] = (tss_limit & 0xFFFF) | ((tss_base & 0xFFFFFF) << 16)
        | (0x89ull << 40) // present, 64-bit TSS (available)
        | (((tss_limit >> 16) & 0xF) << 48) | (((tss_base >> 24) & 0xFF) << 56);
    gdt[6] = tss_base >> 32;

    // lgdt wants the linear address of the table, which the caller keeps in place.
    DescriptorTablePointer pointer { sizeof(gdt) - 1, reinterpret_cast<Core::u64>(&gdt) };

    // Invariant: `pointer` describes `gdt`, which lives for the whole run of the CPU.
    // After lgdt, CS is reloaded with a far return (the only way in 64-bit mode) and the
    // data segment registers are loaded with the kernel data selector.
    asm volatile("lgdt %0\n"
                 "pushq %1\n"
                 "leaq 1f(%%rip), %%rax\n"
                 "pushq %%rax\n"
                 "lretq\n"
                 "1:\n"
                 "mov %2, %%ds\n"
                 "mov %2, %%es\n"
                 "mov %2, %%ss\n"
                 :
                 : "m"(pointer), "i"(kernel_code_selector), "r"(static_cast<Core::u32>(kernel_data_selector))
                 : "rax", "memory");
    // ltr marks the descriptor busy; it must be the available TSS type loaded above.
    asm volatile("ltr %0" ::"r"(task_state_selector) : "memory");
}

Core::u16 read_task_register()
{
    Core::u16 selector;
    // str only copies the task register's selector into a general register: no memory, no
    // flags. volatile keeps it from being cached, since ltr can change the value.
    asm volatile("str %0" : "=r"(selector));
    return selector;
}

} // namespace Kernel::Arch
