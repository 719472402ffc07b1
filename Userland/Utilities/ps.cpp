// ps: every process that exists: its id, state, threads and name (needs the system-control
// handle).

#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <stdio.h>
#include <stdlib.h>

int main()
{
    const LibC::StartupHandle* system = LibC::startup_handle(LibC::HandleRole::SystemControl);
    if (!system) {
        fprintf(stderr, "ps: no access to the process list\n");
        return 1;
    }
    // Asked again with room for all if processes were made in between.
    uint64_t capacity = 64;
    ABI::ProcessInfo* records = nullptr;
    int64_t count = 0;
    for (;;) {
        free(records);
        records = static_cast<ABI::ProcessInfo*>(malloc(capacity * sizeof(ABI::ProcessInfo)));
        if (!records)
            return 1;
        count = System::system_process_list(system->handle, records, capacity);
        if (count < 0) {
            fprintf(stderr, "ps: the process list cannot be read\n");
            return 1;
        }
        if (static_cast<uint64_t>(count) <= capacity)
            break;
        capacity = static_cast<uint64_t>(count) + 16;
    }
    static const char* const states[] = { "created", "starting", "running", "exited" };
    printf("%5s %-8s %7s %s\n", "ID", "STATE", "THREADS", "NAME");
    for (int64_t index = 0; index < count; ++index) {
        const ABI::ProcessInfo& record = records[index];
        printf("%5llu %-8s %7llu %s\n", static_cast<unsigned long long>(record.id),
            record.state < 4 ? states[record.state] : "?", static_cast<unsigned long long>(record.threads),
            record.name);
    }
    free(records);
    return 0;
}
