// sync [FILE...]: writes what the file systems hold in memory to their disks (sync()); with
// FILEs, only those files (fsync). Status 0, or 1 if a FILE could not be synced.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argument_count, char** arguments)
{
    if (argument_count < 2) {
        sync();
        return 0;
    }
    int status = 0;
    for (int index = 1; index < argument_count; ++index) {
        int descriptor = open(arguments[index], O_RDONLY);
        if (descriptor < 0 || fsync(descriptor) != 0) {
            fprintf(stderr, "sync: error syncing '%s': %s\n", arguments[index], strerror(errno));
            status = 1;
        }
        if (descriptor >= 0)
            close(descriptor);
    }
    return status;
}
