// cp [-r] SOURCE DESTINATION, cp [-r] SOURCE... DIRECTORY: copies files, as GNU cp does.
// A DESTINATION that is a directory receives each SOURCE under its own name; several
// sources need one. Data moves in 32 KiB chunks and a new file takes its source's
// permissions (less the umask). With -r (or -R) directories are copied with everything in
// them, and symbolic links are copied as links (GNU's -P), on the command line too; without
// it a directory is left out with a message. Status 0, or 1 if anything failed.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr size_t chunk_size = 32 * 1024;

bool s_recursive;
mode_t s_mode_mask;
// The directory a recursive copy made (or filled) for the current operand: met again
// inside the source (cp -r a a/b), it is not copied into itself without end.
struct stat s_top_target;
bool s_top_target_known;

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

bool same_file(const struct stat& first, const struct stat& second)
{
    return first.st_ino != 0 && first.st_dev == second.st_dev && first.st_ino == second.st_ino;
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
    int input = open(source, O_RDONLY);
    if (input < 0) {
        fprintf(stderr, "cp: cannot open '%s' for reading: %s\n", source, strerror(errno));
        return false;
    }
    int output = open(target, O_WRONLY | O_CREAT | O_TRUNC, source_status.st_mode & 0777);
    if (output < 0) {
        fprintf(stderr, "cp: cannot create regular file '%s': %s\n", target, strerror(errno));
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
            fprintf(stderr, "cp: error reading '%s': %s\n", source, strerror(errno));
            copied = false;
            break;
        }
        if (!write_all(output, buffer, static_cast<size_t>(received))) {
            fprintf(stderr, "cp: error writing '%s': %s\n", target, strerror(errno));
            copied = false;
            break;
        }
    }
    close(input);
    if (close(output) != 0 && copied) {
        fprintf(stderr, "cp: error writing '%s': %s\n", target, strerror(errno));
        copied = false;
    }
    return copied;
}

bool copy_symlink(const char* source, const char* target)
{
    static char link_target[4097];
    ssize_t length = readlink(source, link_target, sizeof(link_target) - 1);
    if (length < 0) {
        fprintf(stderr, "cp: cannot read symbolic link '%s': %s\n", source, strerror(errno));
        return false;
    }
    link_target[length] = 0;
    if (symlink(link_target, target) == 0)
        return true;
    // Copying over an earlier copy: a file or link in the way is replaced, a directory is not.
    struct stat existing { };
    if (errno == EEXIST && lstat(target, &existing) == 0 && !S_ISDIR(existing.st_mode) && unlink(target) == 0
        && symlink(link_target, target) == 0)
        return true;
    fprintf(stderr, "cp: cannot create symbolic link '%s': %s\n", target, strerror(errno));
    return false;
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
    DIR* directory = opendir(source);
    if (!directory) {
        fprintf(stderr, "cp: cannot access '%s': %s\n", source, strerror(errno));
        return false;
    }
    bool copied = true;
    while (dirent* entry = readdir(directory)) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        char* from = join_path(source, entry->d_name);
        char* to = join_path(target, entry->d_name);
        if (!from || !to) {
            fprintf(stderr, "cp: %s\n", strerror(ENOMEM));
            copied = false;
        } else {
            struct stat entry_status { };
            if (s_top_target_known && lstat(from, &entry_status) == 0 && S_ISDIR(entry_status.st_mode)
                && same_file(entry_status, s_top_target)) {
                fprintf(stderr, "cp: cannot copy a directory, '%s', into itself, '%s'\n", source, from);
                copied = false;
            } else if (!copy_any(from, to, false)) {
                copied = false;
            }
        }
        free(from);
        free(to);
    }
    closedir(directory);
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
    if (S_ISLNK(status.st_mode))
        return copy_symlink(source, target);
    return copy_regular(source, target, status);
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
    const char* destination = arguments[argument_count - 1];
    struct stat destination_status { };
    bool into_directory = stat(destination, &destination_status) == 0 && S_ISDIR(destination_status.st_mode);
    if (operands > 2 && !into_directory) {
        fprintf(stderr, "cp: target '%s' is not a directory\n", destination);
        return 1;
    }
    int status = 0;
    for (int index = optind; index < argument_count - 1; ++index) {
        const char* source = arguments[index];
        s_top_target_known = false;
        if (!into_directory) {
            if (!copy_any(source, destination, true))
                status = 1;
            continue;
        }
        char name[256];
        last_component(source, name, sizeof(name));
        char* target = join_path(destination, name);
        if (!target || !copy_any(source, target, true))
            status = 1;
        free(target);
    }
    return status;
}
