#pragma once

// sys/stat.h: what the RAM disk knows of a file. Userland/LibC/Unix.cpp.

#include <sys/types.h>

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFREG 0100000
#define S_ISDIR(mode) (((mode)&S_IFMT) == S_IFDIR)
#define S_ISREG(mode) (((mode)&S_IFMT) == S_IFREG)

#ifdef __cplusplus
extern "C" {
#endif

struct stat {
    mode_t st_mode;
    off_t st_size;
};

int stat(const char* path, struct stat* status);
int mkdir(const char* path, mode_t mode);
int rmdir(const char* path);

#ifdef __cplusplus
}
#endif
