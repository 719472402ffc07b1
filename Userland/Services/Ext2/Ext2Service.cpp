// The ext2 service (docs/filesystems.md#ext2): one ext2 volume on a block device, served to
// the VFS. The VFS starts one per mount, with the disk driver's channel.
//
// Arguments, start-up roles and exit statuses: FileSystem::serve_disk (DiskService.h).

#include <Userland/Services/Ext2/Ext2Backend.h>
#include <Userland/Services/FileSystem/DiskService.h>

int main(int argc, char** argv)
{
    // A lambda, since `create` also names the Backend's call that makes a file.
    return FileSystem::serve_disk(
        argc, argv, [](FileSystems::BlockCache& cache, bool read_only, Core::i64 (*clock)()) {
            return Ext2Service::Ext2Backend::create(cache, read_only, clock);
        });
}
