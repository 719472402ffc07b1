#pragma once

// fcntl.h: open()'s flags (Linux's values). Userland/LibC/Descriptors.cpp.

#include <sys/types.h>

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_ACCMODE 3
#define O_CREAT 0100
#define O_EXCL 0200
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000

#ifdef __cplusplus
extern "C" {
#endif

// Files of the RAM disk open read-only (EROFS for writing or creating), and /dev/null.
int open(const char* path, int flags, ...);
int creat(const char* path, mode_t mode);

#ifdef __cplusplus
}
#endif
