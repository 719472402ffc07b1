// rmdir [-p] DIRECTORY...: removes empty directories; with -p also each parent named in
// the path that becomes empty (rmdir -p a/b/c removes a/b/c, a/b, a). Status 0, or 1 if any
// directory stayed.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool remove_directory(const char* path)
{
    if (rmdir(path) == 0)
        return true;
    fprintf(stderr, "rmdir: failed to remove '%s': %s\n", path, strerror(errno));
    return false;
}

} // namespace

int main(int argument_count, char** arguments)
{
    bool parents = false;
    int option;
    while ((option = getopt(argument_count, arguments, "p")) != -1) {
        if (option == 'p')
            parents = true;
        else
            return 2;
    }
    if (optind == argument_count) {
        fprintf(stderr, "usage: rmdir [-p] DIRECTORY...\n");
        return 2;
    }
    int status = 0;
    for (int index = optind; index < argument_count; ++index) {
        if (!remove_directory(arguments[index])) {
            status = 1;
            continue;
        }
        if (!parents)
            continue;
        char* path = strdup(arguments[index]);
        if (!path)
            continue;
        // Each parent in turn: the path cut at its last component.
        for (;;) {
            size_t end = strlen(path);
            while (end > 1 && path[end - 1] == '/')
                --end;
            while (end > 0 && path[end - 1] != '/')
                --end;
            while (end > 1 && path[end - 1] == '/')
                --end;
            if (end == 0 || (end == 1 && path[0] == '/'))
                break;
            path[end] = 0;
            if (!remove_directory(path)) {
                status = 1;
                break;
            }
        }
        free(path);
    }
    return status;
}
