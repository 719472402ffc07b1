// touch [-c] FILE...: sets each file's access and modification times to now (utimes), and
// makes an empty file (mode 0666 less the umask) where there is none, unless -c. Status 0,
// or 1 if any file could not be touched.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argument_count, char** arguments)
{
    bool create = true;
    int option;
    while ((option = getopt(argument_count, arguments, "c")) != -1) {
        if (option == 'c')
            create = false;
        else
            return 2;
    }
    if (optind == argument_count) {
        fprintf(stderr, "usage: touch [-c] FILE...\n");
        return 2;
    }
    int status = 0;
    for (int index = optind; index < argument_count; ++index) {
        const char* path = arguments[index];
        if (utimes(path, nullptr) == 0)
            continue;
        if (errno == ENOENT) {
            if (!create)
                continue;
            // A new file's times are the time it was made.
            int descriptor = open(path, O_WRONLY | O_CREAT, 0666);
            if (descriptor >= 0) {
                close(descriptor);
                continue;
            }
        }
        fprintf(stderr, "touch: cannot touch '%s': %s\n", path, strerror(errno));
        status = 1;
    }
    return status;
}
