#include <Kernel/Arch/x86_64/GDT.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Test/KernelTest.h>

extern "C" char interrupt_entry_points[];

namespace {

struct [[gnu::packed]] DescriptorTablePointer {
    Core::u16 limit;
    Core::u64 base;
};

} // namespace

KERNEL_TEST(cpu, task_register_holds_the_kernel_tss)
{
    EXPECT_EQ(Kernel::Arch::read_task_register(), Kernel::Arch::task_state_selector);
}

KERNEL_TEST(cpu, ist_stacks_are_set_and_disjoint)
{
    // The TSS this CPU loaded (read back through the task register's descriptor in the
    // GDT) must point each IST slot at the top of a distinct 16 KiB stack.
    const auto& processor = Kernel::Arch::current_processor();
    constexpr Core::u32 tss_entry = Kernel::Arch::task_state_selector / 8;
    Core::u64 tss_base = ((processor.gdt[tss_entry] >> 16) & 0xFFFFFF)
        | (((processor.gdt[tss_entry] >> 56) & 0xFF) << 24) | (processor.gdt[tss_entry + 1] << 32);
    EXPECT_EQ(tss_base, reinterpret_cast<Core::u64>(&processor.task_state));
    for (Core::u32 slot = 0; slot < 3; ++slot) {
        const auto& range = processor.interrupt_stacks[slot];
        EXPECT_EQ(processor.task_state.ist[slot], range.top);
        EXPECT_EQ(range.top - range.bottom, 16u * 1024);
        EXPECT_EQ(range.top % 16, 0u);
        for (Core::u32 other = 0; other < 3; ++other) {
            if (other == slot)
                continue;
            const auto& other_range = processor.interrupt_stacks[other];
            EXPECT(range.top <= other_range.bottom || other_range.top <= range.bottom);
        }
    }
}

KERNEL_TEST(cpu, gs_base_points_at_this_processor)
{
    const auto& processor = Kernel::Arch::current_processor();
    EXPECT(processor.self == &processor);
    EXPECT_EQ(Kernel::Arch::current_processor_index(), processor.index);
    EXPECT(processor.online);
    EXPECT(&Kernel::Arch::processor(processor.index) == &processor);
}

KERNEL_TEST(interrupts, every_idt_gate_points_at_its_entry_point)
{
    DescriptorTablePointer pointer {};
    // sidt stores exactly 10 bytes (16-bit limit, 64-bit base) at its operand, which is
    // why the packed DescriptorTablePointer (sizeof 10) is the "=m" output; no flags change.
    asm volatile("sidt %0" : "=m"(pointer));
    EXPECT_EQ(pointer.limit, 256u * 16 - 1);
    // Invariant: sidt returned the IDT this kernel loaded, 256 gates of 16 bytes each,
    // which lives in kernel .bss for the whole run.
    auto* gates = reinterpret_cast<const Core::u64*>(pointer.base);
    // Only the address of the entry point block is needed, to compare against gate targets.
    auto entry_points = reinterpret_cast<Core::u64>(interrupt_entry_points);
    Core::u32 wrong = 0;
    for (Core::u64 vector = 0; vector < 256; ++vector) {
        Core::u64 low = gates[vector * 2];
        Core::u64 high = gates[vector * 2 + 1];
        Core::u64 target = (low & 0xFFFF) | ((low >> 32) & 0xFFFF0000) | (high << 32);
        Core::u8 attributes = static_cast<Core::u8>(low >> 40);
        Core::u16 selector = static_cast<Core::u16>(low >> 16);
        if (target != entry_points + vector * 16 || attributes != 0x8E
            || selector != Kernel::Arch::kernel_code_selector)
            ++wrong;
    }
    EXPECT_EQ(wrong, 0u);
    // The faults that may arrive on a broken stack use their own IST stacks.
    EXPECT_EQ((gates[8 * 2] >> 32) & 7, Kernel::Arch::double_fault_ist);
    EXPECT_EQ((gates[2 * 2] >> 32) & 7, Kernel::Arch::nmi_ist);
    EXPECT_EQ((gates[18 * 2] >> 32) & 7, Kernel::Arch::machine_check_ist);
}

KERNEL_TEST(interrupts, breakpoint_returns_with_registers_intact)
{
    Core::u64 before = Kernel::Arch::breakpoint_count();
    // Loads a distinct value into every general register the entry point saves (the
    // caller-saved ones matter most: the C++ handler is free to clobber them), traps with
    // int3, and stores each register back into `after` right after the trap. RBP and RSP
    // are left alone (frame and stack); RAX holds the output pointer.
    Core::u64 after[13] {};
    Core::u64* output = after;
    asm volatile(
        "push %%rax\n"
        "mov $0x1111, %%rbx\n"
        "mov $0x2222, %%rcx\n"
        "mov $0x3333, %%rdx\n"
        "mov $0x4444, %%rsi\n"
        "mov $0x5555, %%rdi\n"
        "mov $0x6666, %%r8\n"
        "mov $0x7777, %%r9\n"
        "mov $0x8888, %%r10\n"
        "mov $0x9999, %%r11\n"
        "mov $0xaaaa, %%r12\n"
        "mov $0xbbbb, %%r13\n"
        "mov $0xcccc, %%r14\n"
        "mov $0xdddd, %%r15\n"
        "mov $0xeeee, %%rax\n"
        "int3\n"
        "xchg %%rax, (%%rsp)\n"
        "mov %%rbx, 0(%%rax)\n"
        "mov %%rcx, 8(%%rax)\n"
        "mov %%rdx, 16(%%rax)\n"
        "mov %%rsi, 24(%%rax)\n"
        "mov %%rdi, 32(%%rax)\n"
        "mov %%r8, 40(%%rax)\n"
        "mov %%r9, 48(%%rax)\n"
        "mov %%r10, 56(%%rax)\n"
        "mov %%r11, 64(%%rax)\n"
        "mov %%r12, 72(%%rax)\n"
        "mov %%r13, 80(%%rax)\n"
        "mov %%r14, 88(%%rax)\n"
        "pop %%rbx\n"
        "mov %%rbx, 96(%%rax)\n"
        : "+a"(output)
        :
        : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory");
    EXPECT_EQ(Kernel::Arch::breakpoint_count(), before + 1);
    const Core::u64 expected[13] = { 0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777, 0x8888, 0x9999,
        0xaaaa, 0xbbbb, 0xcccc, 0xeeee };
    for (Core::u32 index = 0; index < 13; ++index)
        EXPECT_EQ(after[index], expected[index]);
}
