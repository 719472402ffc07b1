#include <Core/StaticVector.h>
#include <Kernel/Arch/x86_64/IoApic.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Memory/MemoryManager.h>

namespace Kernel::Arch {

using Core::u32;
using Core::u64;
using Core::u8;

namespace {

constexpr u32 register_select = 0x00;
constexpr u32 register_window = 0x10 / 4;
constexpr u32 version_register = 0x01;
constexpr u32 redirection_table_base = 0x10;
constexpr u32 masked = 1u << 16;
constexpr u32 level_triggered_bit = 1u << 15;
constexpr u32 active_low_bit = 1u << 13;

struct IoApic {
    u8 apic_id;
    u32 gsi_base;
    u32 line_count;
    volatile u32* registers;
};

Core::StaticVector<IoApic, 8> s_io_apics;
// The select/window register pair must not be interleaved between CPUs.
Locking::Spinlock s_io_apic_lock("I/O APIC", Locking::LockRank::Leaf);

u32 read_register(const IoApic& io_apic, u32 index)
{
    // Invariant: `registers` maps the I/O APIC's register page uncached; the select register
    // is at offset 0 and the data window at 0x10. Callers hold s_io_apic_lock.
    io_apic.registers[register_select] = index;
    return io_apic.registers[register_window];
}

void write_register(const IoApic& io_apic, u32 index, u32 value)
{
    // Invariant: as in read_register.
    io_apic.registers[register_select] = index;
    io_apic.registers[register_window] = value;
}

IoApic* io_apic_for(u32 gsi)
{
    for (IoApic& io_apic : s_io_apics) {
        if (gsi >= io_apic.gsi_base && gsi - io_apic.gsi_base < io_apic.line_count)
            return &io_apic;
    }
    return nullptr;
}

} // namespace

Core::Result<void> add_io_apic(u8 apic_id, u64 physical_address, u32 gsi_base)
{
    void* mapped = TRY(Memory::map_device(physical_address, 0x20, CacheMode::Uncached));
    IoApic io_apic { apic_id, gsi_base, 0, static_cast<volatile u32*>(mapped) };
    Locking::SpinlockLocker locker(s_io_apic_lock);
    // Bits 16..23 of the version register: the index of the last redirection entry.
    io_apic.line_count = ((read_register(io_apic, version_register) >> 16) & 0xFF) + 1;
    for (u32 line = 0; line < io_apic.line_count; ++line) {
        write_register(io_apic, redirection_table_base + 2 * line, masked);
        write_register(io_apic, redirection_table_base + 2 * line + 1, 0);
    }
    TRY(s_io_apics.try_append(io_apic));
    return {};
}

u32 io_apic_count()
{
    return static_cast<u32>(s_io_apics.size());
}

Core::Result<void> route_interrupt_line(u32 gsi, const InterruptLineRouting& routing)
{
    Locking::SpinlockLocker locker(s_io_apic_lock);
    IoApic* io_apic = io_apic_for(gsi);
    if (!io_apic)
        return Core::ErrorCode::NotFound;
    u32 line = gsi - io_apic->gsi_base;
    // Fixed delivery, physical destination; the high word holds the destination APIC id.
    u32 low = routing.vector | (routing.level_triggered ? level_triggered_bit : 0u)
        | (routing.active_low ? active_low_bit : 0u);
    write_register(*io_apic, redirection_table_base + 2 * line + 1, routing.destination_apic_id << 24);
    write_register(*io_apic, redirection_table_base + 2 * line, low);
    return {};
}

Core::Result<void> unmask_interrupt_line(u32 gsi)
{
    Locking::SpinlockLocker locker(s_io_apic_lock);
    IoApic* io_apic = io_apic_for(gsi);
    if (!io_apic)
        return Core::ErrorCode::NotFound;
    u32 line = gsi - io_apic->gsi_base;
    write_register(*io_apic, redirection_table_base + 2 * line,
        read_register(*io_apic, redirection_table_base + 2 * line) & ~masked);
    return {};
}

u32 io_apic_gsi_end()
{
    Locking::SpinlockLocker locker(s_io_apic_lock);
    // In 64 bits: the GSI base comes from firmware and may sit near the top of the range.
    u64 end = 0;
    for (const IoApic& io_apic : s_io_apics) {
        u64 io_apic_end = static_cast<u64>(io_apic.gsi_base) + io_apic.line_count;
        if (io_apic_end > end)
            end = io_apic_end;
    }
    return end > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<u32>(end);
}

Core::Result<void> mask_interrupt_line(u32 gsi)
{
    Locking::SpinlockLocker locker(s_io_apic_lock);
    IoApic* io_apic = io_apic_for(gsi);
    if (!io_apic)
        return Core::ErrorCode::NotFound;
    u32 line = gsi - io_apic->gsi_base;
    write_register(*io_apic, redirection_table_base + 2 * line,
        read_register(*io_apic, redirection_table_base + 2 * line) | masked);
    return {};
}

} // namespace Kernel::Arch
