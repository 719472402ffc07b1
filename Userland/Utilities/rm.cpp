// rm [-r] [-f] FILE...: removes files, as GNU rm does. A symbolic link is removed, never what
// it points at. A directory needs -r (or -R), which removes everything in it first; -f
// makes a missing file no error (and no operands no error). '.', '..' and '/' are refused
// with -r. Status 0, or 1 if anything stayed.

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool s_recursive;
bool s_force;

// `directory`/`name` on the heap (free it), or null when out of memory.
char* join_path(const char* directory, const char* name)
{
    size_t directory_length = strlen(directory);
    while (directory_length > 1 && directory[directory_length - 1] == '/')
        --directory_length;
    size_t name_length = strlen(name);
    auto* path = static_cast<char*>(malloc(directory_length + name_length + 2));
    if (!path)
        return nullptr;
    memcpy(path, directory, directory_length);
    size_t length = directory_length;
    if (length == 0 || path[length - 1] != '/')
        path[length++] = '/';
    memcpy(path + length, name, name_length + 1);
    return path;
}

bool report(const char* path)
{
    fprintf(stderr, "rm: cannot remove '%s': %s\n", path, strerror(errno));
    return false;
}

bool remove_path(const char* path)
{
    struct stat status { };
    if (lstat(path, &status) != 0) {
        if (errno == ENOENT && s_force)
            return true;
        return report(path);
    }
    if (!S_ISDIR(status.st_mode))
        return unlink(path) == 0 || (errno == ENOENT && s_force) || report(path);
    if (!s_recursive) {
        errno = EISDIR;
        return report(path);
    }
    DIR* directory = opendir(path);
    if (!directory)
        return report(path);
    bool removed = true;
    // The C library reads the whole listing at opendir, so removing while reading is safe.
    while (dirent* entry = readdir(directory)) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        char* child = join_path(path, entry->d_name);
        if (!child) {
            errno = ENOMEM;
            removed = report(path);
            continue;
        }
        if (!remove_path(child))
            removed = false;
        free(child);
    }
    closedir(directory);
    // A directory something stayed in cannot go; its entry's failure was reported already.
    if (!removed)
        return false;
    return rmdir(path) == 0 || report(path);
}

// "." and ".." as the last component (also "dir/.."), which GNU rm refuses to remove.
bool is_dot_or_dot_dot(const char* path)
{
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/')
        --end;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        --start;
    size_t length = end - start;
    return (length == 1 && path[start] == '.')
        || (length == 2 && path[start] == '.' && path[start + 1] == '.');
}

bool is_root(const char* path)
{
    if (*path != '/')
        return false;
    while (*path == '/')
        ++path;
    return *path == 0;
}

} // namespace

int main(int argument_count, char** arguments)
{
    int option;
    while ((option = getopt(argument_count, arguments, "rRf")) != -1) {
        if (option == 'r' || option == 'R')
            s_recursive = true;
        else if (option == 'f')
            s_force = true;
        else
            return 2;
    }
    if (optind == argument_count) {
        if (s_force)
            return 0;
        fprintf(stderr, "usage: rm [-r] [-f] FILE...\n");
        return 2;
    }
    int status = 0;
    for (int index = optind; index < argument_count; ++index) {
        const char* path = arguments[index];
        if (s_recursive && is_dot_or_dot_dot(path)) {
            fprintf(stderr, "rm: refusing to remove '.' or '..' directory: skipping '%s'\n", path);
            status = 1;
            continue;
        }
        if (s_recursive && is_root(path)) {
            fprintf(stderr, "rm: it is dangerous to operate recursively on '/'\n");
            status = 1;
            continue;
        }
        if (!remove_path(path))
            status = 1;
    }
    return status;
}
