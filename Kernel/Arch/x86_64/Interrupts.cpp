#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/FaultCatcher.h>
#include <Kernel/Arch/x86_64/GDT.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/LocalApic.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>
#include <Kernel/Arch/x86_64/UserCopy.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Memory/UserRange.h>
#include <Kernel/Panic/Panic.h>

extern "C" char interrupt_entry_points[];
extern "C" char interrupt_entry_points_end[];

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
constexpr Core::usize entry_point_size = 16;
constexpr Core::u8 present_ring0_interrupt_gate = 0x8E;

InterruptGate s_idt[vector_count];
Core::u64 s_breakpoint_count = 0;
Core::u64 s_unexpected_interrupts = 0;

struct HandlerSlot {
    InterruptHandler handler;
    void* context;
};
// Written only while the vector is unused (install) or by its owner (free); read by the
// dispatcher. Each slot is two words published in order: context first, then handler.
HandlerSlot s_handlers[vector_count];
InterruptExitHook s_interrupt_exit_hook = nullptr;
UserFaultHandler s_user_fault_handler = nullptr;
PageFaultResolver s_page_fault_resolver = nullptr;
// Interrupt handlers running on each CPU (they do not nest today: handlers run with
// interrupts off), by processor index.
Core::u32 s_handler_depth[max_processors] {};
// The device vector each CPU is dispatching now (0: none), by processor index, so that
// free_interrupt_vector can wait until no handler of a freed vector still runs.
Core::u32 s_dispatching_vector[max_processors] {};
Locking::Spinlock s_vector_allocation_lock("interrupt vectors", Locking::LockRank::Leaf);

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

