// mouse [-n COUNT]: prints the mouse's events as they come, one a line: the motion (right
// and up positive), the wheel and the buttons held. With -n, stops after COUNT events;
// otherwise runs until interrupted.

#include <ABI/Signals.h>
#include <Core/Ipc/Schema.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Input/Protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv)
{
    long count = -1;
    if (argc == 3 && strcmp(argv[1], "-n") == 0) {
        char* end = nullptr;
        count = strtol(argv[2], &end, 10);
        if (!end || *end != '\0' || count <= 0) {
            fprintf(stderr, "mouse: %s: not a positive count\n", argv[2]);
            return 2;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: mouse [-n COUNT]\n");
        return 2;
    }
    const LibC::StartupHandle* input = LibC::startup_handle(LibC::HandleRole::MouseInput);
    if (!input) {
        fprintf(stderr, "mouse: this program was not given the mouse channel\n");
        return 1;
    }
    for (long seen = 0; count < 0 || seen < count;) {
        if (System::object_wait(input->handle, ABI::signal_bits(ABI::Signal::Readable), ABI::no_deadline) < 0)
            return 1;
        uint8_t bytes[64];
        ABI::ChannelReadBuffer buffer { reinterpret_cast<uint64_t>(bytes), sizeof(bytes), 0, 0, 0, 0 };
        if (System::channel_read(input->handle, &buffer) != 0)
            continue; // another reader took it
        auto event = Core::Ipc::decode<Input::MouseEvent>(Core::ReadonlyBytes(bytes, buffer.byte_count), {});
        if (event.is_error())
            continue;
        const Input::MouseEvent& motion = event.value().message;
        printf("dx=%d dy=%d wheel=%d buttons=%s%s%s%s\n", motion.dx, motion.dy, motion.wheel,
            motion.buttons & Input::Left ? "L" : "", motion.buttons & Input::Middle ? "M" : "",
            motion.buttons & Input::Right ? "R" : "", motion.buttons == 0 ? "-" : "");
        fflush(stdout);
        ++seen;
    }
    return 0;
}
