#pragma once

// Flags and limits of the timer and device system calls (docs/abi/syscalls.md,
// docs/devices.md), shared by the kernel and user space. Values are ABI: bits are never
// renumbered or reused, new ones take the next free bit, and unknown bits are refused
// with InvalidArgument.

#include <stdint.h>

namespace ABI {

// timer_create flags.
enum class TimerFlag : uint64_t {
    // A wait that returns with Fired also clears it, so each expiry releases one waiter
    // (what a periodic tick wants). Without it Fired stays raised until the timer is set
    // or cancelled again, and every waiter sees it.
    AutoReset = 1u << 0,
};
inline constexpr uint64_t known_timer_flags = static_cast<uint64_t>(TimerFlag::AutoReset);

// The shortest period timer_set accepts (100 microseconds): a periodic timer costs an
// interrupt per period on the CPU that armed it, so a shorter one would let a program
// flood a CPU with interrupts. One-shot timers (period 0) have no such limit.
inline constexpr uint64_t minimum_timer_period_ns = 100'000;

// interrupt_create flags.
enum class InterruptFlag : uint64_t {
    // `line` is a legacy ISA IRQ (0-15), translated to its global system interrupt (GSI)
    // and its trigger mode and polarity through the ACPI MADT's interrupt source
    // overrides. Without it, `line` is a GSI.
    IsaIrq = 1u << 0,
    // For a GSI no ISA IRQ is wired to: the line is level-triggered (edge otherwise).
    LevelTriggered = 1u << 1,
    // For a GSI no ISA IRQ is wired to: the line is active low (active high otherwise).
    ActiveLow = 1u << 2,
};
inline constexpr uint64_t known_interrupt_flags = static_cast<uint64_t>(InterruptFlag::IsaIrq)
    | static_cast<uint64_t>(InterruptFlag::LevelTriggered) | static_cast<uint64_t>(InterruptFlag::ActiveLow);

// What interrupt_create_message writes: a device raises the interrupt by writing `data`
// (32 bits) to `address`.
struct InterruptMessage {
    uint64_t address;
    uint32_t data;
    uint32_t reserved; // 0
};
static_assert(sizeof(InterruptMessage) == 16, "InterruptMessage is part of the ABI");

// pci_device_create's `address`: segment in bits 31..16, bus in 15..8, device in 7..3,
// function in 2..0; the bits above 31 are zero.
constexpr uint64_t pci_device_address(uint16_t segment, uint8_t bus, uint8_t device, uint8_t function)
{
    return (uint64_t { segment } << 16) | (uint64_t { bus } << 8) | (uint64_t(device & 31u) << 3)
        | uint64_t(function & 7u);
}

// The I/O port space: ports 0 to 0xFFFF.
inline constexpr uint64_t io_port_count = 0x10000;

// Whether `width` is an access width ioport_read and ioport_write accept (bytes).
constexpr bool is_valid_io_port_width(uint64_t width)
{
    return width == 1 || width == 2 || width == 4;
}

} // namespace ABI
