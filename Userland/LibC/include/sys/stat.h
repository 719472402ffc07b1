#pragma once

// sys/stat.h: what a file system says of a file. Userland/LibC/Unix.cpp.

#include <sys/types.h>

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFREG 0100000
#define S_IFLNK 0120000
#define S_ISDIR(mode) (((mode)&S_IFMT) == S_IFDIR)
#define S_ISREG(mode) (((mode)&S_IFMT) == S_IFREG)
#define S_ISLNK(mode) (((mode)&S_IFMT) == S_IFLNK)
#define S_ISCHR(mode) (((mode)&S_IFMT) == S_IFCHR)

#ifdef __cplusplus
extern "C" {
#endif

struct stat {
    dev_t st_dev; // the mount's number
    ino_t st_ino; // the file system's number for the file (an inode number)
    mode_t st_mode;
    nlink_t st_nlink;
    uid_t st_uid;
    gid_t st_gid;
    off_t st_size;
    blksize_t st_blksize;
    blkcnt_t st_blocks; // 512-byte units
    time_t st_atime;
    time_t st_mtime;
    time_t st_ctime;
};

int stat(const char* path, struct stat* status);
int lstat(const char* path, struct stat* status);
int fstat(int descriptor, struct stat* status);
int mkdir(const char* path, mode_t mode);
int rmdir(const char* path);
int chmod(const char* path, mode_t mode);
mode_t umask(mode_t mask);

#ifdef __cplusplus
}
#endif
