#pragma once

// What cp, mv and rm share: paths joined and split, file data, symbolic links and
// directories copied, and trees removed. Functions that print take the program's name, which
// starts each message, as GNU's do ("mv: cannot remove 'x': ...").

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace FileTrees {

constexpr size_t copy_chunk_size = 32 * 1024;

// `directory`/`name` on the heap (free it), or null when out of memory.
inline char* join_path(const char* directory, const char* name)
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

// The last component of `path`, trailing slashes left out, into `name` (cut to fit
// `capacity`, which is at least 1).
inline void last_component(const char* path, char* name, size_t capacity)
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

inline bool write_all(int descriptor, const char* bytes, size_t count)
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

// Calls `visit(name)` for each entry of the directory `path` but "." and "..", until it
// returns false. The C library reads the whole listing at opendir, so `visit` may add and
// remove entries. 0, or -1 with errno when the directory cannot be opened.
template<typename Visit> int for_each_entry(const char* path, Visit visit)
{
    DIR* directory = opendir(path);
    if (!directory)
        return -1;
    while (dirent* entry = readdir(directory)) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (!visit(entry->d_name))
            break;
    }
    closedir(directory);
    return 0;
}

// Calls `visit(from, to)` for each entry of the directory `source` being copied to `target`,
// with the entry's path in each (either null when out of memory), until it returns false.
// False, with a message, when `source` cannot be opened.
template<typename Visit>
bool for_each_entry_to_copy(const char* program, const char* source, const char* target, Visit visit)
{
    int listed = for_each_entry(source, [&](const char* name) {
        char* from = join_path(source, name);
        char* to = join_path(target, name);
        bool keep_going = visit(from, to);
        free(from);
        free(to);
        return keep_going;
    });
    if (listed != 0) {
        fprintf(stderr, "%s: cannot access '%s': %s\n", program, source, strerror(errno));
        return false;
    }
    return true;
}

// Calls `operate(source, target)` for the operands SOURCE... DESTINATION (`count` of them, two
// or more) as cp and mv take them: a DESTINATION that is a directory receives each SOURCE
// under its own name; otherwise there is one SOURCE and DESTINATION is its target. The exit
// status: 0, or 1 if any operation failed or several sources have no directory to go into
// (with a message).
template<typename Operate>
int for_each_source(const char* program, char* const* operands, int count, Operate operate)
{
    const char* destination = operands[count - 1];
    struct stat destination_status { };
    bool into_directory = stat(destination, &destination_status) == 0 && S_ISDIR(destination_status.st_mode);
    if (count > 2 && !into_directory) {
        fprintf(stderr, "%s: target '%s' is not a directory\n", program, destination);
        return 1;
    }
    int status = 0;
    for (int index = 0; index < count - 1; ++index) {
        const char* source = operands[index];
        if (!into_directory) {
            if (!operate(source, destination))
                status = 1;
            continue;
        }
        char name[256];
        last_component(source, name, sizeof(name));
        char* target = join_path(destination, name);
        if (!target || !operate(source, target))
            status = 1;
        free(target);
    }
    return status;
}

// Copies the data of the file `source` into `target`, which is truncated, or created with
// `mode` (less the umask), in chunks of copy_chunk_size. False, with a message, if any of it
// failed.
inline bool copy_file_data(const char* program, const char* source, const char* target, mode_t mode)
{
    int input = open(source, O_RDONLY);
    if (input < 0) {
        fprintf(stderr, "%s: cannot open '%s' for reading: %s\n", program, source, strerror(errno));
        return false;
    }
    int output = open(target, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (output < 0) {
        fprintf(stderr, "%s: cannot create regular file '%s': %s\n", program, target, strerror(errno));
        close(input);
        return false;
    }
    static char buffer[copy_chunk_size];
    bool copied = true;
    for (;;) {
        ssize_t received = read(input, buffer, sizeof(buffer));
        if (received == 0)
            break;
        if (received < 0) {
            fprintf(stderr, "%s: error reading '%s': %s\n", program, source, strerror(errno));
            copied = false;
            break;
        }
        if (!write_all(output, buffer, static_cast<size_t>(received))) {
            fprintf(stderr, "%s: error writing '%s': %s\n", program, target, strerror(errno));
            copied = false;
            break;
        }
    }
    close(input);
    if (close(output) != 0 && copied) {
        fprintf(stderr, "%s: error writing '%s': %s\n", program, target, strerror(errno));
        copied = false;
    }
    return copied;
}

// Makes `target` a symbolic link to what the link `source` holds. With `replace`, a file or
// link already at `target` is replaced (a directory is not); without it, it is an error.
inline bool copy_symlink(const char* program, const char* source, const char* target, bool replace)
{
    static char link_target[4097];
    ssize_t length = readlink(source, link_target, sizeof(link_target) - 1);
    if (length < 0) {
        fprintf(stderr, "%s: cannot read symbolic link '%s': %s\n", program, source, strerror(errno));
        return false;
    }
    link_target[length] = 0;
    if (symlink(link_target, target) == 0)
        return true;
    struct stat existing { };
    if (replace && errno == EEXIST && lstat(target, &existing) == 0 && !S_ISDIR(existing.st_mode)
        && unlink(target) == 0 && symlink(link_target, target) == 0)
        return true;
    fprintf(stderr, "%s: cannot create symbolic link '%s': %s\n", program, target, strerror(errno));
    return false;
}

struct RemoveOptions {
    // Directories are removed with everything in them; without it one is refused (EISDIR).
    bool recursive;
    // A file that is not there is no error (rm -f).
    bool ignore_missing;
    // A directory whose listing failed, or that kept some of its contents, is still given to
    // rmdir (mv's clean-up: that failure is reported too), where rm leaves it alone.
    bool best_effort;
};

// Removes `path`, a link as a link, and (with options.recursive) a directory with everything
// in it. Whatever cannot be removed is reported and left; false if anything stayed.
inline bool remove_tree(const char* program, const char* path, const RemoveOptions& options)
{
    auto report = [&] {
        fprintf(stderr, "%s: cannot remove '%s': %s\n", program, path, strerror(errno));
        return false;
    };
    struct stat status { };
    if (lstat(path, &status) != 0) {
        if (errno == ENOENT && options.ignore_missing)
            return true;
        return report();
    }
    if (!S_ISDIR(status.st_mode))
        return unlink(path) == 0 || (errno == ENOENT && options.ignore_missing) || report();
    if (!options.recursive) {
        errno = EISDIR;
        return report();
    }
    bool removed = true;
    int listed = for_each_entry(path, [&](const char* name) {
        char* child = join_path(path, name);
        if (!child) {
            removed = false;
            if (!options.best_effort) {
                errno = ENOMEM;
                report();
            }
            return true;
        }
        if (!remove_tree(program, child, options))
            removed = false;
        free(child);
        return true;
    });
    if (listed != 0 && !options.best_effort)
        return report();
    // A directory something stayed in cannot go; its entry's failure was reported already.
    if (!removed && !options.best_effort)
        return false;
    if (rmdir(path) != 0)
        return report();
    return removed;
}

} // namespace FileTrees
