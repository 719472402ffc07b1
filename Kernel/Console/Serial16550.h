#pragma once

#include <Core/Optional.h>
#include <Kernel/Console/ConsoleDevice.h>

namespace Kernel::Console {

// A 16550-compatible UART driven by polling (no interrupts), 115200 baud 8N1.
class Serial16550 final : public ConsoleDevice {
public:
    static constexpr Core::u16 com1_port = 0x3F8;

    // Checks that a UART answers at `base_port` and programs it. Returns nothing when
    // no UART is there, so a machine without a serial port still boots.
    static Core::Optional<Serial16550> probe_and_initialize(Core::u16 base_port);

    void write(Core::StringView text, Color foreground) override;
    Core::StringView name() const override { return "serial"; }

    void write_byte(Core::u8 byte);
    // Returns a received byte, if one is waiting.
    Core::Optional<Core::u8> try_read_byte();
    // Makes the UART raise its interrupt line when a byte arrives (IER bit 0), for the
    // serial console's input (SerialConsole.h). Transmission stays polled.
    void enable_receive_interrupt();
    // Turns the receive interrupt off and on again: with bytes still waiting, the UART's
    // interrupt output falls and rises, a new edge for an edge-triggered line.
    void rearm_receive_interrupt();

    // Puts the UART in loopback mode, sends a byte and checks that it comes back, then
    // restores normal operation. Proves the transmit and receive paths work.
    [[nodiscard]] bool passes_loopback_check();

private:
    explicit Serial16550(Core::u16 base_port)
        : m_base_port(base_port)
    {
    }

    Core::u16 m_base_port;
};

} // namespace Kernel::Console
