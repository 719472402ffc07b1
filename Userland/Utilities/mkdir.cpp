// mkdir DIRECTORY...: makes directories (refused on the read-only RAM disk: EROFS).

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(int argument_count, char** arguments)
{
    if (argument_count < 2) {
        fprintf(stderr, "usage: mkdir DIRECTORY...\n");
        return 2;
    }
    int status = 0;
    for (int index = 1; index < argument_count; ++index) {
        if (mkdir(arguments[index], 0755) != 0) {
            fprintf(stderr, "mkdir: %s: %s\n", arguments[index], strerror(errno));
            status = 1;
        }
    }
    return status;
}
