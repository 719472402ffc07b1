#pragma once

// Starting programs (RaeenOS's own; there is no fork): Userland/LibC/Spawn.cpp,
// docs/userland.md#launching-programs.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct raeen_spawn_options {
    // The descriptors that become the child's 0, 1 and 2; -1 for none (the child reads
    // end of file there and its writes vanish, as with /dev/null).
    int standard_input;
    int standard_output;
    int standard_error;
};

// Starts the program at `path` in the RAM disk with `arguments` and `environment` (both
// null-terminated; a null environment passes environ). The child also gets this program's
// RAM disk, system-control and service-control handles, when it has them. Returns a handle to
// the child's process (for raeen_wait and process_kill), or -1 with errno: ENOENT, EACCES (a
// directory), ENOEXEC (not an executable), E2BIG, EMFILE, ENOMEM.
int64_t raeen_spawn(const char* path, char* const arguments[], char* const environment[],
    const struct raeen_spawn_options* options);

// Waits for the process to end, stores its exit status, and closes the handle. With
// `block` 0 it only looks: it returns 1 if the process is still running (keeping the handle).
// -1 with errno EINVAL for a handle that names no process.
int raeen_wait(uint32_t process, int64_t* status, int block);

// Finds the program `name` as the shell does: a name with a '/' is taken as a path; else each
// directory of PATH in turn (/bin when PATH is unset or empty; an empty directory stands for
// the root) is tried with `name` appended. The first that is a regular file is written into
// `path` (`capacity` bytes, with its terminating zero). Returns 0, or -1 with errno ENOENT
// (none is), or ENAMETOOLONG (none is among those that fit `path`, and one did not fit).
int raeen_find_program(const char* name, char* path, size_t capacity);

#ifdef __cplusplus
}
#endif
