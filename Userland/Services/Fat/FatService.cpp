// The FAT service (docs/filesystems.md#the-fat-service): one FAT32 volume on a block device,
// served to the VFS. The VFS starts one per mount, with the disk driver's channel.
//
// Arguments, start-up roles and exit statuses: FileSystem::serve_disk (DiskService.h).

#include <Userland/Services/Fat/FatBackend.h>
#include <Userland/Services/FileSystem/DiskService.h>

int main(int argc, char** argv)
{
    // A lambda, since `create` also names the Backend's call that makes a file.
    return FileSystem::serve_disk(
        argc, argv, [](FileSystems::BlockCache& cache, bool read_only, Core::i64 (*clock)()) {
            return FatService::FatBackend::create(cache, read_only, clock);
        });
}
