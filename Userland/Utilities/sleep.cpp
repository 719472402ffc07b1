// sleep SECONDS: waits that long (a decimal fraction is allowed: sleep 0.5).

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argument_count, char** arguments)
{
    if (argument_count != 2) {
        fprintf(stderr, "usage: sleep SECONDS\n");
        return 2;
    }
    char* end = nullptr;
    long whole = strtol(arguments[1], &end, 10);
    long nanoseconds = 0;
    if (*end == '.') {
        long scale = 100000000;
        for (++end; *end >= '0' && *end <= '9'; ++end, scale /= 10)
            nanoseconds += (*end - '0') * scale;
    }
    if (*end != 0 || whole < 0) {
        fprintf(stderr, "sleep: %s: not a number of seconds\n", arguments[1]);
        return 2;
    }
    timespec duration { whole, nanoseconds };
    return nanosleep(&duration, nullptr) == 0 ? 0 : 1;
}
