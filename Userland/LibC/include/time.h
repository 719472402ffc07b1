#pragma once

// time.h: the clocks (Userland/LibC/Unix.cpp) and calendar time. RaeenOS keeps no time
// zones yet: local time is UTC.

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
typedef long clock_t;
#define CLOCKS_PER_SEC 1000000L

time_t time(time_t* result);
int clock_gettime(clockid_t clock, struct timespec* time);
int nanosleep(const struct timespec* duration, struct timespec* remaining);
// UTC: RaeenOS has no time zones yet.
struct tm* gmtime_r(const time_t* time, struct tm* result);
struct tm* gmtime(const time_t* time);
struct tm* localtime_r(const time_t* time, struct tm* result);
struct tm* localtime(const time_t* time);
time_t timegm(struct tm* calendar);
time_t mktime(struct tm* calendar);
double difftime(time_t end, time_t start);
clock_t clock(void);
// The C and POSIX directives but E and O modifiers and week numbers (%U %V %W %G %g).
size_t strftime(char* buffer, size_t capacity, const char* format, const struct tm* calendar)
    __attribute__((format(strftime, 3, 0)));

#ifdef __cplusplus
}
#endif
