#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/FaultCatcher.h>
#include <Kernel/Arch/x86_64/GDT.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Panic/Panic.h>

extern "C" char interrupt_stubs[];
extern "C" char interrupt_stubs_end[];

namespace Kernel::Arch {

namespace {

struct [[gnu::packed]] InterruptGate {
    Core::u16 offset_low;
    Core::u16 selector;
    Core::u8 ist;
    Core::u8 type_attributes;
    Core::u16 offset_middle;
    Core::u32 offset_high;
    Core::u32 reserved;
};
static_assert(sizeof(InterruptGate) == 16);

struct [[gnu::packed]] DescriptorTablePointer {
    Core::u16 limit;
    Core::u64 base;
};

constexpr Core::usize vector_count = 256;
constexpr Core::usize stub_size = 16;
constexpr Core::u8 present_ring0_interrupt_gate = 0x8E;

InterruptGate s_idt[vector_count];
Core::u64 s_breakpoint_count = 0;

struct ExceptionDescription {
    const char* mnemonic;
    const char* name;
};

constexpr ExceptionDescription s_exceptions[32] = {
    { "#DE", "Divide Error" },
    { "#DB", "Debug" },
    { "NMI", "Non-Maskable Interrupt" },
    { "#BP", "Breakpoint" },
    { "#OF", "Overflow" },
    { "#BR", "Bound Range Exceeded" },
    { "#UD", "Invalid Opcode" },
    { "#NM", "Device Not Available" },
    { "#DF", "Double Fault" },
    { "CSO", "Coprocessor Segment Overrun" },
    { "#TS", "Invalid TSS" },
    { "#NP", "Segment Not Present" },
    { "#SS", "Stack-Segment Fault" },
    { "#GP", "General Protection" },
    { "#PF", "Page Fault" },
    { "#15", "Reserved" },
    { "#MF", "x87 Floating-Point Error" },
    { "#AC", "Alignment Check" },
    { "#MC", "Machine Check" },
    { "#XM", "SIMD Floating-Point Error" },
    { "#VE", "Virtualization Exception" },
    { "#CP", "Control Protection" },
    { "#22", "Reserved" },
    { "#23", "Reserved" },
    { "#24", "Reserved" },
    { "#25", "Reserved" },
    { "#26", "Reserved" },
    { "#27", "Reserved" },
    { "#HV", "Hypervisor Injection" },
    { "#VC", "VMM Communication" },
    { "#SX", "Security Exception" },
    { "#31", "Reserved" },
};

Core::u8 ist_for_vector(Core::usize vector)
{
    switch (vector) {
    case 2:
        return nmi_ist;
    case 8:
        return double_fault_ist;
    case 18:
        return machine_check_ist;
    default:
        return 0;
    }
}

} // namespace

Core::StringView exception_name(Core::u64 vector)
{
    return vector < 32 ? s_exceptions[vector].name : "Interrupt";
}

Core::StringView exception_mnemonic(Core::u64 vector)
{
    return vector < 32 ? s_exceptions[vector].mnemonic : "";
}

Core::u64 breakpoint_count()
{
    return __atomic_load_n(&s_breakpoint_count, __ATOMIC_RELAXED);
}

void initialize_interrupts()
{
    // interrupt_stubs and interrupt_stubs_end bracket the stub block in the kernel's
    // text (InterruptEntry.S): one stub_size-aligned entry per vector. Only their
    // addresses are used, to fill the gates; the VERIFY checks the block really holds
    // vector_count entries.
    auto stubs_base = reinterpret_cast<Core::u64>(interrupt_stubs);
    VERIFY(reinterpret_cast<Core::u64>(interrupt_stubs_end) - stubs_base == vector_count * stub_size);
    for (Core::usize vector = 0; vector < vector_count; ++vector) {
        Core::u64 handler = stubs_base + vector * stub_size;
        s_idt[vector] = {
            .offset_low = static_cast<Core::u16>(handler & 0xFFFF),
            .selector = kernel_code_selector,
            .ist = ist_for_vector(vector),
            .type_attributes = present_ring0_interrupt_gate,
            .offset_middle = static_cast<Core::u16>((handler >> 16) & 0xFFFF),
            .offset_high = static_cast<Core::u32>(handler >> 32),
            .reserved = 0,
        };
    }
    // The legacy 8259 PICs would deliver IRQs on vectors 8-15, on top of CPU exceptions.
    // Mask every line on both until the interrupt-controller work (M1.3) takes over.
    constexpr Core::u16 primary_pic_data_port = 0x21;
    constexpr Core::u16 secondary_pic_data_port = 0xA1;
    out8(primary_pic_data_port, 0xFF);
    out8(secondary_pic_data_port, 0xFF);

    // lidt wants the linear address of the table; s_idt is a static, so it stays put.
    DescriptorTablePointer pointer { sizeof(s_idt) - 1, reinterpret_cast<Core::u64>(&s_idt) };
    // Invariant: s_idt lives for the whole run of the kernel and every gate points at a
    // stub in interrupt_stubs.
    asm volatile("lidt %0" ::"m"(pointer) : "memory");
}

} // namespace Kernel::Arch

// Called from interrupt_common with the saved state. Runs with interrupts off (all
// gates are interrupt gates).
extern "C" void interrupt_dispatch(Kernel::Arch::RegisterState* registers)
{
    using namespace Kernel;
    if (registers->vector == Arch::breakpoint_vector) {
        // Only counted: this may interrupt code holding the log lock, so nothing here logs.
        __atomic_add_fetch(&Arch::s_breakpoint_count, 1, __ATOMIC_RELAXED);
        return;
    }
    if (Arch::redirect_fault_to_catcher(*registers))
        return;
    Panic::panic_on_exception(*registers);
}
