// The console service (docs/console.md): joins the user's terminal to one terminal session,
// a stream channel whose other end is the shell's standard input, output and error.
//
// - Input comes from the serial console (the kernel's COM1, SerialConsole.h) and from the
//   PS/2 keyboard driver's channel, and goes to the session as it arrives. Shift+Page Up and
//   Shift+Page Down on the keyboard scroll the screen's history instead.
// - Output, what the session's programs write, goes to the serial console with each
//   newline as a carriage return and a line feed (a terminal's output processing), and to
//   the framebuffer through a VT100-style terminal (Terminal.h, FramebufferRenderer.h):
//   UTF-8, ANSI colours and cursor movement, and scrollback.
//
// The line discipline (echo, editing) runs in the reading program's C library, so this
// service keeps nothing a restart could lose but the screen's history: init keeps both
// ends of the session and of the keyboard channel.
//
// Start-up roles: SerialConsole, ConsoleSession; optionally Framebuffer (its layout in
// RAEEN_FRAMEBUFFER) and KeyboardInput.

#include <ABI/Channel.h>
#include <ABI/Memory.h>
#include <ABI/Signals.h>
#include <Core/BitmapFont.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/ThreadBlock.h>
#include <Userland/Services/Console/FramebufferRenderer.h>
#include <Userland/Services/Console/Terminal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

constexpr uint32_t readable = ABI::signal_bits(ABI::Signal::Readable);
constexpr uint32_t history_lines = 500;

struct Screen {
    Console::Terminal* terminal { nullptr };
    Console::FramebufferRenderer* renderer { nullptr };
};

// The framebuffer's terminal, when init passed a framebuffer; nothing otherwise.
Screen open_screen()
{
    const LibC::StartupHandle* framebuffer = LibC::startup_handle(LibC::HandleRole::Framebuffer);
    const char* layout = getenv("RAEEN_FRAMEBUFFER");
    if (!framebuffer || !layout)
        return {};
    unsigned width = 0, height = 0, pitch = 0, bits = 0, red_position = 0, red_size = 0, green_position = 0,
             green_size = 0, blue_position = 0, blue_size = 0;
    unsigned long long offset = 0;
    if (sscanf(layout, "%u %u %u %u %u %u %u %u %u %u %llu", &width, &height, &pitch, &bits, &red_position,
            &red_size, &green_position, &green_size, &blue_position, &blue_size, &offset)
            != 11
        || (bits != 16 && bits != 24 && bits != 32) || width == 0 || height == 0 || width > 16384
        || height > 16384 || static_cast<uint64_t>(pitch) < static_cast<uint64_t>(width) * (bits / 8)) {
        System::debug_log("the framebuffer's layout is unreadable; serial only");
        return {};
    }
    // Each colour channel inside the pixel, at most 8 bits: the renderer shifts by these.
    auto channel_fits = [&](unsigned position, unsigned channel_size) {
        return channel_size >= 1 && channel_size <= 8 && position + channel_size <= bits;
    };
    if (!channel_fits(red_position, red_size) || !channel_fits(green_position, green_size)
        || !channel_fits(blue_position, blue_size)) {
        System::debug_log("the framebuffer's colour layout is unusable; serial only");
        return {};
    }
    int64_t size = System::memory_object_size(framebuffer->handle);
    // Every row the renderer writes lies inside the object (no sum wraps: each term is small).
    uint64_t needed = static_cast<uint64_t>(pitch) * height;
    if (size <= 0 || offset > static_cast<uint64_t>(size) || static_cast<uint64_t>(size) - offset < needed) {
        System::debug_log("the framebuffer is smaller than its layout; serial only");
        return {};
    }
    int64_t address = System::vm_map(Runtime::process_handle(), framebuffer->handle, 0,
        static_cast<uint64_t>(size), ABI::vm_read | ABI::vm_write);
    if (address <= 0) {
        System::debug_log("the framebuffer cannot be mapped; serial only");
        return {};
    }
    Console::Surface surface {
        .pixels = reinterpret_cast<uint8_t*>(address) + offset,
        .width = width,
        .height = height,
        .pitch = pitch,
        .bytes_per_pixel = bits / 8,
        .red_position = static_cast<uint8_t>(red_position),
        .red_size = static_cast<uint8_t>(red_size),
        .green_position = static_cast<uint8_t>(green_position),
        .green_size = static_cast<uint8_t>(green_size),
        .blue_position = static_cast<uint8_t>(blue_position),
        .blue_size = static_cast<uint8_t>(blue_size),
    };
    auto* renderer = new Console::FramebufferRenderer(surface, Core::console_font);
    uint32_t columns = renderer->columns();
    uint32_t rows = renderer->rows();
    auto* screen_cells
        = static_cast<Console::Cell*>(calloc(static_cast<size_t>(columns) * rows, sizeof(Console::Cell)));
    auto* history_cells = static_cast<Console::Cell*>(
        calloc(static_cast<size_t>(columns) * history_lines, sizeof(Console::Cell)));
    if (!screen_cells || !history_cells || columns == 0 || rows == 0)
        return {};
    auto* terminal = new Console::Terminal(screen_cells, history_cells, columns, rows, history_lines);
    renderer->draw(*terminal);
    char message[96];
    int length = snprintf(message, sizeof(message), "the screen is a %ux%u terminal", columns, rows);
    System::debug_log(message, static_cast<size_t>(length));
    return { terminal, renderer };
}

