#include <Core/Assertions.h>
#include <Kernel/Arch/x86_64/GDT.h>
#include <Kernel/Arch/x86_64/StaticStacks.h>

namespace Kernel::Arch {

namespace {

constexpr Core::usize interrupt_stack_count = 3;

TaskStateSegment s_task_state_segment;

// null, kernel code, kernel data, then the 16-byte TSS descriptor.
Core::u64 s_gdt[5];

struct [[gnu::packed]] DescriptorTablePointer {
    Core::u16 limit;
    Core::u64 base;
};

} // namespace

void initialize_gdt_and_tss()
{
    for (Core::u8 index = 1; index <= interrupt_stack_count; ++index)
        s_task_state_segment.ist[index - 1] = interrupt_stack_range(index).top;
    // No I/O permission bitmap: point past the end of the segment.
    s_task_state_segment.io_map_base = sizeof(TaskStateSegment);

    s_gdt[0] = 0;
    s_gdt[1] = 0x00AF9A000000FFFFull; // present, ring 0, code, long mode
    s_gdt[2] = 0x00CF92000000FFFFull; // present, ring 0, data, writable

    // Only the address is taken, for the descriptor: s_task_state_segment is a static, so
    // the address stays valid for as long as the GDT refers to it.
    auto tss_base = reinterpret_cast<Core::u64>(&s_task_state_segment);
    Core::u64 tss_limit = sizeof(TaskStateSegment) - 1;
    s_gdt[3] = (tss_limit & 0xFFFF) | ((tss_base & 0xFFFFFF) << 16)
        | (0x89ull << 40) // present, 64-bit TSS (available)
        | (((tss_limit >> 16) & 0xF) << 48) | (((tss_base >> 24) & 0xFF) << 56);
    s_gdt[4] = tss_base >> 32;

    // lgdt wants the linear address of the table; s_gdt is a static, so it stays put.
    DescriptorTablePointer pointer { sizeof(s_gdt) - 1, reinterpret_cast<Core::u64>(&s_gdt) };

    // Invariant: `pointer` describes s_gdt, which lives for the whole run of the kernel.
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

const TaskStateSegment& current_task_state_segment()
{
    return s_task_state_segment;
}

Core::u16 read_task_register()
{
    Core::u16 selector;
    // str only copies the task register's selector into a general register: no memory, no
    // flags. volatile keeps it from being cached, since ltr can change the value.
    asm volatile("str %0" : "=r"(selector));
    return selector;
}

InterruptStackRange interrupt_stack_range(Core::u8 ist_index)
{
    VERIFY(ist_index >= 1 && ist_index <= interrupt_stack_count);
    // static_kernel_stacks() lists the boot stack first, then the IST stacks in IST order.
    const StaticStack& stack = static_kernel_stacks()[ist_index];
    return { stack.bottom, stack.top };
}

} // namespace Kernel::Arch
