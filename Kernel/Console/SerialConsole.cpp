#include <Core/NoThrow.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/IoApic.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Console/BootConsoles.h>
#include <Kernel/Console/SerialConsole.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Platform/Platform.h>

namespace Kernel::Console {

namespace {

constexpr Core::u8 com1_isa_irq = 4;

// The object, once made, with a reference of its own that is never dropped: it is never
// destroyed, and its vector stays allocated with it as the handler's context. A raw
// pointer, so that no destructor is registered for it.
SerialConsole* s_instance = nullptr;
Locking::Spinlock s_instance_lock("serial console instance", Locking::LockRank::Leaf);

} // namespace

bool SerialConsole::InputRing::push(Core::u8 byte)
{
    if (size() == input_capacity)
        return false;
    bytes[write_position % input_capacity] = byte;
    ++write_position;
    return true;
}

Core::Result<Core::RefPtr<SerialConsole>> SerialConsole::instance()
{
    {
        Locking::SpinlockLocker locker(s_instance_lock);
        if (s_instance)
            return Core::RefPtr<SerialConsole>(*s_instance);
    }
    Serial16550* uart = serial_console();
    if (!uart)
        return Core::ErrorCode::NotFound;
    auto* raw_console = new (Core::nothrow) SerialConsole(*uart);
    if (!raw_console)
        return Core::ErrorCode::OutOfMemory;
    auto console = Core::RefPtr<SerialConsole>::adopt(raw_console);
    {
        // Published before the line is routed, so that the handler's context lives for good
        // from its first interrupt on; a second caller that lost the race drops its copy,
        // which never had a vector.
        Locking::SpinlockLocker locker(s_instance_lock);
        if (s_instance)
            return Core::RefPtr<SerialConsole>(*s_instance);
        s_instance = Core::RefPtr<SerialConsole>(console).leak_ref();
    }
    // Without its interrupt the console still writes; it only hears nothing. That is
    // logged rather than refused, so that a user still sees the system's output.
    auto isa_line = Platform::isa_interrupt_line(com1_isa_irq);
    auto vector = Arch::allocate_interrupt_vector(handle_interrupt, raw_console);
    if (vector.is_error()) {
        Log::warning("console: no vector for the serial console's input: {}", vector.error().name());
        return console;
    }
    auto routed = Arch::route_interrupt_line(isa_line.gsi,
        { .vector = vector.value(),
            .destination_apic_id = Arch::boot_processor().apic_id,
            .active_low = isa_line.active_low,
            .level_triggered = isa_line.level_triggered });
    if (routed.is_error()) {
        Log::warning("console: cannot route the serial console's interrupt: {}", routed.error().name());
        return console;
    }
    uart->enable_receive_interrupt();
    // Bytes that arrived before the interrupt was on.
    console->drain_uart();
    return console;
}

void SerialConsole::handle_interrupt(Arch::RegisterState&, void* context)
{
    // The context is the instance, which lives for as long as the kernel does.
    static_cast<SerialConsole*>(context)->drain_uart();
}

void SerialConsole::drain_uart()
{
    // Reading the data register clears the UART's interrupt; everything waiting is taken,
    // so that an edge is never left unanswered behind a byte still in the FIFO. The bound
    // keeps a babbling line from holding the CPU.
    constexpr Core::u32 most_bytes_per_drain = 64;
    Core::u32 dropped = 0;
    bool more_waiting = m_input.with([&](InputRing& ring) {
        for (Core::u32 count = 0; count < most_bytes_per_drain; ++count) {
            auto byte = m_uart.try_read_byte();
            if (!byte.has_value())
                return false;
            if (!ring.push(byte.value()))
                ++dropped;
        }
        return true;
    });
    if (dropped != 0)
        __atomic_add_fetch(&m_dropped, dropped, __ATOMIC_RELAXED);
    // Stopped at the bound with bytes left (the emulator refills the FIFO as it is read):
    // the UART's interrupt output stays high, and the edge-triggered line would never fire
    // again. Turning the interrupt off and on makes a new edge, which is delivered after
    // this one's EOI.
    if (more_waiting)
        m_uart.rearm_receive_interrupt();
    raise_readable_if_input();
}

void SerialConsole::receive(Core::ReadonlyBytes bytes)
{
    Core::u64 dropped = 0;
    m_input.with([&](InputRing& ring) {
        for (Core::u8 byte : bytes) {
            if (!ring.push(byte))
                ++dropped;
        }
    });
    if (dropped != 0)
        __atomic_add_fetch(&m_dropped, dropped, __ATOMIC_RELAXED);
    raise_readable_if_input();
}

void SerialConsole::raise_readable_if_input()
{
    // Outside the ring's lock: the ring's lock is a leaf, and raising takes the signals'.
    if (m_input.with([](InputRing& ring) { return ring.size() != 0; }))
        m_signals.raise(readable);
}

Core::usize SerialConsole::read(Core::Bytes destination)
{
    Core::usize copied = m_input.with([&](InputRing& ring) {
        Core::usize count = 0;
        while (count < destination.size() && ring.size() != 0) {
            destination.data()[count++] = ring.bytes[ring.read_position % input_capacity];
            ++ring.read_position;
        }
        return count;
    });
    // Cleared when empty, then raised again if a byte arrived in between: a byte is never
    // left waiting with Readable clear.
    bool empty = m_input.with([](InputRing& ring) { return ring.size() == 0; });
    if (empty) {
        m_signals.clear(readable);
        raise_readable_if_input();
    }
    return copied;
}

void SerialConsole::write(Core::ReadonlyBytes bytes)
{
    // The log's lock is held (interrupts off) for a transmit FIFO's worth at a time: at
    // 115200 baud a byte takes 87 µs on real hardware, and a long write must not keep the
    // CPU from its interrupts, nor other CPUs from logging, for milliseconds.
    constexpr Core::usize bytes_per_hold = 16;
    struct Output {
        Serial16550* uart;
        Core::ReadonlyBytes bytes;
    };
    for (Core::usize done = 0; done < bytes.size(); done += bytes_per_hold) {
        Core::usize step = bytes.size() - done < bytes_per_hold ? bytes.size() - done : bytes_per_hold;
        Output output { &m_uart, Core::ReadonlyBytes(bytes.data() + done, step) };
        Log::write_outside_records(
            [](void* context) {
                auto* output = static_cast<Output*>(context);
                for (Core::u8 byte : output->bytes)
                    output->uart->write_byte(byte);
            },
            &output);
    }
}

} // namespace Kernel::Console
