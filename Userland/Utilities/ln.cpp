// ln -s [-fn] TARGET [LINK_NAME], ln -s [-fn] TARGET... DIRECTORY: makes symbolic links, as
// GNU ln does. LINK_NAME defaults to TARGET's last component in the working directory; a
// LINK_NAME that is a directory receives the link under that name (with -n, not one reached
// through a symbolic link: that link is replaced, with -f). TARGET is stored as
// written (a relative target is relative to the link's directory). -f replaces a file or
// link already there. Hard links are not supported by the VFS yet: without -s, ln says so and
// fails. Status 0, or 1 on any failure.

#include "FileTrees.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool s_force;

bool make_link(const char* target, const char* link)
{
    if (s_force) {
        struct stat existing { };
        if (lstat(link, &existing) == 0) {
            if (S_ISDIR(existing.st_mode)) {
                fprintf(stderr, "ln: '%s': cannot overwrite directory\n", link);
                return false;
            }
            if (unlink(link) != 0) {
                fprintf(stderr, "ln: cannot remove '%s': %s\n", link, strerror(errno));
                return false;
            }
        }
    }
    if (symlink(target, link) == 0)
        return true;
    fprintf(stderr, "ln: failed to create symbolic link '%s': %s\n", link, strerror(errno));
    return false;
}

// Makes the link DIRECTORY/(TARGET's last component).
bool link_inside(const char* target, const char* directory)
{
    char name[256];
    FileTrees::last_component(target, name, sizeof(name));
    size_t length = strlen(directory) + strlen(name) + 2;
    auto* path = static_cast<char*>(malloc(length));
    if (!path) {
        fprintf(stderr, "ln: %s\n", strerror(ENOMEM));
        return false;
    }
    bool slash = directory[0] && directory[strlen(directory) - 1] == '/';
    snprintf(path, length, "%s%s%s", directory, slash ? "" : "/", name);
    bool made = make_link(target, path);
    free(path);
    return made;
}

} // namespace

int main(int argument_count, char** arguments)
{
    bool symbolic = false;
    bool no_dereference = false;
    int option;
    while ((option = getopt(argument_count, arguments, "sfn")) != -1) {
        if (option == 's')
            symbolic = true;
        else if (option == 'f')
            s_force = true;
        else if (option == 'n')
            no_dereference = true;
        else
            return 2;
    }
    int operands = argument_count - optind;
    if (operands < 1) {
        fprintf(stderr, "usage: ln -s [-fn] TARGET [LINK_NAME]\n       ln -s [-fn] TARGET... DIRECTORY\n");
        return 2;
    }
    if (!symbolic) {
        fprintf(stderr, "ln: hard links are not supported\n");
        return 1;
    }
    if (operands == 1)
        return link_inside(arguments[optind], ".") ? 0 : 1;
    const char* last = arguments[argument_count - 1];
    struct stat status { };
    bool into_directory
        = (no_dereference ? lstat(last, &status) : stat(last, &status)) == 0 && S_ISDIR(status.st_mode);
    if (operands == 2 && !into_directory)
        return make_link(arguments[optind], last) ? 0 : 1;
    if (!into_directory) {
        fprintf(stderr, "ln: target '%s' is not a directory\n", last);
        return 1;
    }
    int result = 0;
    for (int index = optind; index < argument_count - 1; ++index) {
        if (!link_inside(arguments[index], last))
            result = 1;
    }
    return result;
}