void forward_to_session(uint32_t session, const char* bytes, uint64_t length)
{
    (void)System::channel_write(session, bytes, length);
}

// Input: whatever the UART received, straight to the session.
void forward_serial_input(uint32_t serial, uint32_t session)
{
    char bytes[512];
    for (;;) {
        int64_t received = System::serial_console_read(serial, bytes, sizeof(bytes));
        if (received <= 0)
            return;
        forward_to_session(session, bytes, static_cast<uint64_t>(received));
    }
}

// Keys from the keyboard driver: to the session, but for the scrollback keys, which the
// screen takes.
void forward_keyboard_input(uint32_t keyboard, uint32_t session, Screen& screen)
{
    static const char scroll_up[] = "\x1b[5;2~";
    static const char scroll_down[] = "\x1b[6;2~";
    for (;;) {
        char keys[256];
        ABI::ChannelReadBuffer buffer { reinterpret_cast<uint64_t>(keys), sizeof(keys), 0, 0, 0, 0 };
        if (System::channel_read(keyboard, &buffer) != 0)
            return;
        // A message holds the keys of one interrupt, so a scroll key can sit among others.
        uint64_t length = buffer.byte_count;
        char rest[sizeof(keys)];
        uint64_t rest_length = 0;
        int32_t scroll = 0;
        constexpr uint64_t sequence_length = sizeof(scroll_up) - 1;
        for (uint64_t index = 0; index < length;) {
            bool fits = screen.terminal && index + sequence_length <= length;
            if (fits && memcmp(keys + index, scroll_up, sequence_length) == 0) {
                scroll += static_cast<int32_t>(screen.terminal->rows() / 2);
                index += sequence_length;
            } else if (fits && memcmp(keys + index, scroll_down, sequence_length) == 0) {
                scroll -= static_cast<int32_t>(screen.terminal->rows() / 2);
                index += sequence_length;
            } else {
                rest[rest_length++] = keys[index++];
            }
        }
        if (scroll != 0) {
            screen.terminal->scroll_view(scroll);
            screen.renderer->draw(*screen.terminal);
        }
        if (rest_length > 0)
            forward_to_session(session, rest, rest_length);
    }
}

// Output: each message of the session, to both terminals.
void forward_output(uint32_t session, uint32_t serial, Screen& screen)
{
    static char message[ABI::channel_maximum_message_bytes];
    static char translated[2 * 2048];
    bool drew = false;
    // A bounded batch, then back to waiting: a program that writes without pause must not
    // keep typed keys (^C among them) from reaching the session, nor the screen from being
    // drawn.
    constexpr int messages_per_pass = 16;
    for (int taken = 0; taken < messages_per_pass; ++taken) {
        ABI::ChannelReadBuffer buffer { reinterpret_cast<uint64_t>(message), sizeof(message), 0, 0, 0, 0 };
        int64_t result = System::channel_read(session, &buffer);
        if (result != 0) {
            // A message with handles has no place on a terminal: it is read and dropped.
            if (result == System::failure(ABI::ErrorCode::BufferTooSmall)) {
                uint32_t handles[ABI::channel_maximum_message_handles];
                buffer.handles_address = reinterpret_cast<uint64_t>(handles);
                buffer.handles_capacity = ABI::channel_maximum_message_handles;
                if (System::channel_read(session, &buffer) == 0) {
                    for (uint64_t index = 0; index < buffer.handle_count; ++index)
                        (void)System::handle_close(handles[index]);
                }
            }
            break;
        }
        uint64_t position = 0;
        while (position < buffer.byte_count) {
            uint64_t length = 0;
            while (position < buffer.byte_count && length + 2 <= sizeof(translated)) {
                char character = message[position++];
                if (character == '\n')
                    translated[length++] = '\r';
                translated[length++] = character;
            }
            (void)System::serial_console_write(serial, translated, length);
            if (screen.terminal) {
                screen.terminal->write(reinterpret_cast<const uint8_t*>(translated), length);
                drew = true;
            }
        }
    }
    // Drawn once for everything read: a burst of output costs one pass over the screen.
    if (drew)
        screen.renderer->draw(*screen.terminal);
}

} // namespace

int main()
{
    const LibC::StartupHandle* serial = LibC::startup_handle(LibC::HandleRole::SerialConsole);
    const LibC::StartupHandle* session = LibC::startup_handle(LibC::HandleRole::ConsoleSession);
    const LibC::StartupHandle* keyboard = LibC::startup_handle(LibC::HandleRole::KeyboardInput);
    if (!serial || !session) {
        System::debug_log("started without a serial console or a session");
        return 2;
    }
    Screen screen = open_screen();
    ABI::WaitItem items[3] = {
        { serial->handle, readable, 0 },
        { session->handle, readable, 0 },
        { keyboard ? keyboard->handle : 0, readable, 0 },
    };
    uint64_t item_count = keyboard ? 3 : 2;
    for (;;) {
        int64_t woken = System::object_wait_many(items, item_count, ABI::no_deadline);
        if (woken < 0)
            return 3;
        if (items[0].observed & readable)
            forward_serial_input(serial->handle, session->handle);
        if (keyboard && (items[2].observed & readable))
            forward_keyboard_input(keyboard->handle, session->handle, screen);
        if (items[1].observed & readable)
            forward_output(session->handle, serial->handle, screen);
    }
}
