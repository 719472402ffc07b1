// mkdir [-p] [-m MODE] DIRECTORY...: makes directories, mode 0777 less the umask (or the
// octal MODE). With -p the missing parents are made too (0777 less the umask, with the
// owner's write and search bits), and a directory that exists already is no error. Status 0,
// or 1 if any directory could not be made.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool report(const char* path)
{
    fprintf(stderr, "mkdir: cannot create directory '%s': %s\n", path, strerror(errno));
    return false;
}

// Leaves errno as it was: the caller reports mkdir's error.
bool is_directory(const char* path)
{
    int error = errno;
    struct stat status { };
    bool directory = stat(path, &status) == 0 && S_ISDIR(status.st_mode);
    errno = error;
    return directory;
}

// Makes each missing directory along `path`, then `path` itself with `mode`.
bool make_with_parents(const char* path, mode_t mode, mode_t parent_mode)
{
    size_t length = strlen(path);
    auto* prefix = static_cast<char*>(malloc(length + 1));
    if (!prefix) {
        errno = ENOMEM;
        return report(path);
    }
    memcpy(prefix, path, length + 1);
    bool made = true;
    for (size_t position = 1; position < length && made; ++position) {
        if (prefix[position] != '/' || prefix[position - 1] == '/')
            continue;
        prefix[position] = 0;
        // An existing directory is what -p wants, whatever mkdir said of it (a mount point
        // on a read-only file system is EROFS, not EEXIST).
        if (mkdir(prefix, parent_mode) != 0 && !is_directory(prefix))
            made = report(prefix);
        prefix[position] = '/';
    }
    free(prefix);
    if (!made)
        return false;
    if (mkdir(path, mode) == 0 || is_directory(path))
        return true;
    return report(path);
}

} // namespace

int main(int argument_count, char** arguments)
{
    bool parents = false;
    bool explicit_mode = false;
    mode_t mode = 0777;
    int option;
    while ((option = getopt(argument_count, arguments, "pm:")) != -1) {
        if (option == 'p') {
            parents = true;
        } else if (option == 'm') {
            char* end = nullptr;
            unsigned long parsed = strtoul(optarg, &end, 8);
            if (end == optarg || *end != 0 || parsed > 07777) {
                fprintf(stderr, "mkdir: invalid mode '%s'\n", optarg);
                return 1;
            }
            mode = static_cast<mode_t>(parsed);
            explicit_mode = true;
        } else {
            return 2;
        }
    }
    if (optind == argument_count) {
        fprintf(stderr, "usage: mkdir [-p] [-m MODE] DIRECTORY...\n");
        return 2;
    }
    mode_t mask = umask(0);
    umask(mask);
    mode_t parent_mode = (0777 & ~mask) | 0300;
    int status = 0;
    for (int index = optind; index < argument_count; ++index) {
        const char* path = arguments[index];
        bool existed = parents && is_directory(path);
        bool made
            = parents ? make_with_parents(path, mode, parent_mode) : (mkdir(path, mode) == 0 || report(path));
        // -m gives a new directory the mode exactly, as chmod would, not less the umask.
        if (made && explicit_mode && !existed && chmod(path, mode) != 0) {
            fprintf(stderr, "mkdir: cannot set permissions of '%s': %s\n", path, strerror(errno));
            made = false;
        }
        if (!made)
            status = 1;
    }
    return status;
}
