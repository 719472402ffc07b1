// uptime: how long the system has run, on the kernel's monotonic clock.

#include <stdio.h>
#include <time.h>

int main()
{
    timespec now {};
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        return 1;
    long long seconds = now.tv_sec;
    printf("up %lld:%02lld:%02lld (%lld.%02ld s)\n", seconds / 3600, seconds / 60 % 60, seconds % 60, seconds,
        now.tv_nsec / 10000000);
    return 0;
}
