#include <Kernel/Arch/x86_64/GDT.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Test/KernelTest.h>

extern "C" char interrupt_stubs[];

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
    const auto& tss = Kernel::Arch::current_task_state_segment();
    Core::u8 slots[]
        = { Kernel::Arch::double_fault_ist, Kernel::Arch::nmi_ist, Kernel::Arch::machine_check_ist };
    for (Core::u8 slot : slots) {
        auto range = Kernel::Arch::interrupt_stack_range(slot);
        EXPECT_EQ(tss.ist[slot - 1], range.top);
        EXPECT(range.top > range.bottom);
        EXPECT_EQ(range.top % 16, 0u);
        for (Core::u8 other : slots) {
            if (other == slot)
                continue;
            auto other_range = Kernel::Arch::interrupt_stack_range(other);
            EXPECT(range.top <= other_range.bottom || other_range.top <= range.bottom);
        }
    }
}

KERNEL_TEST(interrupts, every_idt_gate_points_at_its_stub)
{
    DescriptorTablePointer pointer {};
    asm volatile("sidt %0" : "=m"(pointer));
    EXPECT_EQ(pointer.limit, 256u * 16 - 1);
    // Invariant: sidt returned the IDT this kernel loaded, 256 gates of 16 bytes each,
    // which lives in kernel .bss for the whole run.
    auto* gates = reinterpret_cast<const Core::u64*>(pointer.base);
    auto stubs = reinterpret_cast<Core::u64>(interrupt_stubs);
    Core::u32 wrong = 0;
    for (Core::u64 vector = 0; vector < 256; ++vector) {
        Core::u64 low = gates[vector * 2];
        Core::u64 high = gates[vector * 2 + 1];
        Core::u64 target = (low & 0xFFFF) | ((low >> 32) & 0xFFFF0000) | (high << 32);
        Core::u8 attributes = static_cast<Core::u8>(low >> 40);
        Core::u16 selector = static_cast<Core::u16>(low >> 16);
        if (target != stubs + vector * 16 || attributes != 0x8E
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
    Core::u64 rbx_after;
    Core::u64 r12_after;
    Core::u64 r15_after;
    // Loads known values into registers the handler path saves and restores, traps with
    // int3, and reads them back. Only the named registers are touched.
    asm volatile("mov $0x1111222233334444, %%rbx\n"
                 "mov $0x5555666677778888, %%r12\n"
                 "mov $0x9999aaaabbbbcccc, %%r15\n"
                 "int3\n"
                 "mov %%rbx, %0\n"
                 "mov %%r12, %1\n"
                 "mov %%r15, %2\n"
                 : "=r"(rbx_after), "=r"(r12_after), "=r"(r15_after)
                 :
                 : "rbx", "r12", "r15", "memory");
    EXPECT_EQ(Kernel::Arch::breakpoint_count(), before + 1);
    EXPECT_EQ(rbx_after, 0x1111222233334444ull);
    EXPECT_EQ(r12_after, 0x5555666677778888ull);
    EXPECT_EQ(r15_after, 0x9999aaaabbbbccccull);
}
