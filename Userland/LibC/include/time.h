#pragma once

// time.h: the clocks (Userland/LibC/Unix.cpp) and UTC calendar time.

#include <sys/types.h>

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1

#ifdef __cplusplus
extern "C" {
#endif

struct timespec {
    time_t tv_sec;
    long tv_nsec;
};

struct tm {
    int tm_sec;
    int tm_min;
    int tm_hour;
    int tm_mday;
    int tm_mon;
    int tm_year;
    int tm_wday;
    int tm_yday;
    int tm_isdst;
};

typedef int clockid_t;

time_t time(time_t* result);
int clock_gettime(clockid_t clock, struct timespec* time);
int nanosleep(const struct timespec* duration, struct timespec* remaining);
// UTC: RaeenOS has no time zones yet.
struct tm* gmtime_r(const time_t* time, struct tm* result);
struct tm* gmtime(const time_t* time);

#ifdef __cplusplus
}
#endif
