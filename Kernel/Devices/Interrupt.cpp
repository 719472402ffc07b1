#include <Core/NoThrow.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/IoApic.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Devices/Interrupt.h>
#include <Kernel/Devices/InterruptRange.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Platform/Platform.h>

namespace Kernel::Devices {

namespace {

constexpr Core::u32 bits_per_word = 64;

// Which GSIs are bound to an Interrupt object, one bit each.
Core::u64 s_bound_lines[max_interrupt_lines / bits_per_word];
Locking::Spinlock s_bound_lines_lock("interrupt lines", Locking::LockRank::Leaf);

// Busy when the line is bound already.
Core::Result<void> claim_line(Core::u32 gsi)
{
    Core::u64 bit = 1ull << (gsi % bits_per_word);
    Locking::SpinlockLocker locker(s_bound_lines_lock);
    Core::u64& word = s_bound_lines[gsi / bits_per_word];
    if (word & bit)
        return Core::ErrorCode::Busy;
    word |= bit;
    return {};
}

void release_line(Core::u32 gsi)
{
    Locking::SpinlockLocker locker(s_bound_lines_lock);
    s_bound_lines[gsi / bits_per_word] &= ~(1ull << (gsi % bits_per_word));
}

} // namespace

bool Interrupt::is_kernel_line(Core::u32 gsi)
{
    constexpr Core::u8 kernel_isa_irqs[] = { 0, 2, 4 };
    if (gsi == 0)
        return true;
    for (Core::u8 isa_irq : kernel_isa_irqs) {
        if (Platform::isa_interrupt_line(isa_irq).gsi == gsi)
            return true;
    }
    return false;
}

Core::Result<Core::RefPtr<Interrupt>> Interrupt::create(const InterruptLine& line)
{
    if (line.gsi >= max_interrupt_lines)
        return Core::ErrorCode::InvalidArgument;
    if (is_kernel_line(line.gsi))
        return Core::ErrorCode::Busy;
    if (line.gsi >= Arch::io_apic_gsi_end())
        return Core::ErrorCode::NotFound;
    TRY(claim_line(line.gsi));
    auto* raw_object = new (Core::nothrow) Interrupt(line);
    if (!raw_object) {
        release_line(line.gsi);
        return Core::ErrorCode::OutOfMemory;
    }
    // From here the destructor undoes whatever step was reached (vector, claim).
    auto object = Core::RefPtr<Interrupt>::adopt(raw_object);
    // The handler's context is the object: the destructor frees the vector, which waits
    // for any handler still running, before the object goes.
    object->m_vector = TRY(Arch::allocate_interrupt_vector(handle, raw_object));
    TRY(Arch::route_interrupt_line(line.gsi,
        { .vector = object->m_vector,
            .destination_apic_id = Arch::boot_processor().apic_id,
            .active_low = line.active_low,
            .level_triggered = line.level_triggered }));
    return object;
}

Interrupt::~Interrupt()
{
    if (m_vector != 0) {
        // Masked first, so no new interrupt arrives on the vector while it is freed.
        (void)Arch::mask_interrupt_line(m_line.gsi);
        Arch::free_interrupt_vector(m_vector);
    }
    release_line(m_line.gsi);
}

void Interrupt::acknowledge()
{
    m_signals.clear(triggered);
    (void)Arch::unmask_interrupt_line(m_line.gsi);
}

void Interrupt::handle(Arch::RegisterState&, void* context)
{
    // The context is the bound Interrupt object, alive while its vector is allocated
    // (~Interrupt frees the vector before the object goes).
    auto* interrupt = static_cast<Interrupt*>(context);
    (void)Arch::mask_interrupt_line(interrupt->m_line.gsi);
    __atomic_add_fetch(&interrupt->m_trigger_count, 1, __ATOMIC_RELAXED);
    interrupt->m_signals.raise(triggered);
}

} // namespace Kernel::Devices
