// mv SOURCE DESTINATION, mv SOURCE... DIRECTORY: renames files, as GNU mv does. A
// DESTINATION that is a directory receives each SOURCE under its own name; several sources
// need one. Within one file system this is rename(); across two (EXDEV: /tmp to a disk under
// /mnt) the source is copied, keeping permissions, times and symbolic links, and then
// removed, so the move still happens. Status 0, or 1 if anything failed.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

namespace {

constexpr size_t chunk_size = 32 * 1024;

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

// The last component of `path`, trailing slashes left out, into `name`.
void last_component(const char* path, char* name, size_t capacity)
{
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/')
        --end;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        --start;
    size_t length = end - start < capacity - 1 ? end - start : capacity - 1;
    memcpy(name, path + start, length);
    name[length] = 0;
}

bool write_all(int descriptor, const char* bytes, size_t count)
{
    while (count > 0) {
        ssize_t written = write(descriptor, bytes, count);
        if (written <= 0)
            return false;
        bytes += written;
        count -= static_cast<size_t>(written);
    }
    return true;
}

// Removes `path` and, for a directory, everything in it. Best effort: false if anything
// stayed, with a message.
bool remove_tree(const char* path)
{
    struct stat status { };
    if (lstat(path, &status) != 0) {
        fprintf(stderr, "mv: cannot remove '%s': %s\n", path, strerror(errno));
        return false;
    }
    if (!S_ISDIR(status.st_mode)) {
        if (unlink(path) == 0)
            return true;
        fprintf(stderr, "mv: cannot remove '%s': %s\n", path, strerror(errno));
        return false;
    }
    bool removed = true;
    if (DIR* directory = opendir(path)) {
        while (dirent* entry = readdir(directory)) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
                continue;
            char* child = join_path(path, entry->d_name);
            if (!child || !remove_tree(child))
                removed = false;
            free(child);
        }
        closedir(directory);
    }
    if (rmdir(path) != 0) {
        fprintf(stderr, "mv: cannot remove '%s': %s\n", path, strerror(errno));
        return false;
    }
    return removed;
}

void keep_times(const char* target, const struct stat& source_status)
{
    struct timeval times[2] = { { source_status.st_atime, 0 }, { source_status.st_mtime, 0 } };
    (void)utimes(target, times);
}

bool copy_regular(const char* source, const char* target, const struct stat& source_status)
{
    int input = open(source, O_RDONLY);
    if (input < 0) {
        fprintf(stderr, "mv: cannot open '%s' for reading: %s\n", source, strerror(errno));
        return false;
    }
    int output = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (output < 0) {
        fprintf(stderr, "mv: cannot create regular file '%s': %s\n", target, strerror(errno));
        close(input);
        return false;
    }
    static char buffer[chunk_size];
    bool copied = true;
    for (;;) {
        ssize_t received = read(input, buffer, sizeof(buffer));
        if (received == 0)
            break;
        if (received < 0) {
            fprintf(stderr, "mv: error reading '%s': %s\n", source, strerror(errno));
            copied = false;
            break;
        }
        if (!write_all(output, buffer, static_cast<size_t>(received))) {
            fprintf(stderr, "mv: error writing '%s': %s\n", target, strerror(errno));
            copied = false;
            break;
        }
    }
    close(input);
    if (close(output) != 0 && copied) {
        fprintf(stderr, "mv: error writing '%s': %s\n", target, strerror(errno));
        copied = false;
    }
    if (copied) {
        (void)chmod(target, source_status.st_mode & 07777);
        keep_times(target, source_status);
    }
    return copied;
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
    if (S_ISLNK(status.st_mode)) {
        static char link_target[4097];
        ssize_t length = readlink(source, link_target, sizeof(link_target) - 1);
        if (length < 0) {
            fprintf(stderr, "mv: cannot read symbolic link '%s': %s\n", source, strerror(errno));
            return false;
        }
        link_target[length] = 0;
        if (symlink(link_target, target) != 0) {
            fprintf(stderr, "mv: cannot create symbolic link '%s': %s\n", target, strerror(errno));
            return false;
        }
        return true;
    }
    if (!S_ISDIR(status.st_mode))
        return copy_regular(source, target, status);
    if (mkdir(target, 0700) != 0) {
        fprintf(stderr, "mv: cannot create directory '%s': %s\n", target, strerror(errno));
        return false;
    }
    DIR* directory = opendir(source);
    if (!directory) {
        fprintf(stderr, "mv: cannot access '%s': %s\n", source, strerror(errno));
        return false;
    }
    bool copied = true;
    while (dirent* entry = readdir(directory)) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        char* from = join_path(source, entry->d_name);
        char* to = join_path(target, entry->d_name);
        if (!from || !to || !copy_tree(from, to))
            copied = false;
        free(from);
        free(to);
        if (!copied)
            break;
    }
    closedir(directory);
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
            (void)remove_tree(target);
        return false;
    }
    return remove_tree(source);
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
        last_component(source, source_name, sizeof(source_name));
        last_component(target, target_name, sizeof(target_name));
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
    const char* destination = arguments[argument_count - 1];
    struct stat destination_status { };
    bool into_directory = stat(destination, &destination_status) == 0 && S_ISDIR(destination_status.st_mode);
    if (operands > 2 && !into_directory) {
        fprintf(stderr, "mv: target '%s' is not a directory\n", destination);
        return 1;
    }
    int status = 0;
    for (int index = optind; index < argument_count - 1; ++index) {
        const char* source = arguments[index];
        if (!into_directory) {
            if (!move(source, destination))
                status = 1;
            continue;
        }
        char name[256];
        last_component(source, name, sizeof(name));
        char* target = join_path(destination, name);
        if (!target || !move(source, target))
            status = 1;
        free(target);
    }
    return status;
}
