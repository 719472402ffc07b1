// service list | status NAME | start NAME | stop NAME: asks init (over the service-control
// channel it gave the shell) about its services (docs/init.md).

#include <ABI/Channel.h>
#include <ABI/Signals.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <stdio.h>
#include <string.h>

int main(int argument_count, char** arguments)
{
    const LibC::StartupHandle* control = LibC::startup_handle(LibC::HandleRole::ServiceControl);
    if (!control) {
        fprintf(stderr, "service: this program was not given init's service-control channel\n");
        return 1;
    }
    if (argument_count < 2 || argument_count > 3) {
        fprintf(stderr, "usage: service list | status NAME | start NAME | stop NAME\n");
        return 2;
    }
    char request[128];
    int length = snprintf(request, sizeof(request), "%s%s%s", arguments[1], argument_count == 3 ? " " : "",
        argument_count == 3 ? arguments[2] : "");
    if (length < 0 || static_cast<size_t>(length) >= sizeof(request))
        return 2;
    if (System::channel_write(control->handle, request, static_cast<uint64_t>(length)) != 0) {
        fprintf(stderr, "service: init does not answer\n");
        return 1;
    }
    static char reply[4096];
    for (;;) {
        ABI::ChannelReadBuffer buffer { reinterpret_cast<uint64_t>(reply), sizeof(reply) - 1, 0, 0, 0, 0 };
        int64_t result = System::channel_read(control->handle, &buffer);
        if (result == System::failure(ABI::ErrorCode::WouldBlock)) {
            (void)System::object_wait(control->handle,
                ABI::signal_bits(ABI::Signal::Readable) | ABI::signal_bits(ABI::Signal::PeerClosed),
                ABI::no_deadline);
            continue;
        }
        if (result != 0) {
            fprintf(stderr, "service: init does not answer\n");
            return 1;
        }
        reply[buffer.byte_count] = 0;
        break;
    }
    bool ok = strncmp(reply, "ok\n", 3) == 0;
    fputs(ok ? reply + 3 : reply, ok ? stdout : stderr);
    return ok ? 0 : 1;
}
