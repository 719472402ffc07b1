#pragma once

// The C library's side of the file system (docs/filesystems.md#the-c-library): paths go to
// the VFS over the program's namespace channel (the Namespace start-up role), and an open
// file is its own channel to the file system service that serves it (the file protocol).
// A program started without a namespace (the kernel's test programs) has only the RAM
// disk, read-only (Ramdisk.h).
//
// Errors are negated errno values.

#include <Userland/Services/FileSystem/Protocol.h>
#include <stddef.h>
#include <stdint.h>

namespace LibC {

// Whether the program has a namespace.
bool files_available();
// The namespace channel (0 without one), for passing on to children.
uint32_t namespace_channel();
// Makes `channel` the program's namespace from now on (unshare); the old one is closed.
void set_namespace_channel(uint32_t channel);

// The file mode creation mask (umask): bits cleared from new files' modes. 022 at start.
uint32_t file_mode_mask();
// Sets it; returns the old one.
uint32_t set_file_mode_mask(uint32_t mask);

// The errno value of a file system status.
int errno_of_status(uint32_t status);

// `path` made absolute (joined to the working directory), into `output`: -ENAMETOOLONG,
// -ENOENT for an empty path.
int absolute_path(const char* path, char* output, size_t capacity);

// The namespace calls. `path` and `second` may be relative.
int path_stat(const char* path, bool follow, FileSystem::Attributes& attributes);
int path_open(
    const char* path, uint32_t flags, uint32_t mode, uint32_t& file, FileSystem::Attributes& attributes);
int path_make_directory(const char* path, uint32_t mode);
int path_remove(const char* path, bool directory);
int path_rename(const char* from, const char* to);
int path_symlink(const char* target, const char* link);
// The link's target, NUL-terminated when it fits; its length.
int64_t path_read_link(const char* path, char* buffer, size_t capacity);
int path_set_mode(const char* path, uint32_t mode);
int path_set_times(const char* path, int64_t access_time, int64_t modification_time);
int path_truncate(const char* path, uint64_t size);
int path_mount(const char* source, const char* target, const char* type, uint32_t flags);
int path_unmount(const char* target);
int file_systems_sync();
// Up to `capacity` mounts; how many were written.
int list_mounts(FileSystem::MountRecord* records, int capacity);
// A new namespace channel, a copy of this one's (unshare).
int64_t clone_namespace();

// The file calls, on an open file's channel.
int64_t file_read(uint32_t file, void* buffer, size_t count);
int64_t file_write(uint32_t file, const void* bytes, size_t count);
int64_t file_read_at(uint32_t file, void* buffer, size_t count, uint64_t offset);
int64_t file_write_at(uint32_t file, const void* bytes, size_t count, uint64_t offset);
int64_t file_seek(uint32_t file, int64_t offset, int whence);
int file_attributes(uint32_t file, FileSystem::Attributes& attributes);
int file_truncate(uint32_t file, uint64_t size);
int file_sync(uint32_t file);
// Calls visit(context, record name, type) for the directory's entries from `position`;
// returns the next position, or 0 after the last (negative: an error).
int64_t file_read_directory(uint32_t file, uint64_t position,
    void (*visit)(void* context, const char* name, size_t name_length, uint8_t type), void* context);

} // namespace LibC
