// cp SOURCE DESTINATION: copies a file. The files a program can write arrive with the VFS
// (M1.10); until then the RAM disk is read-only and the destination is refused (EROFS).

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argument_count, char** arguments)
{
    if (argument_count != 3) {
        fprintf(stderr, "usage: cp SOURCE DESTINATION\n");
        return 2;
    }
    int source = open(arguments[1], O_RDONLY);
    if (source < 0) {
        fprintf(stderr, "cp: %s: %s\n", arguments[1], strerror(errno));
        return 1;
    }
    int destination = open(arguments[2], O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (destination < 0) {
        fprintf(stderr, "cp: %s: %s\n", arguments[2], strerror(errno));
        return 1;
    }
    static char buffer[8192];
    for (;;) {
        ssize_t received = read(source, buffer, sizeof(buffer));
        if (received == 0)
            return 0;
        if (received < 0 || write(destination, buffer, static_cast<size_t>(received)) != received) {
            fprintf(stderr, "cp: %s\n", strerror(errno));
            return 1;
        }
    }
}
