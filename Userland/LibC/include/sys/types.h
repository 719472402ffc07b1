#pragma once

// sys/types.h: the POSIX integer types RaeenOS's C library uses.

#include <stddef.h>
#include <stdint.h>

typedef int64_t ssize_t;
typedef int64_t off_t;
typedef uint32_t mode_t;
typedef int64_t pid_t;
typedef int64_t time_t;
typedef int64_t suseconds_t;
typedef uint64_t useconds_t;
typedef uint64_t dev_t;
typedef uint64_t ino_t;
typedef uint64_t nlink_t;
typedef uint32_t uid_t;
typedef uint32_t gid_t;
typedef int64_t blksize_t;
typedef int64_t blkcnt_t;
typedef uint64_t fsblkcnt_t;
typedef uint64_t fsfilcnt_t;
