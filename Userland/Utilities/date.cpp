// date: the time of day, UTC (the RTC read at boot, plus the time since).

#include <stdio.h>
#include <time.h>

int main()
{
    static const char* const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char* const months[]
        = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t now = time(nullptr);
    tm calendar {};
    gmtime_r(&now, &calendar);
    printf("%s %s %2d %02d:%02d:%02d UTC %d\n", days[calendar.tm_wday], months[calendar.tm_mon],
        calendar.tm_mday, calendar.tm_hour, calendar.tm_min, calendar.tm_sec, calendar.tm_year + 1900);
    return 0;
}
