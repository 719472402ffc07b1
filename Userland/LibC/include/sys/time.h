#pragma once

// sys/time.h: utimes. Userland/LibC/Unix.cpp.

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct timeval {
    time_t tv_sec;
    suseconds_t tv_usec;
};

// Sets the access and modification times (the current time for a null `times`).
int utimes(const char* path, const struct timeval times[2]);

#ifdef __cplusplus
}
#endif
