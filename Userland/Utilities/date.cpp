// date [+FORMAT]: the time of day, UTC (the RTC read at boot, plus the time since), in
// strftime's FORMAT (default "%a %b %e %H:%M:%S %Z %Y").

#include <stdio.h>
#include <time.h>

int main(int argument_count, char** arguments)
{
    const char* format = "%a %b %e %H:%M:%S %Z %Y";
    if (argument_count > 1) {
        if (arguments[1][0] != '+') {
            fprintf(stderr, "usage: date [+FORMAT]\n");
            return 2;
        }
        format = arguments[1] + 1;
    }
    time_t now = time(nullptr);
    tm calendar {};
    gmtime_r(&now, &calendar);
    char text[256];
    if (strftime(text, sizeof(text), format, &calendar) == 0 && format[0] != 0) {
        fprintf(stderr, "date: the format gives too long a text\n");
        return 1;
    }
    puts(text);
    return 0;
}
