// shutdown: turns the machine off (ACPI S5; QEMU exits). Needs the system-control handle with Manage.

#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <stdio.h>

int main()
{
    const LibC::StartupHandle* system = LibC::startup_handle(LibC::HandleRole::SystemControl);
    if (!system) {
        fprintf(stderr, "shutdown: this program was not given the system-control handle\n");
        return 1;
    }
    fflush(stdout);
    int64_t result = System::system_power(system->handle, ABI::PowerAction::PowerOff);
    fprintf(stderr, "shutdown: refused (error %lld)\n", static_cast<long long>(-result));
    return 1;
}
