#pragma once

// The initial RAM disk, read by path: until the VFS (M1.10), the files a program can open
// are those of the RAM disk, which a program receives as a read-only memory object (the
// Ramdisk start-up role) and maps on first use (docs/userland.md#files).

#include <stddef.h>
#include <stdint.h>

namespace LibC {

struct RamdiskNode {
    bool is_directory;
    uint32_t mode; // permission bits
    const uint8_t* data; // a file's contents
    size_t size;
};

// The file or directory at `path` (absolute or relative to the working directory).
// -ENOENT, -ENAMETOOLONG, -ENODEV when the program has no RAM disk.
int ramdisk_lookup(const char* path, RamdiskNode& node);

// Calls `visit(name, node, context)` for each entry directly inside the directory at
// `path`, in archive order; directories only implied by deeper paths are listed once.
// -ENOENT, -ENOTDIR.
int ramdisk_list(
    const char* path, void (*visit)(const char* name, const RamdiskNode& node, void* context), void* context);

// The working directory, absolute (chdir and getcwd).
const char* working_directory();
// -ENOENT, -ENOTDIR.
int change_working_directory(const char* path);

} // namespace LibC
