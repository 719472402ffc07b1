// rm [-r] [-f] FILE...: removes files, as GNU rm does. A symbolic link is removed, never what
// it points at. A directory needs -r (or -R), which removes everything in it first; -f
// makes a missing file no error (and no operands no error). '.', '..' and '/' are refused
// with -r. Status 0, or 1 if anything stayed.

#include <Userland/Utilities/FileTrees.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

namespace {

// -r sets recursive, -f ignore_missing.
FileTrees::RemoveOptions s_options { .recursive = false, .ignore_missing = false, .best_effort = false };

// "." and ".." as the last component (also "dir/.."), which GNU rm refuses to remove. A
// longer name cut to fit `name` is neither.
bool is_dot_or_dot_dot(const char* path)
{
    char name[4];
    FileTrees::last_component(path, name, sizeof(name));
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
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
            s_options.recursive = true;
        else if (option == 'f')
            s_options.ignore_missing = true;
        else
            return 2;
    }
    if (optind == argument_count) {
        if (s_options.ignore_missing)
            return 0;
        fprintf(stderr, "usage: rm [-r] [-f] FILE...\n");
        return 2;
    }
    int status = 0;
    for (int index = optind; index < argument_count; ++index) {
        const char* path = arguments[index];
        if (s_options.recursive && is_dot_or_dot_dot(path)) {
            fprintf(stderr, "rm: refusing to remove '.' or '..' directory: skipping '%s'\n", path);
            status = 1;
            continue;
        }
        if (s_options.recursive && is_root(path)) {
            fprintf(stderr, "rm: it is dangerous to operate recursively on '/'\n");
            status = 1;
            continue;
        }
        if (!FileTrees::remove_tree("rm", path, s_options))
            status = 1;
    }
    return status;
}
