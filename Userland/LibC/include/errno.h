#pragma once

// errno (C17 7.5): one per thread, in the thread's block (Userland/Runtime/ThreadBlock.h).
// The values are Linux's, so that ported programs and their tables of messages agree.

#ifdef __cplusplus
extern "C" {
#endif

int* __errno_location(void);
#define errno (*__errno_location())

#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EDEADLK 35
#define EEXIST 17
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENOSPC 28
#define EPIPE 32
#define EDOM 33
#define ERANGE 34
#define ENOSYS 38
#define EOVERFLOW 75
#define EILSEQ 84
#define ETIMEDOUT 110
#define ESRCH 3
#define E2BIG 7
#define ENOEXEC 8
#define ECHILD 10
#define EMFILE 24
#define ENOTTY 25
#define ESPIPE 29
#define EROFS 30
#define ENAMETOOLONG 36
#define ENOTEMPTY 39
#define ELOOP 40
#define ENOTSUP 95
#define EXDEV 18
#define ENFILE 23
#define EFBIG 27

#ifdef __cplusplus
}
#endif
