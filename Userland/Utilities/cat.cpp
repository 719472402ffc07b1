// cat [FILE...]: the files one after another (standard input for none or "-").

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

namespace {

bool copy(int descriptor)
{
    static char buffer[8192];
    for (;;) {
        ssize_t received = read(descriptor, buffer, sizeof(buffer));
        if (received == 0)
            return true;
        if (received < 0)
            return false;
        for (ssize_t done = 0; done < received;) {
            ssize_t written = write(1, buffer + done, static_cast<size_t>(received - done));
            if (written <= 0)
                return false;
            done += written;
        }
    }
}

} // namespace

int main(int argument_count, char** arguments)
{
    if (argument_count < 2)
        return copy(0) ? 0 : 1;
    int status = 0;
    for (int index = 1; index < argument_count; ++index) {
        if (strcmp(arguments[index], "-") == 0) {
            if (!copy(0))
                status = 1;
            continue;
        }
        int descriptor = open(arguments[index], O_RDONLY);
        if (descriptor < 0) {
            fprintf(stderr, "cat: %s: %s\n", arguments[index], strerror(errno));
            status = 1;
            continue;
        }
        if (!copy(descriptor)) {
            fprintf(stderr, "cat: %s: %s\n", arguments[index], strerror(errno));
            status = 1;
        }
        close(descriptor);
    }
    return status;
}
