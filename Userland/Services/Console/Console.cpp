// The console service: joins the serial console (the kernel's COM1, SerialConsole.h) to one
// terminal session, a stream channel whose other end is the shell's standard input, output
// and error (docs/console.md). Bytes typed go to the session as they arrive; bytes the
// session's programs write go to the terminal, each newline as a carriage return and a line
// feed (a terminal's output processing). The line discipline (echo, editing) runs in the
// reading program's C library, so this service only moves bytes, and a restart loses
// nothing but what was in flight: init keeps both ends of the session.
//
// Start-up roles: SerialConsole, ConsoleSession.

#include <ABI/Channel.h>
#include <ABI/Signals.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>

namespace {

constexpr uint32_t readable = ABI::signal_bits(ABI::Signal::Readable);

// Input: whatever the UART received, straight to the session.
void forward_input(uint32_t serial, uint32_t session)
{
    char bytes[512];
    for (;;) {
        int64_t received = System::serial_console_read(serial, bytes, sizeof(bytes));
        if (received <= 0)
            return;
        (void)System::channel_write(session, bytes, static_cast<uint64_t>(received));
    }
}

// Output: each message of the session, with "\n" made "\r\n".
void forward_output(uint32_t session, uint32_t serial)
{
    static char message[ABI::channel_maximum_message_bytes];
    static char translated[2 * 2048];
    for (;;) {
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
            return;
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
        }
    }
}

} // namespace

int main(int, char**)
{
    const LibC::StartupHandle* serial = LibC::startup_handle(LibC::HandleRole::SerialConsole);
    const LibC::StartupHandle* session = LibC::startup_handle(LibC::HandleRole::ConsoleSession);
    if (!serial || !session) {
        System::debug_log("console: started without a serial console or a session");
        return 2;
    }
    ABI::WaitItem items[2] = {
        { serial->handle, readable, 0 },
        { session->handle, readable, 0 },
    };
    for (;;) {
        int64_t woken = System::object_wait_many(items, 2, ABI::no_deadline);
        if (woken < 0)
            return 3;
        if (items[0].observed & readable)
            forward_input(serial->handle, session->handle);
        if (items[1].observed & readable)
            forward_output(session->handle, serial->handle);
    }
}
