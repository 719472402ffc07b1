#pragma once

// unistd.h: descriptors, the working directory, sleeping, getopt. Userland/LibC/Unix.cpp.

#include <sys/types.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

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
