// The tmpfs service (docs/filesystems.md#tmpfs): files in memory, served to the VFS.
//
// Arguments: [size=BYTES] (the most data it holds; 64 MiB without it).
// Start-up roles: FileSystemServer.

#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/FileSystem/Server.h>
#include <Userland/Services/Tmpfs/TmpfsBackend.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv)
{
    const LibC::StartupHandle* server = LibC::startup_handle(LibC::HandleRole::FileSystemServer);
    if (!server) {
        System::debug_log("started without its channel");
        return 3;
    }
    Core::u64 capacity = 64ull << 20;
    for (int index = 1; index < argc; ++index) {
        if (argv[index] && strncmp(argv[index], "size=", 5) == 0)
            capacity = strtoull(argv[index] + 5, nullptr, 10);
    }
    auto backend = Tmpfs::TmpfsBackend::create(capacity, FileSystem::current_time);
    if (backend.is_error())
        return 3;
    return FileSystem::serve(*backend.value(), server->handle);
}
