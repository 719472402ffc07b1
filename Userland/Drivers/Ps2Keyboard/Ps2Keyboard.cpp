// The PS/2 keyboard driver (docs/console.md#the-keyboard): a user-space process with exactly
// the I/O ports of the 8042 controller (0x60-0x64) and the interrupt of ISA IRQ 1, as init
// starts it. It reads scancodes as the keyboard sends them, decodes them (Keymap.h), and
// writes what the keys give to the console service over its keyboard channel. A crash
// costs a restart: init holds the ports, the interrupt and the channel.
//
// Start-up roles: KeyboardPorts, KeyboardInterrupt, KeyboardOutput.

#include <ABI/Signals.h>
#include <Userland/Drivers/Ps2Keyboard/Keymap.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <stdio.h>

namespace {

constexpr uint64_t data_port = 0x60;
constexpr uint64_t status_port = 0x64;
constexpr uint64_t command_port = 0x64;

constexpr uint8_t status_output_full = 1u << 0;
constexpr uint8_t status_input_full = 1u << 1;
constexpr uint8_t status_from_mouse = 1u << 5;

constexpr uint8_t read_configuration = 0x20;
constexpr uint8_t write_configuration = 0x60;
constexpr uint8_t configuration_keyboard_interrupt = 1u << 0;
constexpr uint8_t configuration_translation = 1u << 6;

int64_t read_port(uint32_t ports, uint64_t port)
{
    return System::ioport_read(ports, port, 1);
}

// Waits (a bounded while) until the controller takes a byte.
bool wait_to_write(uint32_t ports)
{
    for (int attempt = 0; attempt < 100000; ++attempt) {
        int64_t status = read_port(ports, status_port);
        if (status < 0)
            return false;
        if (!(status & status_input_full))
            return true;
    }
    return false;
}

bool wait_to_read(uint32_t ports)
{
    for (int attempt = 0; attempt < 100000; ++attempt) {
        int64_t status = read_port(ports, status_port);
        if (status < 0)
            return false;
        if (status & status_output_full)
            return true;
    }
    return false;
}

// Makes sure the controller interrupts for keys and translates them to set 1.
bool configure(uint32_t ports)
{
    // What was waiting from before is stale.
    for (int drained = 0; drained < 32 && (read_port(ports, status_port) & status_output_full); ++drained)
        (void)read_port(ports, data_port);
    if (!wait_to_write(ports) || System::ioport_write(ports, command_port, 1, read_configuration) != 0
        || !wait_to_read(ports))
        return false;
    int64_t configuration = read_port(ports, data_port);
    if (configuration < 0)
        return false;
    uint8_t wanted
        = static_cast<uint8_t>(configuration) | configuration_keyboard_interrupt | configuration_translation;
    if (wanted == configuration)
        return true;
    return wait_to_write(ports) && System::ioport_write(ports, command_port, 1, write_configuration) == 0
        && wait_to_write(ports) && System::ioport_write(ports, data_port, 1, wanted) == 0;
}

} // namespace

int main()
{
    const LibC::StartupHandle* ports = LibC::startup_handle(LibC::HandleRole::KeyboardPorts);
    const LibC::StartupHandle* interrupt = LibC::startup_handle(LibC::HandleRole::KeyboardInterrupt);
    const LibC::StartupHandle* output = LibC::startup_handle(LibC::HandleRole::KeyboardOutput);
    if (!ports || !interrupt || !output) {
        System::debug_log("started without its ports, interrupt or channel");
        return 2;
    }
    if (!configure(ports->handle)) {
        System::debug_log("the controller does not answer");
        return 3;
    }
    Keyboard::Decoder decoder;
    for (;;) {
        if (System::object_wait(interrupt->handle, ABI::signal_bits(ABI::Signal::Triggered), ABI::no_deadline)
            < 0)
            return 4;
        // Everything the controller holds, then the acknowledgement; then a last look: a byte
        // that came after the draining but before the line was unmasked raised no interrupt
        // (its edge came while the line was masked), and the controller keeps it until read.
        for (;;) {
            char keys[64];
            size_t length = 0;
            for (int taken = 0; taken < 64; ++taken) {
                int64_t status = read_port(ports->handle, status_port);
                if (status < 0 || !(status & status_output_full))
                    break;
                int64_t scancode = read_port(ports->handle, data_port);
                if (scancode < 0 || (status & status_from_mouse))
                    continue;
                char bytes[Keyboard::Decoder::maximum_output];
                size_t produced = decoder.feed(static_cast<uint8_t>(scancode), bytes);
                for (size_t index = 0; index < produced && length < sizeof(keys); ++index)
                    keys[length++] = bytes[index];
            }
            (void)System::interrupt_ack(interrupt->handle);
            if (length > 0)
                (void)System::channel_write(output->handle, keys, length);
            int64_t status = read_port(ports->handle, status_port);
            if (status < 0 || !(status & status_output_full))
                break;
        }
    }
}
