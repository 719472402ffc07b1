// rm FILE...: removes files (refused on the read-only RAM disk: EROFS).

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argument_count, char** arguments)
{
    if (argument_count < 2) {
        fprintf(stderr, "usage: rm FILE...\n");
        return 2;
    }
    int status = 0;
    for (int index = 1; index < argument_count; ++index) {
        if (unlink(arguments[index]) != 0) {
            fprintf(stderr, "rm: %s: %s\n", arguments[index], strerror(errno));
            status = 1;
        }
    }
    return status;
}
