// The FAT service (docs/filesystems.md#the-fat-service): one FAT32 volume on a block device,
// served to the VFS. The VFS starts one per mount, with the disk driver's channel.
//
// Arguments: [--read-only].
// Start-up roles: FileSystemServer, BlockDevice.
// Exit status: 0 unmounted, 1 the VFS went away, 2 not a FAT32 volume this service reads,
// 3 no memory or no handles.

#include <Userland/FileSystems/BlockCache.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Block/Client.h>
#include <Userland/Services/Fat/FatBackend.h>
#include <Userland/Services/FileSystem/DriverDevice.h>
#include <Userland/Services/FileSystem/Server.h>
#include <string.h>

namespace {

// The page cache's size: 8 MiB, as the ext2 service's.
constexpr Core::u32 cache_pages = 2048;

} // namespace

int main(int argc, char** argv)
{
    const LibC::StartupHandle* server = LibC::startup_handle(LibC::HandleRole::FileSystemServer);
    const LibC::StartupHandle* disk = LibC::startup_handle(LibC::HandleRole::BlockDevice);
    if (!server || !disk) {
        System::debug_log("started without its channel or its disk");
        return 3;
    }
    bool read_only = false;
    for (int index = 1; index < argc; ++index) {
        if (argv[index] && strcmp(argv[index], "--read-only") == 0)
            read_only = true;
    }
    Block::GeometryReply geometry;
    if (!Block::geometry(disk->handle, geometry) || geometry.block_size == 0)
        return 2;
    static FileSystem::DriverDevice device(disk->handle, geometry);
    auto cache = FileSystems::BlockCache::create(device, cache_pages);
    if (cache.is_error())
        return 3;
    auto backend = FatService::FatBackend::create(
        *cache.value(), read_only || geometry.read_only, FileSystem::current_time);
    if (backend.is_error())
        return backend.error().code() == Core::ErrorCode::OutOfMemory ? 3 : 2;
    return FileSystem::serve(*backend.value(), server->handle);
}
