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
    auto* raw_object = new (Core::nothrow) Interrupt(line, false);
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

Core::Result<Core::RefPtr<Interrupt>> Interrupt::create_message_signaled()
{
    auto* raw_object = new (Core::nothrow) Interrupt({}, true);
    if (!raw_object)
        return Core::ErrorCode::OutOfMemory;
    auto object = Core::RefPtr<Interrupt>::adopt(raw_object);
    // As for a line: the destructor frees the vector before the object (the handler's
    // context) goes.
    object->m_destination_apic_id = Arch::boot_processor().apic_id;
    object->m_vector = TRY(Arch::allocate_interrupt_vector(handle, raw_object));
    return object;
}

Interrupt::Message Interrupt::message() const
{
    // The local APIC's message window (Intel SDM vol. 3, "Message Signalled Interrupts"):
    // 0xFEE in address bits 31-20, the destination APIC id in bits 19-12, physical
    // destination mode and no redirection hint (bits 2-3 zero). The data is the vector
    // with fixed delivery and edge trigger (the other bits zero).
    constexpr Core::u64 message_window = 0xFEE00000;
    return { message_window | (static_cast<Core::u64>(m_destination_apic_id & 0xFF) << 12), m_vector };
}

Interrupt::~Interrupt()
{
    if (m_message_signaled) {
        if (m_vector != 0)
            Arch::free_interrupt_vector(m_vector);
        return;
    }
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
    if (!m_message_signaled)
        (void)Arch::unmask_interrupt_line(m_line.gsi);
}

void Interrupt::handle(Arch::RegisterState&, void* context)
{
    // The context is the bound Interrupt object, alive while its vector is allocated
    // (~Interrupt frees the vector before the object goes).
    auto* interrupt = static_cast<Interrupt*>(context);
    if (!interrupt->m_message_signaled)
        (void)Arch::mask_interrupt_line(interrupt->m_line.gsi);
    __atomic_add_fetch(&interrupt->m_trigger_count, 1, __ATOMIC_RELAXED);
    interrupt->m_signals.raise(triggered);
}

} // namespace Kernel::Devices
