#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Platform/Power.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Platform {

namespace {

PowerControl s_control;

constexpr Core::u16 sleep_enable = 1u << 13;
constexpr Core::u16 sci_enable = 1u << 0;

// Only I/O-port PM1 blocks are supported: that is what every PC firmware uses; a
// memory-mapped one is reported and refused.
Core::Optional<Core::u16> io_port_of(const Core::Optional<ACPI::GenericAddress>& block)
{
    if (!block.has_value() || block->address_space != ACPI::AddressSpace::SystemIo || block->address > 0xFFFF)
        return {};
    return static_cast<Core::u16>(block->address);
}

// Puts the chipset in ACPI mode (SCI_EN) if firmware left it in legacy mode, as the spec's
// SMI handshake describes: write ACPI_ENABLE to the SMI command port, wait for SCI_EN.
void enable_acpi_mode(const ACPI::FadtInfo& fadt, Core::u16 pm1a_control)
{
    if (Arch::in16(pm1a_control) & sci_enable)
        return;
    if (fadt.smi_command_port == 0 || fadt.acpi_enable_value == 0 || fadt.smi_command_port > 0xFFFF)
        return;
    Arch::out8(static_cast<Core::u16>(fadt.smi_command_port), fadt.acpi_enable_value);
    Core::u64 start = Time::monotonic_nanoseconds();
    while (!(Arch::in16(pm1a_control) & sci_enable) && Time::monotonic_nanoseconds() - start < 1'000'000'000)
        Arch::pause();
}

} // namespace

void set_power_control(const PowerControl& control)
{
    s_control = control;
}

void power_off()
{
    Arch::disable_interrupts();
    if (s_control.fadt.has_value() && s_control.s5_sleep_type.has_value()) {
        const ACPI::FadtInfo& fadt = s_control.fadt.value();
        auto pm1a = io_port_of(fadt.pm1a_control_block);
        auto pm1b = io_port_of(fadt.pm1b_control_block);
        if (pm1a.has_value()) {
            Log::info("power: entering ACPI S5 (SLP_TYPa {}, SLP_TYPb {})", s_control.s5_sleep_type->type_a,
                s_control.s5_sleep_type->type_b);
            enable_acpi_mode(fadt, pm1a.value());
            // Keep the other control bits, replace SLP_TYP (bits 10..12), set SLP_EN.
            auto command = [](Core::u16 current, Core::u8 sleep_type) {
                return static_cast<Core::u16>(
                    (current & ~(0x7u << 10)) | (static_cast<Core::u16>(sleep_type) << 10) | sleep_enable);
            };
            if (pm1b.has_value())
                Arch::out16(pm1b.value(), command(Arch::in16(pm1b.value()), s_control.s5_sleep_type->type_b));
            Arch::out16(pm1a.value(), command(Arch::in16(pm1a.value()), s_control.s5_sleep_type->type_a));
            Time::busy_wait_nanoseconds(100'000'000);
            Log::error("power: the machine did not switch off");
        }
    } else {
        Log::error("power: no ACPI S5 information; stopping the CPU instead");
    }
    Arch::halt_forever();
}

void reboot()
{
    Arch::disable_interrupts();
    if (s_control.fadt.has_value() && s_control.fadt->reset_register.has_value()) {
        const ACPI::ResetRegister& reset = s_control.fadt->reset_register.value();
        Log::info("power: resetting through the ACPI reset register");
        if (reset.address.address_space == ACPI::AddressSpace::SystemIo && reset.address.address <= 0xFFFF) {
            Arch::out8(static_cast<Core::u16>(reset.address.address), reset.value);
        } else if (reset.address.address_space == ACPI::AddressSpace::SystemMemory) {
            auto mapped = Memory::map_device(reset.address.address, 1, Arch::CacheMode::Uncached);
            // Invariant: map_device mapped the reset register's byte uncached.
            if (!mapped.is_error())
                *static_cast<volatile Core::u8*>(mapped.value()) = reset.value;
        }
        Time::busy_wait_nanoseconds(100'000'000);
    }
    if (!s_control.fadt.has_value() || s_control.fadt->has_8042()) {
        Log::info("power: resetting through the 8042 keyboard controller");
        // Pulse the CPU reset line (command 0xFE) once the controller's input buffer is empty.
        for (Core::u32 poll = 0; poll < 100000 && (Arch::in8(0x64) & 0x02); ++poll)
            Arch::pause();
        Arch::out8(0x64, 0xFE);
        Time::busy_wait_nanoseconds(100'000'000);
    }
    Log::info("power: resetting with a triple fault");
    // An empty IDT makes the next exception unhandleable: the CPU shuts down and resets.
    struct [[gnu::packed]] {
        Core::u16 limit;
        Core::u64 base;
    } empty_table { 0, 0 };
    // Invariant: loads a zero-length IDT, then raises #BP; nothing is written to memory.
    asm volatile("lidt %0; int3" ::"m"(empty_table) : "memory");
    Arch::halt_forever();
}

} // namespace Kernel::Platform
