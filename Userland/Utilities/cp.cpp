// cp [-r] SOURCE DESTINATION, cp [-r] SOURCE... DIRECTORY: copies files, as GNU cp does.
// A DESTINATION that is a directory receives each SOURCE under its own name; several
// sources need one. Data moves in 32 KiB chunks and a new file takes its source's
// permissions (less the umask). With -r (or -R) directories are copied with everything in
// them, and symbolic links are copied as links (GNU's -P), on the command line too; without
// it a directory is left out with a message. Status 0, or 1 if anything failed.

#include <Userland/Utilities/FileTrees.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool s_recursive;
mode_t s_mode_mask;
// The directory a recursive copy made (or filled) for the current operand: met again
// inside the source (cp -r a a/b), it is not copied into itself without end.
struct stat s_top_target;
bool s_top_target_known;

bool same_file(const struct stat& first, const struct stat& second)
{
    return first.st_ino != 0 && first.st_dev == second.st_dev && first.st_ino == second.st_ino;
}

bool copy_any(const char* source, const char* target, bool top_level);

bool copy_regular(const char* source, const char* target, const struct stat& source_status)
{
    struct stat target_status { };
    if (stat(target, &target_status) == 0) {
        if (same_file(source_status, target_status)) {
            fprintf(stderr, "cp: '%s' and '%s' are the same file\n", source, target);
            return false;
        }
        if (S_ISDIR(target_status.st_mode)) {
            fprintf(stderr, "cp: cannot overwrite directory '%s' with non-directory\n", target);
            return false;
        }
    }
    return FileTrees::copy_file_data("cp", source, target, source_status.st_mode & 0777);
}

bool copy_directory(const char* source, const char* target, const struct stat& source_status, bool top_level)
{
    struct stat target_status { };
    if (stat(target, &target_status) == 0) {
        if (!S_ISDIR(target_status.st_mode)) {
            fprintf(stderr, "cp: cannot overwrite non-directory '%s' with directory '%s'\n", target, source);
            return false;
        }
    } else if (mkdir(target, (source_status.st_mode & 0777) | 0700) != 0
        || stat(target, &target_status) != 0) {
        fprintf(stderr, "cp: cannot create directory '%s': %s\n", target, strerror(errno));
        return false;
    }
    if (top_level) {
        s_top_target = target_status;
        s_top_target_known = true;
    }
    bool copied = true;
    auto copy_entry = [&](const char* from, const char* to) {
        if (!from || !to) {
            fprintf(stderr, "cp: %s\n", strerror(ENOMEM));
            copied = false;
            return true;
        }
        struct stat entry_status { };
        if (s_top_target_known && lstat(from, &entry_status) == 0 && S_ISDIR(entry_status.st_mode)
            && same_file(entry_status, s_top_target)) {
            fprintf(stderr, "cp: cannot copy a directory, '%s', into itself, '%s'\n", source, from);
            copied = false;
        } else if (!copy_any(from, to, false)) {
            copied = false;
        }
        return true;
    };
    if (!FileTrees::for_each_entry_to_copy("cp", source, target, copy_entry))
        return false;
    // Made writable for the copy; its own permissions (less the umask) now.
    if ((source_status.st_mode & 0700) != 0700)
        (void)chmod(target, source_status.st_mode & 0777 & ~s_mode_mask);
    return copied;
}

bool copy_any(const char* source, const char* target, bool top_level)
{
    struct stat status { };
    // Recursive copies take links as links, as GNU's -r (-P) does; a plain cp follows them.
    if ((s_recursive ? lstat(source, &status) : stat(source, &status)) != 0) {
        fprintf(stderr, "cp: cannot stat '%s': %s\n", source, strerror(errno));
        return false;
    }
    if (S_ISDIR(status.st_mode)) {
        if (!s_recursive) {
            fprintf(stderr, "cp: -r not specified; omitting directory '%s'\n", source);
            return false;
        }
        return copy_directory(source, target, status, top_level);
    }
    // Copying over an earlier copy: a file or link in the way is replaced, a directory is not.
    if (S_ISLNK(status.st_mode))
        return FileTrees::copy_symlink("cp", source, target, true);
    return copy_regular(source, target, status);
}

// A SOURCE of the command line, copied to `target`.
bool copy_operand(const char* source, const char* target)
{
    s_top_target_known = false;
    return copy_any(source, target, true);
}

} // namespace

int main(int argument_count, char** arguments)
{
    int option;
    while ((option = getopt(argument_count, arguments, "rR")) != -1) {
        if (option == 'r' || option == 'R')
            s_recursive = true;
        else
            return 2;
    }
    s_mode_mask = umask(0);
    umask(s_mode_mask);
    int operands = argument_count - optind;
    if (operands < 2) {
        fprintf(stderr, "usage: cp [-r] SOURCE DESTINATION\n       cp [-r] SOURCE... DIRECTORY\n");
        return 2;
    }
    return FileTrees::for_each_source("cp", arguments + optind, operands, copy_operand);
}
