// mv SOURCE DESTINATION: renames a file (refused on the read-only RAM disk: EROFS).

#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argument_count, char** arguments)
{
    if (argument_count != 3) {
        fprintf(stderr, "usage: mv SOURCE DESTINATION\n");
        return 2;
    }
    if (rename(arguments[1], arguments[2]) != 0) {
        fprintf(stderr, "mv: %s: %s\n", arguments[1], strerror(errno));
        return 1;
    }
    return 0;
}
