// dmesg: the kernel log's kept history (its last 64 KiB; needs the system-control handle).

#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <stdio.h>
#include <unistd.h>

int main()
{
    const LibC::StartupHandle* system = LibC::startup_handle(LibC::HandleRole::SystemControl);
    if (!system) {
        fprintf(stderr, "dmesg: no access to the kernel log\n");
        return 1;
    }
    static char chunk[4096];
    uint64_t skip = 0;
    for (;;) {
        int64_t copied = System::system_log_read(system->handle, chunk, sizeof(chunk), skip);
        if (copied < 0) {
            fprintf(stderr, "dmesg: the kernel log cannot be read\n");
            return 1;
        }
        if (copied == 0)
            return 0;
        (void)write(1, chunk, static_cast<size_t>(copied));
        skip += static_cast<uint64_t>(copied);
    }
}
