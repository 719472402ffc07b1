// unshare [COMMAND [ARGUMENT...]]: runs COMMAND (found through PATH, as the shell finds it;
// /bin/sh without one) in a namespace of its own: a copy of this one (raeen_unshare), so
// what it mounts and unmounts is not seen outside, and what is mounted outside from then on
// is not seen inside. Waits for it and ends with its status; 127 if COMMAND is not found,
// 126 if it could not start, 1 if the namespace could not be copied.

#include <errno.h>
#include <raeen/mount.h>
#include <raeen/spawn.h>
#include <stdio.h>
#include <string.h>

int main(int argument_count, char** arguments)
{
    static char shell[] = "/bin/sh";
    static char* shell_arguments[] = { shell, nullptr };
    char** command = argument_count > 1 ? arguments + 1 : shell_arguments;
    if (command[0][0] == '-') {
        fprintf(stderr, "usage: unshare [COMMAND [ARGUMENT...]]\n");
        return 1;
    }
    if (raeen_unshare() != 0) {
        fprintf(stderr, "unshare: unshare failed: %s\n", strerror(errno));
        return 1;
    }
    char path[4096];
    if (raeen_find_program(command[0], path, sizeof(path)) != 0) {
        fprintf(stderr, "unshare: failed to execute %s: %s\n", command[0], strerror(errno));
        return 127;
    }
    int64_t process = raeen_spawn(path, command, nullptr, nullptr);
    if (process < 0) {
        int error = errno;
        fprintf(stderr, "unshare: failed to execute %s: %s\n", command[0], strerror(error));
        return error == ENOENT ? 127 : 126;
    }
    int64_t status = 0;
    if (raeen_wait(static_cast<uint32_t>(process), &status, 1) != 0) {
        fprintf(stderr, "unshare: %s: %s\n", command[0], strerror(errno));
        return 1;
    }
    return static_cast<int>(status);
}
