// kill ID...: ends the processes with those ids (see ps), as process_kill does: their
// status is -2000. Needs the system-control handle; process 1 is refused.

#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argument_count, char** arguments)
{
    const LibC::StartupHandle* system = LibC::startup_handle(LibC::HandleRole::SystemControl);
    if (!system) {
        fprintf(stderr, "kill: no authority to end processes\n");
        return 1;
    }
    if (argument_count < 2) {
        fprintf(stderr, "usage: kill ID...\n");
        return 2;
    }
    int status = 0;
    for (int index = 1; index < argument_count; ++index) {
        char* end = nullptr;
        unsigned long long id = strtoull(arguments[index], &end, 10);
        if (*end != 0 || end == arguments[index]) {
            fprintf(stderr, "kill: %s: not a process id\n", arguments[index]);
            status = 1;
            continue;
        }
        int64_t result = System::system_process_kill(system->handle, id);
        if (result == System::failure(ABI::ErrorCode::NotFound)) {
            fprintf(stderr, "kill: %llu: no such process\n", id);
            status = 1;
        } else if (result == System::failure(ABI::ErrorCode::AccessDenied)) {
            fprintf(stderr, "kill: %llu: not permitted\n", id);
            status = 1;
        } else if (result != 0) {
            fprintf(stderr, "kill: %llu: failed (error %lld)\n", id, static_cast<long long>(-result));
            status = 1;
        }
    }
    return status;
}
