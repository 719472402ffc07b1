// touch FILE...: makes each file if it does not exist (refused on the read-only RAM disk:
// EROFS; the RAM disk keeps no times to update either).

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argument_count, char** arguments)
{
    if (argument_count < 2) {
        fprintf(stderr, "usage: touch FILE...\n");
        return 2;
    }
    int status = 0;
    for (int index = 1; index < argument_count; ++index) {
        int descriptor = open(arguments[index], O_WRONLY | O_CREAT, 0666);
        if (descriptor < 0) {
            fprintf(stderr, "touch: %s: %s\n", arguments[index], strerror(errno));
            status = 1;
            continue;
        }
        close(descriptor);
    }
    return status;
}
