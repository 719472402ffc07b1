// The PS/2 driver (docs/console.md#the-keyboard, #the-mouse): a user-space process with
// exactly the I/O ports of the 8042 controller (0x60-0x64) and the interrupts of ISA IRQ 1
// (the keyboard) and 12 (the mouse), as init starts it. One process drives both devices,
// because both answer through the same data port and only the controller's status tells
// whose a byte is. Keys are decoded (Keymap.h) and written to the console service over the
// keyboard channel; mouse packets are decoded (MousePacket.h) and sent as Input::MouseEvents
// on the mouse channel. A crash costs a restart: init holds the ports, the interrupts and
// the channels.
//
// Start-up roles: KeyboardPorts, KeyboardInterrupt, KeyboardOutput; MouseInterrupt and
// MouseOutput when there is a mouse to drive.

#include <ABI/Signals.h>
#include <Core/Ipc/Schema.h>
#include <Userland/Drivers/Ps2/Keymap.h>
#include <Userland/Drivers/Ps2/MousePacket.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Input/Protocol.h>
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
constexpr uint8_t enable_auxiliary_port = 0xA8;
constexpr uint8_t disable_keyboard_port = 0xAD;
constexpr uint8_t enable_keyboard_port = 0xAE;
constexpr uint8_t write_to_auxiliary = 0xD4;
constexpr uint8_t configuration_keyboard_interrupt = 1u << 0;
constexpr uint8_t configuration_mouse_interrupt = 1u << 1;
constexpr uint8_t configuration_mouse_clock_off = 1u << 5;
constexpr uint8_t configuration_translation = 1u << 6;

constexpr uint8_t mouse_set_defaults = 0xF6;
constexpr uint8_t mouse_enable_reporting = 0xF4;
constexpr uint8_t mouse_set_sample_rate = 0xF3;
constexpr uint8_t mouse_get_id = 0xF2;
constexpr uint8_t mouse_acknowledge = 0xFA;
constexpr uint8_t intellimouse_id = 3;

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

// Reads and changes the controller's configuration byte: `set` bits on, `clear` bits off.
bool change_configuration(uint32_t ports, uint8_t set, uint8_t clear)
{
    if (!wait_to_write(ports) || System::ioport_write(ports, command_port, 1, read_configuration) != 0
        || !wait_to_read(ports))
        return false;
    int64_t configuration = read_port(ports, data_port);
    if (configuration < 0)
        return false;
    uint8_t wanted = static_cast<uint8_t>((static_cast<uint8_t>(configuration) | set) & ~clear);
    if (wanted == configuration)
        return true;
    return wait_to_write(ports) && System::ioport_write(ports, command_port, 1, write_configuration) == 0
        && wait_to_write(ports) && System::ioport_write(ports, data_port, 1, wanted) == 0;
}

void drain(uint32_t ports)
{
    for (int drained = 0; drained < 32 && (read_port(ports, status_port) & status_output_full); ++drained)
        (void)read_port(ports, data_port);
}

// Makes sure the controller interrupts for keys and translates them to set 1.
bool configure(uint32_t ports)
{
    // What was waiting from before is stale.
    drain(ports);
    return change_configuration(ports, configuration_keyboard_interrupt | configuration_translation, 0);
}

// Sends one byte to the mouse and reads its acknowledgement (and, for `answers`, that many
// more bytes into `answer`). Done before the mouse's interrupt is on, so polling is safe.
bool mouse_command(uint32_t ports, uint8_t byte, uint8_t* answer = nullptr, int answers = 0)
{
    if (!wait_to_write(ports) || System::ioport_write(ports, command_port, 1, write_to_auxiliary) != 0
        || !wait_to_write(ports) || System::ioport_write(ports, data_port, 1, byte) != 0
        || !wait_to_read(ports) || read_port(ports, data_port) != mouse_acknowledge)
        return false;
    for (int index = 0; index < answers; ++index) {
        if (!wait_to_read(ports))
            return false;
        answer[index] = static_cast<uint8_t>(read_port(ports, data_port));
    }
    return true;
}

// Turns the auxiliary port on, sets the mouse to its defaults, asks for the IntelliMouse
// wheel (sample rates 200, 100, 80, then the ID says 3 if it has one), enables reporting,
// and then the controller's mouse interrupt. False when no mouse answers; `has_wheel` says
// which packets it sends.
bool configure_mouse(uint32_t ports, bool& has_wheel)
{
    has_wheel = false;
    if (!wait_to_write(ports) || System::ioport_write(ports, command_port, 1, enable_auxiliary_port) != 0)
        return false;
    // The mouse's clock on, its interrupt still off while it is polled.
    if (!change_configuration(ports, 0, configuration_mouse_clock_off | configuration_mouse_interrupt))
        return false;
    drain(ports);
    if (!mouse_command(ports, mouse_set_defaults))
        return false;
    const uint8_t rates[] = { 200, 100, 80 };
    bool rates_taken = true;
    for (uint8_t rate : rates)
        rates_taken
            = rates_taken && mouse_command(ports, mouse_set_sample_rate) && mouse_command(ports, rate);
    uint8_t identity = 0;
    if (rates_taken && mouse_command(ports, mouse_get_id, &identity, 1))
        has_wheel = identity == intellimouse_id;
    if (!mouse_command(ports, mouse_enable_reporting))
        return false;
    return change_configuration(ports, configuration_mouse_interrupt, 0);
}

