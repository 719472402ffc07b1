// umount TARGET...: unmounts each TARGET (raeen_umount): a mount point, or the source of
// exactly one mount ("vda" or "/dev/vda"), as Linux's umount takes either. The file system's
// service writes everything out and marks the volume clean first. A file system with
// something mounted inside it stays (busy). Status 0, 1 for usage, 32 if any target stayed
// mounted (Linux's statuses).

#include <errno.h>
#include <raeen/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

namespace {

constexpr int usage_status = 1;
constexpr int failure_status = 32;

// The mount point of the one mount whose source is `name` (with or without "/dev/"), or
// null with a message.
const char* mount_point_of_source(const char* name)
{
    static raeen_mount_entry entries[64];
    int count = raeen_mounts(entries, 64);
    if (count > 64)
        count = 64;
    const char* device = strncmp(name, "/dev/", 5) == 0 ? name + 5 : name;
    const char* found = nullptr;
    for (int index = 0; index < count; ++index) {
        if (strcmp(entries[index].source, device) != 0)
            continue;
        if (found) {
            fprintf(
                stderr, "umount: %s: mounted on more than one mount point; name the mount point.\n", name);
            return nullptr;
        }
        found = entries[index].mount_point;
    }
    if (!found)
        fprintf(stderr, "umount: %s: no mount point specified.\n", name);
    return found;
}

bool unmount(const char* target)
{
    struct stat status { };
    if (stat(target, &status) != 0) {
        const char* point = mount_point_of_source(target);
        return point && unmount(point);
    }
    if (raeen_umount(target) == 0)
        return true;
    switch (errno) {
    case EINVAL:
        fprintf(stderr, "umount: %s: not mounted.\n", target);
        break;
    case EBUSY:
        fprintf(stderr, "umount: %s: target is busy.\n", target);
        break;
    default:
        fprintf(stderr, "umount: %s: %s.\n", target, strerror(errno));
        break;
    }
    return false;
}

} // namespace

int main(int argument_count, char** arguments)
{
    if (argument_count < 2 || arguments[1][0] == '-') {
        fprintf(stderr, "usage: umount DIRECTORY...\n");
        return usage_status;
    }
    int status = 0;
    for (int index = 1; index < argument_count; ++index) {
        if (!unmount(arguments[index]))
            status = failure_status;
    }
    return status;
}