// The legacy 8259 PICs power up delivering IRQs on vectors 8-15, on top of CPU exceptions.
// They are remapped to 0x20-0x2F (so that even a spurious IRQ 7 or 15, which masking
// cannot stop, lands on a harmless vector) and then fully masked: the IOAPIC delivers
// device interrupts.
void disable_legacy_pic()
{
    constexpr Core::u16 primary_command = 0x20, primary_data = 0x21;
    constexpr Core::u16 secondary_command = 0xA0, secondary_data = 0xA1;
    out8(primary_command, 0x11); // ICW1: initialise, ICW4 follows
    out8(secondary_command, 0x11);
    out8(primary_data, legacy_pic_base_vector); // ICW2: vector base
    out8(secondary_data, legacy_pic_base_vector + 8);
    out8(primary_data, 0x04); // ICW3: secondary on IRQ 2
    out8(secondary_data, 0x02);
    out8(primary_data, 0x01); // ICW4: 8086 mode
    out8(secondary_data, 0x01);
    out8(primary_data, 0xFF); // mask everything
    out8(secondary_data, 0xFF);
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

void load_interrupt_table_on_this_cpu()
{
    DescriptorTablePointer pointer { sizeof(s_idt) - 1, reinterpret_cast<Core::u64>(&s_idt) };
    // Invariant: s_idt lives for the whole run of the kernel and every gate points at a
    // entry point in interrupt_entry_points.
    asm volatile("lidt %0" ::"m"(pointer) : "memory");
}

void set_interrupt_handler(Core::u8 vector, InterruptHandler handler, void* context)
{
    VERIFY(vector >= 32 && handler);
    Locking::SpinlockLocker locker(s_vector_allocation_lock);
    VERIFY(!s_handlers[vector].handler);
    s_handlers[vector].context = context;
    __atomic_store_n(&s_handlers[vector].handler, handler, __ATOMIC_RELEASE);
}

Core::Result<Core::u8> allocate_interrupt_vector(InterruptHandler handler, void* context)
{
    VERIFY(handler);
    Locking::SpinlockLocker locker(s_vector_allocation_lock);
    for (Core::u32 vector = first_device_vector; vector <= last_device_vector; ++vector) {
        if (s_handlers[vector].handler)
            continue;
        s_handlers[vector].context = context;
        __atomic_store_n(&s_handlers[vector].handler, handler, __ATOMIC_RELEASE);
        return static_cast<Core::u8>(vector);
    }
    return Core::ErrorCode::Busy;
}

void free_interrupt_vector(Core::u8 vector)
{
    {
        Locking::SpinlockLocker locker(s_vector_allocation_lock);
        // Sequentially consistent, as is the dispatcher's store of the vector it serves
        // before it loads the handler: either that load sees null, or the loop below sees
        // the dispatch and waits for it.
        __atomic_store_n(&s_handlers[vector].handler, nullptr, __ATOMIC_SEQ_CST);
    }
    // A handler that loaded the old entry may still run on another CPU, using its
    // context; the owner frees the context once this returns. Wait it out, serving
    // cross-CPU calls meanwhile: the handler may be waiting for this CPU to run one (a
    // wake-up).
    Core::u32 self = current_processor_index();
    for (Core::u32 index = 0; index < processor_count(); ++index) {
        if (index == self)
            continue;
        while (__atomic_load_n(&s_dispatching_vector[index], __ATOMIC_SEQ_CST) == vector) {
            process_pending_processor_calls();
            pause();
        }
    }
    Locking::SpinlockLocker locker(s_vector_allocation_lock);
    if (!s_handlers[vector].handler)
        s_handlers[vector].context = nullptr;
}

void set_user_fault_handler(UserFaultHandler handler)
{
    __atomic_store_n(&s_user_fault_handler, handler, __ATOMIC_RELEASE);
}

void set_page_fault_resolver(PageFaultResolver resolver)
{
    __atomic_store_n(&s_page_fault_resolver, resolver, __ATOMIC_RELEASE);
}

namespace {

// Whether a page fault may be a mapped page that is not present yet: the present bit and
// the reserved-bit flag of the error code are clear, the address is a user address, and
// the access came from user mode or from the kernel's one sanctioned access to user
// memory, the user-copy instruction. Any other kernel access to user memory stays a fault
// (a SMAP violation, say), never a page quietly made present.
bool may_be_demand_fault(const RegisterState& registers, Core::u64 address)
{
    constexpr Core::u64 present = 1u << 0;
    constexpr Core::u64 reserved_bit = 1u << 3;
    if (registers.vector != page_fault_vector || (registers.error_code & (present | reserved_bit)) != 0)
        return false;
    if (!Memory::is_user_range(address, 1))
        return false;
    return (registers.cs & 3) == 3 || is_user_copy_instruction(registers.rip);
}

} // namespace

void set_interrupt_exit_hook(InterruptExitHook hook)
{
    __atomic_store_n(&s_interrupt_exit_hook, hook, __ATOMIC_RELEASE);
}

bool in_interrupt_handler()
{
    return s_handler_depth[current_processor_index()] != 0;
}

Core::u64 unexpected_interrupt_count()
{
    return __atomic_load_n(&s_unexpected_interrupts, __ATOMIC_RELAXED);
}

Core::u64 breakpoint_count()
{
    return __atomic_load_n(&s_breakpoint_count, __ATOMIC_RELAXED);
}

void initialize_interrupts()
{
    // interrupt_entry_points and interrupt_entry_points_end bracket the entry point block in the kernel's
    // text (InterruptEntry.S): one entry_point_size-aligned entry per vector. Only their
    // addresses are used, to fill the gates; the VERIFY checks the block really holds
    // vector_count entries.
    auto entry_points_base = reinterpret_cast<Core::u64>(interrupt_entry_points);
    VERIFY(reinterpret_cast<Core::u64>(interrupt_entry_points_end) - entry_points_base
        == vector_count * entry_point_size);
    for (Core::usize vector = 0; vector < vector_count; ++vector) {
        Core::u64 handler = entry_points_base + vector * entry_point_size;
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
    disable_legacy_pic();

    // lidt wants the linear address of the table; s_idt is a static, so it stays put.
    load_interrupt_table_on_this_cpu();
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
    if (registers->vector >= 32) {
        auto vector = static_cast<Core::u8>(registers->vector);
        // Spurious interrupts (the APIC's, and the remapped PIC's IRQ 7/15) get no EOI.
        if (vector == Arch::spurious_interrupt_vector
            || (vector >= Arch::legacy_pic_base_vector && vector < Arch::legacy_pic_base_vector + 16))
            return;
        Core::u32 cpu = Arch::current_processor_index();
        // Published before the handler is loaded (free_interrupt_vector waits on it).
        __atomic_store_n(&Arch::s_dispatching_vector[cpu], vector, __ATOMIC_SEQ_CST);
        Arch::InterruptHandler handler = __atomic_load_n(&Arch::s_handlers[vector].handler, __ATOMIC_SEQ_CST);
        Core::u32& depth = Arch::s_handler_depth[cpu];
        ++depth;
        if (handler)
            handler(*registers, Arch::s_handlers[vector].context);
        else
            __atomic_add_fetch(&Arch::s_unexpected_interrupts, 1, __ATOMIC_RELAXED);
        --depth;
        __atomic_store_n(&Arch::s_dispatching_vector[cpu], 0u, __ATOMIC_RELEASE);
        Arch::end_of_interrupt();
        // After the EOI, so a switch to another thread here cannot hold off interrupts.
        if (auto hook = __atomic_load_n(&Arch::s_interrupt_exit_hook, __ATOMIC_ACQUIRE))
            hook(*registers);
        return;
    }
    // An NMI while the system is panicking is the panicking CPU telling this one to stop.
    if (registers->vector == 2 && Panic::is_panicking())
        Arch::halt_forever();
    if (registers->vector == Arch::page_fault_vector) {
        Core::u64 address = Arch::read_cr2();
        auto resolver = __atomic_load_n(&Arch::s_page_fault_resolver, __ATOMIC_ACQUIRE);
        if (resolver && Arch::may_be_demand_fault(*registers, address) && resolver(address, *registers))
            return;
    }
    if (Arch::redirect_fault_in_user_copy(*registers))
        return;
    if (Arch::redirect_fault_to_catcher(*registers))
        return;
    // A fault in user mode is the program's, not the kernel's: it ends the program. Not an
    // NMI or machine check that happens to arrive while user code runs, nor a double fault
    // (which means the kernel failed to take an exception): those run on IST stacks, and
    // are the kernel's to report.
    bool runs_on_ist_stack = registers->vector == 2 || registers->vector == 8 || registers->vector == 18;
    if ((registers->cs & 3) == 3 && registers->vector < 32 && !runs_on_ist_stack) {
        if (auto handler = __atomic_load_n(&Arch::s_user_fault_handler, __ATOMIC_ACQUIRE))
            handler(*registers);
    }
    Panic::panic_on_exception(*registers);
}
