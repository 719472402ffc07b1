#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/LocalApic.h>
#include <Kernel/Memory/MemoryManager.h>

namespace Kernel::Arch {

namespace {

// Register offsets (xAPIC); in x2APIC mode register R is MSR 0x800 + R / 16.
constexpr u32 id_register = 0x020;
constexpr u32 task_priority_register = 0x080;
constexpr u32 end_of_interrupt_register = 0x0B0;
constexpr u32 spurious_vector_register = 0x0F0;
constexpr u32 error_status_register = 0x280;
constexpr u32 interrupt_command_low = 0x300;
constexpr u32 interrupt_command_high = 0x310;
constexpr u32 timer_vector_register = 0x320;
constexpr u32 lint0_vector_register = 0x350;
constexpr u32 lint1_vector_register = 0x360;
constexpr u32 error_vector_register = 0x370;
constexpr u32 timer_initial_count_register = 0x380;
constexpr u32 timer_current_count_register = 0x390;
constexpr u32 timer_divide_register = 0x3E0;

constexpr u32 apic_base_msr = 0x1B;
constexpr u64 apic_base_enable = 1ull << 11;
constexpr u64 apic_base_x2apic = 1ull << 10;
constexpr u32 x2apic_msr_base = 0x800;

constexpr u32 lvt_masked = 1u << 16;
constexpr u32 delivery_status_pending = 1u << 12;
constexpr u32 icr_level_assert = 1u << 14;
constexpr u32 icr_delivery_nmi = 4u << 8;
constexpr u32 icr_delivery_init = 5u << 8;
constexpr u32 icr_delivery_startup = 6u << 8;

volatile u32* s_registers = nullptr;
bool s_x2apic = false;
bool s_ready = false;

u32 read_register(u32 offset)
{
    if (s_x2apic)
        return static_cast<u32>(read_msr(x2apic_msr_base + offset / 16));
    // Invariant: s_registers maps the APIC's 4 KiB register page uncached; every offset
    // used here is a 16-byte aligned register inside it.
    return s_registers[offset / 4];
}

void write_register(u32 offset, u32 value)
{
    if (s_x2apic) {
        write_msr(x2apic_msr_base + offset / 16, value);
        return;
    }
    // Invariant: as in read_register.
    s_registers[offset / 4] = value;
}

void send_command(u32 apic_id, u32 command)
{
    // The two xAPIC writes must not be split by an interrupt handler sending its own IPI.
    InterruptsDisabled interrupts_disabled;
    if (s_x2apic) {
        // x2APIC: one 64-bit write, destination in the high half, no pending bit to poll.
        // WRMSR to the ICR is not serializing: the fences make earlier stores (a call's
        // mailbox) visible before the IPI can arrive (SDM 10.12.3).
        asm volatile("mfence; lfence" ::: "memory");
        write_msr(x2apic_msr_base + interrupt_command_low / 16, (static_cast<u64>(apic_id) << 32) | command);
        return;
    }
    // xAPIC: wait for the previous command to be accepted (bounded), then the destination,
    // then the low half, which sends.
    for (u32 poll = 0; poll < 1'000'000 && (read_register(interrupt_command_low) & delivery_status_pending);
         ++poll)
        pause();
    write_register(interrupt_command_high, apic_id << 24);
    write_register(interrupt_command_low, command);
}

} // namespace

Core::Result<void> initialize_local_apic(Core::u64 physical_base)
{
    s_x2apic = cpuid(1).ecx & (1u << 21);
    if (!s_x2apic) {
        void* registers = TRY(Memory::map_device(physical_base, 4096, CacheMode::Uncached));
        s_registers = static_cast<volatile u32*>(registers);
    }
    enable_local_apic_on_this_cpu();
    __atomic_store_n(&s_ready, true, __ATOMIC_RELEASE);
    return {};
}

bool local_apic_ready()
{
    return __atomic_load_n(&s_ready, __ATOMIC_ACQUIRE);
}

void enable_local_apic_on_this_cpu()
{
    u64 base = read_msr(apic_base_msr) | apic_base_enable;
    if (s_x2apic)
        base |= apic_base_x2apic;
    write_msr(apic_base_msr, base);
    // Accept every priority, mask the local interrupt lines (the IOAPIC delivers device
    // interrupts; LINT0/1 carry legacy PIC and NMI wiring we do not use), clear errors,
    // and software-enable the APIC with the spurious vector.
    write_register(task_priority_register, 0);
    write_register(lint0_vector_register, lvt_masked);
    write_register(lint1_vector_register, lvt_masked);
    write_register(error_vector_register, lvt_masked);
    write_register(timer_vector_register, lvt_masked);
    write_register(error_status_register, 0);
    write_register(spurious_vector_register, 0x100u | spurious_interrupt_vector);
    write_register(timer_divide_register, 0x3); // divide by 16
}

bool local_apic_uses_x2apic()
{
    return s_x2apic;
}

u32 local_apic_id()
{
    u32 value = read_register(id_register);
    return s_x2apic ? value : value >> 24;
}

void end_of_interrupt()
{
    write_register(end_of_interrupt_register, 0);
}

bool is_addressable_apic_id(u32 apic_id)
{
    return s_x2apic ? apic_id != 0xFFFFFFFFu : apic_id < 0xFF;
}

void send_ipi(u32 apic_id, u8 vector)
{
    send_command(apic_id, icr_level_assert | vector);
}

void send_nmi(u32 apic_id)
{
    send_command(apic_id, icr_level_assert | icr_delivery_nmi);
}

void send_init(u32 apic_id)
{
    send_command(apic_id, icr_level_assert | icr_delivery_init);
}

void send_startup(u32 apic_id, u8 entry_page)
{
    send_command(apic_id, icr_level_assert | icr_delivery_startup | entry_page);
}

void set_local_timer_one_shot(u32 initial_count)
{
    write_register(timer_vector_register, local_timer_vector);
    write_register(timer_initial_count_register, initial_count);
}

bool local_timer_supports_tsc_deadline()
{
    return cpuid(1).ecx & (1u << 24);
}

void set_local_timer_tsc_deadline(u64 deadline)
{
    constexpr u32 tsc_deadline_mode = 2u << 17;
    constexpr u32 tsc_deadline_msr = 0x6E0;
    write_register(timer_vector_register, tsc_deadline_mode | local_timer_vector);
    // The SDM asks for a fence between switching the LVT to TSC-deadline mode and writing
    // the deadline, so the MSR write cannot take effect under the old mode.
    asm volatile("mfence" ::: "memory");
    write_msr(tsc_deadline_msr, deadline);
}

u32 local_timer_current_count()
{
    return read_register(timer_current_count_register);
}

} // namespace Kernel::Arch
