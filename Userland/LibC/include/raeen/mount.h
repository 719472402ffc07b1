#pragma once

// Mounting, and a program's namespace (RaeenOS's own): Userland/LibC/Unix.cpp,
// docs/filesystems.md#the-vfs.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RAEEN_MOUNT_READ_ONLY 1

struct raeen_mount_entry {
    char mount_point[192];
    char source[32]; // a block device's name ("vda"), "tmpfs", "initrd"
    char type[16]; // "ext2", "fat", "tmpfs", "initramfs"
    uint64_t total_blocks;
    uint64_t free_blocks;
    uint64_t total_files;
    uint64_t free_files;
    uint32_t block_size;
    uint32_t flags; // RAEEN_MOUNT_READ_ONLY
    uint64_t device; // st_dev of the files on it
};

// Mounts `source` (a block device's name, "vda" or "/dev/vda"; or "tmpfs") on the directory
// `target`, with file system `type` ("ext2", "fat", "tmpfs"; null or "" to detect it from the
// device). In this program's namespace, and every namespace it shares. 0, or -1 with errno:
// ENOENT (no such device or directory), ENOTDIR, EBUSY (something is mounted there), ENODEV
// (no such type, or the device holds none this system reads), EINVAL (a damaged volume).
int raeen_mount(const char* source, const char* target, const char* type, unsigned flags);
// Unmounts what is mounted on `target`: its service writes everything, marks the volume
// clean and ends. -1 with EBUSY while files are open on it or something is mounted inside.
int raeen_umount(const char* target);
// Up to `capacity` mounts of this program's namespace; how many there are written, or -1.
int raeen_mounts(struct raeen_mount_entry* entries, int capacity);
// This program's namespace becomes a copy of the one it had: mounts from now on are its own
// (and its children's). 0, or -1 with errno.
int raeen_unshare(void);

#ifdef __cplusplus
}
#endif
