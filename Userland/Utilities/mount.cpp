// mount [-t TYPE]: lists this program's namespace's mounts, as Linux's mount does,
// `SOURCE on MOUNTPOINT type TYPE (rw|ro)`, only those of TYPE with -t.
// mount [-r|-w] [-t TYPE] [-o OPTIONS] SOURCE DIRECTORY: mounts SOURCE (a block device, "vda"
// or "/dev/vda", or "tmpfs") on DIRECTORY (raeen_mount). TYPE is ext2, fat or tmpfs; without
// it (or with "auto") the type is read from the device. OPTIONS are "ro", "rw" and
// "defaults", separated by commas; -r is -o ro. The mount is seen by this namespace and those
// that share it (not by a program that ran unshare). A device mounted already in this
// namespace is refused. Status 0, 1 for usage, 32 when the mount failed (Linux's statuses).

#include <errno.h>
#include <raeen/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr int usage_status = 1;
constexpr int failure_status = 32;

int usage()
{
    fprintf(stderr, "usage: mount [-t TYPE]\n       mount [-r|-w] [-t TYPE] [-o ro|rw] SOURCE DIRECTORY\n");
    return usage_status;
}

int list(const char* only_type)
{
    static raeen_mount_entry entries[64];
    int count = raeen_mounts(entries, 64);
    if (count < 0) {
        fprintf(stderr, "mount: cannot list the mounts: %s\n", strerror(errno));
        return failure_status;
    }
    if (count > 64)
        count = 64;
    for (int index = 0; index < count; ++index) {
        const raeen_mount_entry& entry = entries[index];
        if (only_type && strcmp(only_type, entry.type) != 0)
            continue;
        printf("%s on %s type %s (%s)\n", entry.source, entry.mount_point, entry.type,
            (entry.flags & RAEEN_MOUNT_READ_ONLY) ? "ro" : "rw");
    }
    return 0;
}

// Reads the comma-separated OPTIONS into `flags`; false (with a message) for one it does not
// know.
bool parse_options(const char* options, unsigned& flags)
{
    char* copy = strdup(options);
    if (!copy)
        return false;
    bool parsed = true;
    char* saved = nullptr;
    for (char* option = strtok_r(copy, ",", &saved); option; option = strtok_r(nullptr, ",", &saved)) {
        if (strcmp(option, "ro") == 0) {
            flags |= RAEEN_MOUNT_READ_ONLY;
        } else if (strcmp(option, "rw") == 0) {
            flags &= ~static_cast<unsigned>(RAEEN_MOUNT_READ_ONLY);
        } else if (strcmp(option, "defaults") != 0) {
            fprintf(stderr, "mount: unsupported option '%s'\n", option);
            parsed = false;
        }
    }
    free(copy);
    return parsed;
}

// `path` without repeated slashes, "." components and a trailing slash, which never change
// what a directory's path names: the VFS records the mount point as it is given, and
// "/mnt/" should list as "/mnt". ".." is left alone (it is not lexical across symbolic
// links).
void tidy_path(const char* path, char* tidy, size_t capacity)
{
    size_t length = 0;
    const char* position = path;
    while (*position && length + 1 < capacity) {
        if (*position == '/') {
            while (*position == '/')
                ++position;
            // A "." component and the slashes after it.
            while (position[0] == '.' && (position[1] == '/' || position[1] == 0)) {
                ++position;
                while (*position == '/')
                    ++position;
            }
            if (length == 0 || *position)
                tidy[length++] = '/';
            continue;
        }
        tidy[length++] = *position++;
    }
    if (length == 0)
        tidy[length++] = '.';
    tidy[length] = 0;
}

bool is_known_type(const char* type)
{
    return strcmp(type, "ext2") == 0 || strcmp(type, "fat") == 0 || strcmp(type, "tmpfs") == 0
        || strcmp(type, "initramfs") == 0;
}

// The mount point where device `source` is mounted in this namespace already, or null. The
// VFS starts a file system service per mount, and two on one device would each keep their
// own copy of its metadata and corrupt it, so a second mount is refused.
const char* device_mount_point(const char* source, const char* type)
{
    // Only devices matter; a type with no service fails anyway, and says so.
    bool on_device
        = !type || (is_known_type(type) && strcmp(type, "tmpfs") != 0 && strcmp(type, "initramfs") != 0);
    if (!on_device || strcmp(source, "tmpfs") == 0)
        return nullptr;
    if (strncmp(source, "/dev/", 5) == 0)
        source += 5;
    static raeen_mount_entry entries[64];
    int count = raeen_mounts(entries, 64);
    for (int index = 0; index < count && index < 64; ++index) {
        if (strcmp(entries[index].source, source) == 0 && strcmp(entries[index].type, "tmpfs") != 0
            && strcmp(entries[index].type, "initramfs") != 0)
            return entries[index].mount_point;
    }
    return nullptr;
}

} // namespace

int main(int argument_count, char** arguments)
{
    const char* type = nullptr;
    unsigned flags = 0;
    int option;
    while ((option = getopt(argument_count, arguments, "t:o:rw")) != -1) {
        switch (option) {
        case 't':
            type = optarg;
            break;
        case 'o':
            if (!parse_options(optarg, flags))
                return usage_status;
            break;
        case 'r':
            flags |= RAEEN_MOUNT_READ_ONLY;
            break;
        case 'w':
            flags &= ~static_cast<unsigned>(RAEEN_MOUNT_READ_ONLY);
            break;
        default:
            return usage();
        }
    }
    int operands = argument_count - optind;
    if (operands == 0)
        return list(type);
    if (operands != 2)
        return usage();
    const char* source = arguments[optind];
    static char directory[4096];
    tidy_path(arguments[optind + 1], directory, sizeof(directory));
    if (type && strcmp(type, "auto") == 0)
        type = nullptr;

    // What Linux's mount says when the mount point is wrong, before asking the VFS.
    struct stat status { };
    if (stat(directory, &status) != 0) {
        fprintf(stderr, "mount: %s: mount point does not exist.\n", directory);
        return failure_status;
    }
    if (!S_ISDIR(status.st_mode)) {
        fprintf(stderr, "mount: %s: mount point is not a directory.\n", directory);
        return failure_status;
    }
    if (const char* mounted = device_mount_point(source, type)) {
        fprintf(stderr, "mount: %s: %s already mounted on %s.\n", directory, source, mounted);
        return failure_status;
    }
    if (raeen_mount(source, directory, type, flags) == 0)
        return 0;
    switch (errno) {
    case ENOENT:
        // The VFS looks for the device before it looks at the type: a type it has no service
        // for is named first, as Linux's mount does.
        if (type && !is_known_type(type))
            fprintf(stderr, "mount: %s: unknown filesystem type '%s'.\n", directory, type);
        else
            fprintf(stderr, "mount: %s: special device %s does not exist.\n", directory, source);
        break;
    case EBUSY:
        fprintf(stderr, "mount: %s: mount point is busy.\n", directory);
        break;
    case ENODEV:
        if (type && !is_known_type(type))
            fprintf(stderr, "mount: %s: unknown filesystem type '%s'.\n", directory, type);
        else
            fprintf(stderr, "mount: %s: wrong fs type or bad superblock on %s.\n", directory, source);
        break;
    case EINVAL:
    case EIO:
        fprintf(stderr, "mount: %s: wrong fs type or bad superblock on %s.\n", directory, source);
        break;
    default:
        fprintf(stderr, "mount: %s: %s.\n", directory, strerror(errno));
        break;
    }
    return failure_status;
}
