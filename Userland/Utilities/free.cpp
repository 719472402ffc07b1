// free: physical memory, total, used and free, in KiB (needs the system-control handle).

#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <stdio.h>

int main()
{
    const LibC::StartupHandle* system = LibC::startup_handle(LibC::HandleRole::SystemControl);
    ABI::MemoryInfo memory {};
    if (!system || System::system_memory_info(system->handle, &memory) != 0) {
        fprintf(stderr, "free: no access to the system's memory totals\n");
        return 1;
    }
    printf("%-8s %12s %12s %12s %12s\n", "", "total", "used", "free", "reserved");
    printf("%-8s %12llu %12llu %12llu %12llu\n",
        "Mem:", static_cast<unsigned long long>(memory.total_bytes / 1024),
        static_cast<unsigned long long>(memory.allocated_bytes / 1024),
        static_cast<unsigned long long>(memory.free_bytes / 1024),
        static_cast<unsigned long long>(memory.reserved_bytes / 1024));
    return 0;
}