void send_motion(uint32_t output, const Mouse::Motion& motion)
{
    Input::MouseEvent event;
    event.dx = motion.dx;
    event.dy = motion.dy;
    event.wheel = motion.wheel;
    event.buttons = motion.buttons;
    uint8_t bytes[64];
    auto encoded = Core::Ipc::encode(event, 0, Core::Bytes(bytes, sizeof(bytes)), {});
    if (!encoded.is_error())
        (void)System::channel_write(output, bytes, encoded.value().byte_count);
}

} // namespace

int main()
{
    const LibC::StartupHandle* ports = LibC::startup_handle(LibC::HandleRole::KeyboardPorts);
    const LibC::StartupHandle* interrupt = LibC::startup_handle(LibC::HandleRole::KeyboardInterrupt);
    const LibC::StartupHandle* output = LibC::startup_handle(LibC::HandleRole::KeyboardOutput);
    const LibC::StartupHandle* mouse_interrupt = LibC::startup_handle(LibC::HandleRole::MouseInterrupt);
    const LibC::StartupHandle* mouse_output = LibC::startup_handle(LibC::HandleRole::MouseOutput);
    if (!ports || !interrupt || !output) {
        System::debug_log("started without its ports, interrupt or channel");
        return 2;
    }
    if (!configure(ports->handle)) {
        System::debug_log("the controller does not answer");
        return 3;
    }
    bool has_wheel = false;
    bool with_mouse = false;
    if (mouse_interrupt && mouse_output) {
        // The mouse's set-up reads its answers from the data port, where a key would land
        // among them; with the keyboard's port off, the keyboard keeps its keys until the
        // port is back on, and none is lost or taken for an answer.
        bool keyboard_off = wait_to_write(ports->handle)
            && System::ioport_write(ports->handle, command_port, 1, disable_keyboard_port) == 0;
        with_mouse = configure_mouse(ports->handle, has_wheel);
        if (keyboard_off
            && !(wait_to_write(ports->handle)
                && System::ioport_write(ports->handle, command_port, 1, enable_keyboard_port) == 0)) {
            System::debug_log("the controller does not turn the keyboard's port back on");
            return 3;
        }
    }
    if (mouse_interrupt && mouse_output && !with_mouse)
        System::debug_log("no PS/2 mouse answers; keyboard only");
    // Keys typed from here on reach the console (tests wait for this line before typing).
    if (!with_mouse)
        System::debug_log("ready: keyboard");
    else if (has_wheel)
        System::debug_log("ready: keyboard, and a mouse with a wheel");
    else
        System::debug_log("ready: keyboard and mouse");
    Mouse::PacketDecoder mouse_decoder(has_wheel);
    Keyboard::Decoder decoder;
    constexpr uint32_t triggered = ABI::signal_bits(ABI::Signal::Triggered);
    ABI::WaitItem items[2]
        = { { interrupt->handle, triggered, 0 }, { with_mouse ? mouse_interrupt->handle : 0, triggered, 0 } };
    for (;;) {
        if (System::object_wait_many(items, with_mouse ? 2 : 1, ABI::no_deadline) < 0)
            return 4;
        // Everything the controller holds, then the acknowledgements; then a last look: a
        // byte that came after the draining but before a line was unmasked raised no
        // interrupt (its edge came while the line was masked), and the controller keeps it
        // until read. The status register says whose each byte is.
        for (;;) {
            char keys[64];
            size_t length = 0;
            for (int taken = 0; taken < 64; ++taken) {
                int64_t status = read_port(ports->handle, status_port);
                if (status < 0 || !(status & status_output_full))
                    break;
                int64_t byte = read_port(ports->handle, data_port);
                if (byte < 0)
                    continue;
                if (status & status_from_mouse) {
                    Mouse::Motion motion;
                    if (with_mouse && mouse_decoder.feed(static_cast<uint8_t>(byte), motion))
                        send_motion(mouse_output->handle, motion);
                    continue;
                }
                char bytes[Keyboard::Decoder::maximum_output];
                size_t produced = decoder.feed(static_cast<uint8_t>(byte), bytes);
                for (size_t index = 0; index < produced && length < sizeof(keys); ++index)
                    keys[length++] = bytes[index];
            }
            (void)System::interrupt_ack(interrupt->handle);
            if (with_mouse)
                (void)System::interrupt_ack(mouse_interrupt->handle);
            if (length > 0)
                (void)System::channel_write(output->handle, keys, length);
            int64_t status = read_port(ports->handle, status_port);
            if (status < 0 || !(status & status_output_full))
                break;
        }
    }
}
