#pragma once

// unistd.h: descriptors, files, the working directory, sleeping, getopt. Userland/LibC/Unix.cpp.

#include <sys/types.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

#ifdef __cplusplus
extern "C" {
#endif

ssize_t read(int descriptor, void* buffer, size_t count);
ssize_t write(int descriptor, const void* bytes, size_t count);
int close(int descriptor);
int dup(int descriptor);
int dup2(int descriptor, int target);
int pipe(int descriptors[2]);
off_t lseek(int descriptor, off_t offset, int whence);
int isatty(int descriptor);
// The RAM disk is read-only: EROFS for a file that exists, ENOENT otherwise.
int unlink(const char* path);
int symlink(const char* target, const char* link);
ssize_t readlink(const char* path, char* buffer, size_t capacity);
int truncate(const char* path, off_t size);
int ftruncate(int descriptor, off_t size);
int fsync(int descriptor);
int fdatasync(int descriptor);
void sync(void);
ssize_t pread(int descriptor, void* buffer, size_t count, off_t offset);
ssize_t pwrite(int descriptor, const void* bytes, size_t count, off_t offset);
int access(const char* path, int mode);
int rmdir(const char* path);

char* getcwd(char* buffer, size_t size);
int chdir(const char* path);

unsigned sleep(unsigned seconds);
int usleep(useconds_t microseconds);

__attribute__((noreturn)) void _exit(int status);

extern char* optarg;
extern int optind, opterr, optopt;
int getopt(int argument_count, char* const arguments[], const char* options);

#ifdef __cplusplus
}
#endif
