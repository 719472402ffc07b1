#pragma once

// What every disk file system service's main() does (ext2fs, fatfs): find its two start-up
// handles (FileSystemServer, BlockDevice), read the disk's geometry, put a page cache over
// the driver's channel, open the volume with `open_volume`, and serve it.
//
// Arguments: [--read-only]. Exit status: 0 unmounted, 1 the VFS went away, 2 not a volume
// `open_volume` reads, 3 no memory or no handles.

#include <Userland/FileSystems/BlockCache.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Block/Client.h>
#include <Userland/Services/FileSystem/DriverDevice.h>
#include <Userland/Services/FileSystem/Server.h>
#include <string.h>

namespace FileSystem {

// The page cache's size: 8 MiB.
inline constexpr Core::u32 disk_cache_pages = 2048;

// `open_volume(cache, read_only, clock)` returns the backend (a Result of a pointer to it).
template<typename OpenVolume> int serve_disk(int argc, char** argv, OpenVolume open_volume)
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
    static DriverDevice device(disk->handle, geometry);
    auto cache = FileSystems::BlockCache::create(device, disk_cache_pages);
    if (cache.is_error())
        return 3;
    auto backend = open_volume(*cache.value(), read_only || geometry.read_only, current_time);
    if (backend.is_error())
        return backend.error().code() == Core::ErrorCode::OutOfMemory ? 3 : 2;
    return serve(*backend.value(), server->handle);
}

} // namespace FileSystem
