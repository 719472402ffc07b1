#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Console/Serial16550.h>

namespace Kernel::Console {

namespace {

// Register offsets from the base port (16550 datasheet).
constexpr Core::u16 data_register = 0;
constexpr Core::u16 interrupt_enable_register = 1;
constexpr Core::u16 fifo_control_register = 2;
constexpr Core::u16 line_control_register = 3;
constexpr Core::u16 modem_control_register = 4;
constexpr Core::u16 line_status_register = 5;
constexpr Core::u16 scratch_register = 7;

constexpr Core::u8 line_status_data_ready = 0x01;
constexpr Core::u8 modem_control_normal = 0x03; // DTR and RTS
constexpr Core::u8 modem_control_loopback = 0x13; // DTR, RTS and loopback
constexpr Core::u8 line_status_transmit_empty = 0x20;

// A stuck or absent transmitter must not hang the kernel: give up on a byte after this
// many polls (far longer than one byte takes at 115200 baud).
constexpr Core::u32 transmit_poll_limit = 100000;

} // namespace

Core::Optional<Serial16550> Serial16550::probe_and_initialize(Core::u16 base_port)
{
    // An absent port reads back 0xFF; a real UART keeps what is written to scratch.
    Arch::out8(base_port + scratch_register, 0x5A);
    if (Arch::in8(base_port + scratch_register) != 0x5A)
        return {};
    Arch::out8(base_port + scratch_register, 0xA5);
    if (Arch::in8(base_port + scratch_register) != 0xA5)
        return {};

    Arch::out8(base_port + interrupt_enable_register, 0x00);
    Arch::out8(base_port + line_control_register, 0x80); // DLAB on: divisor follows
    Arch::out8(base_port + data_register, 0x01); // divisor 1 = 115200 baud
    Arch::out8(base_port + interrupt_enable_register, 0x00);
    Arch::out8(base_port + line_control_register, 0x03); // 8 data bits, no parity, 1 stop
    Arch::out8(base_port + fifo_control_register, 0xC7); // enable and clear FIFOs
    Arch::out8(base_port + modem_control_register, modem_control_normal);
    Serial16550 serial(base_port);
    // A port that cannot echo its own byte in loopback is not a working 16550.
    if (!serial.passes_loopback_check())
        return {};
    return serial;
}

void Serial16550::write_byte(Core::u8 byte)
{
    for (Core::u32 poll = 0; poll < transmit_poll_limit; ++poll) {
        if (Arch::in8(m_base_port + line_status_register) & line_status_transmit_empty)
            break;
        Arch::pause();
    }
    Arch::out8(m_base_port + data_register, byte);
}

Core::Optional<Core::u8> Serial16550::try_read_byte()
{
    if (!(Arch::in8(m_base_port + line_status_register) & line_status_data_ready))
        return {};
    return Arch::in8(m_base_port + data_register);
}

void Serial16550::enable_receive_interrupt()
{
    constexpr Core::u8 interrupt_on_received_data = 0x01;
    // OUT2 routes the UART's interrupt output to the PIC/I/O APIC line on PC boards.
    constexpr Core::u8 modem_control_interrupts = modem_control_normal | 0x08;
    Arch::out8(m_base_port + interrupt_enable_register, interrupt_on_received_data);
    Arch::out8(m_base_port + modem_control_register, modem_control_interrupts);
}

void Serial16550::rearm_receive_interrupt()
{
    constexpr Core::u8 interrupt_on_received_data = 0x01;
    Arch::out8(m_base_port + interrupt_enable_register, 0);
    Arch::out8(m_base_port + interrupt_enable_register, interrupt_on_received_data);
}

bool Serial16550::passes_loopback_check()
{
    constexpr Core::u8 probe_byte = 0xAE;
    // Drain anything already received so that only the probe byte can be read back.
    for (Core::u32 drained = 0; drained < 64 && try_read_byte().has_value(); ++drained) { }
    // Restored afterwards as it was: OUT2 may be on for the receive interrupt.
    Core::u8 saved_modem_control = Arch::in8(m_base_port + modem_control_register);
    Arch::out8(m_base_port + modem_control_register, modem_control_loopback);
    write_byte(probe_byte);
    bool echoed = false;
    for (Core::u32 poll = 0; poll < transmit_poll_limit; ++poll) {
        auto received = try_read_byte();
        if (received.has_value()) {
            echoed = received.value() == probe_byte;
            break;
        }
        Arch::pause();
    }
    Arch::out8(m_base_port + modem_control_register, saved_modem_control);
    return echoed;
}

void Serial16550::write(Core::StringView text, Color)
{
    for (char character : text) {
        if (character == '\n')
            write_byte('\r');
        write_byte(static_cast<Core::u8>(character));
    }
}

} // namespace Kernel::Console
