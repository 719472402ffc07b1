// Process 1: the first user program, which the kernel loads from the initial RAM disk
// (/init) at the end of boot. Today it reports that user space runs, checks its bootstrap
// handle, and checks that the kernel refuses what it must; starting and supervising
// services arrives with process creation and IPC.

#include <ABI/ObjectType.h>
#include <ABI/Rights.h>
#include <Userland/Runtime/System.h>

namespace {

// Data reached through a pointer the loader had to relocate (this is a position-
// independent executable, and the pointer is read from memory because it is volatile):
// if relocation went wrong, the text would not print.
const char ready_message[] = "user space is running";
const char* volatile relocated_message = ready_message;

} // namespace

extern "C" int64_t main(uint64_t, uint64_t self)
{
    if (System::debug_log(relocated_message, sizeof(ready_message) - 1) != 0)
        return 1;
    // The bootstrap handle names this process, with every right.
    int64_t info = System::handle_info(static_cast<uint32_t>(self));
    if (info < 0 || (info >> 32) != static_cast<int64_t>(ABI::ObjectType::Process)
        || (info & 0xFFFFFFFF) != ABI::all_rights.raw())
        return 4;
    // The kernel must refuse a pointer into its own half, and an unknown call.
    if (System::debug_log(reinterpret_cast<const char*>(0xFFFFFFFF80000000ull), 8) >= 0)
        return 2;
    if (System::system_call(static_cast<ABI::Syscall>(0xFFFF)) >= 0)
        return 3;
    return 0;
}
