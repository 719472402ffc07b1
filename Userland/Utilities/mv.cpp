// mv SOURCE DESTINATION, mv SOURCE... DIRECTORY: renames files, as GNU mv does. A
// DESTINATION that is a directory receives each SOURCE under its own name; several sources
// need one. Within one file system this is rename(); across two (EXDEV: /tmp to a disk under
// /mnt) the source is copied, keeping permissions, times and symbolic links, and then
// removed, so the move still happens. Status 0, or 1 if anything failed.

#include <Userland/Utilities/FileTrees.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

namespace {

// How a move across file systems removes the source once copied, or a copy that failed: as
// much of it as can go.
constexpr FileTrees::RemoveOptions remove_everything {
    .recursive = true, .ignore_missing = false, .best_effort = true
};

void keep_times(const char* target, const struct stat& source_status)
{
    struct timeval times[2] = { { source_status.st_atime, 0 }, { source_status.st_mtime, 0 } };
    (void)utimes(target, times);
}

bool copy_regular(const char* source, const char* target, const struct stat& source_status)
{
    if (!FileTrees::copy_file_data("mv", source, target, 0600))
        return false;
    (void)chmod(target, source_status.st_mode & 07777);
    keep_times(target, source_status);
    return true;
}

// Copies `source` to `target` (which does not exist) whole: a directory with its contents,
// a link as a link, permissions and times kept.
bool copy_tree(const char* source, const char* target)
{
    struct stat status { };
    if (lstat(source, &status) != 0) {
        fprintf(stderr, "mv: cannot stat '%s': %s\n", source, strerror(errno));
        return false;
    }
    // The target is new: nothing is in its way.
    if (S_ISLNK(status.st_mode))
        return FileTrees::copy_symlink("mv", source, target, false);
    if (!S_ISDIR(status.st_mode))
        return copy_regular(source, target, status);
    if (mkdir(target, 0700) != 0) {
        fprintf(stderr, "mv: cannot create directory '%s': %s\n", target, strerror(errno));
        return false;
    }
    bool copied = true;
    auto copy_entry = [&](const char* from, const char* to) {
        if (!from || !to || !copy_tree(from, to))
            copied = false;
        return copied;
    };
    if (!FileTrees::for_each_entry_to_copy("mv", source, target, copy_entry))
        return false;
    (void)chmod(target, status.st_mode & 07777);
    keep_times(target, status);
    return copied;
}

// The move rename() cannot make: the target (if any) goes, as rename would replace it; the
// source is copied; then the source is removed. A copy that fails is taken away again and
// the source stays.
bool move_across(const char* source, const char* target, const struct stat& source_status)
{
    struct stat target_status { };
    if (lstat(target, &target_status) == 0) {
        bool source_directory = S_ISDIR(source_status.st_mode);
        if (S_ISDIR(target_status.st_mode) != source_directory) {
            fprintf(stderr, "mv: cannot overwrite %sdirectory '%s' with %sdirectory\n",
                source_directory ? "non-" : "", target, source_directory ? "" : "non-");
            return false;
        }
        if ((source_directory ? rmdir(target) : unlink(target)) != 0) {
            fprintf(stderr, "mv: inter-device move failed: '%s' to '%s'; unable to remove target: %s\n",
                source, target, strerror(errno));
            return false;
        }
    }
    if (!copy_tree(source, target)) {
        struct stat partial { };
        if (lstat(target, &partial) == 0)
            (void)FileTrees::remove_tree("mv", target, remove_everything);
        return false;
    }
    return FileTrees::remove_tree("mv", source, remove_everything);
}

bool move(const char* source, const char* target)
{
    struct stat source_status { };
    if (lstat(source, &source_status) != 0) {
        fprintf(stderr, "mv: cannot stat '%s': %s\n", source, strerror(errno));
        return false;
    }
    struct stat target_status { };
    if (lstat(target, &target_status) == 0 && source_status.st_ino != 0
        && source_status.st_dev == target_status.st_dev && source_status.st_ino == target_status.st_ino) {
        // One file under two spellings of one name; a different name (a case change on FAT)
        // is a real rename.
        char source_name[256];
        char target_name[256];
        FileTrees::last_component(source, source_name, sizeof(source_name));
        FileTrees::last_component(target, target_name, sizeof(target_name));
        if (strcmp(source_name, target_name) == 0) {
            fprintf(stderr, "mv: '%s' and '%s' are the same file\n", source, target);
            return false;
        }
    }
    if (rename(source, target) == 0)
        return true;
    if (errno == EXDEV)
        return move_across(source, target, source_status);
    if (errno == EINVAL && S_ISDIR(source_status.st_mode)) {
        fprintf(stderr, "mv: cannot move '%s' to a subdirectory of itself, '%s'\n", source, target);
        return false;
    }
    fprintf(stderr, "mv: cannot move '%s' to '%s': %s\n", source, target, strerror(errno));
    return false;
}

} // namespace

int main(int argument_count, char** arguments)
{
    int option;
    while ((option = getopt(argument_count, arguments, "f")) != -1) {
        // -f (no prompts) is what mv always does.
        if (option != 'f')
            return 2;
    }
    int operands = argument_count - optind;
    if (operands < 2) {
        fprintf(stderr, "usage: mv SOURCE DESTINATION\n       mv SOURCE... DIRECTORY\n");
        return 2;
    }
    return FileTrees::for_each_source("mv", arguments + optind, operands, move);
}
