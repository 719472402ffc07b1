// The file system semantics every mounted file system must share (docs/filesystems.md#semantics),
// checked through the C library as a ported program uses them:
//
//   /tests/fs-tests [--mount DEVICE TYPE] [--no-links-or-permissions] DIRECTORY
//
// With --mount, DEVICE is mounted on DIRECTORY first (and unmounted at the end). With
// --no-links-or-permissions the file system is one that has neither (FAT): symlink and a
// chmod that changes the mode must fail, and of the times only the modification time is
// kept. The checks work in DIRECTORY/fs-tests (made, and removed at the end): create,
// write, append, read back, seek, pread/pwrite, truncate, rename (over files, across
// directories), remove, directories with thousands of entries, large files, symbolic links
// and their loops, permissions and times, a removed file still readable while open, fsync,
// and the errors each misuse gives. Prints "fs-tests: DIRECTORY passed", or the first
// failed check.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <raeen/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

namespace {

char s_base[256];
const char* s_what = "";
bool s_links_and_permissions = true;

// Each group of checks says when it starts, so that a log shows how far a run got.
void begin(const char* what)
{
    s_what = what;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    printf("fs-tests: %s (at %lld ms)\n", what, static_cast<long long>(now.tv_sec) * 1000 + now.tv_nsec / 1000000);
}

#define CHECK(condition)                                                                                     \
    do {                                                                                                     \
        if (!(condition)) {                                                                                  \
            printf("fs-tests: %s: check at line %d failed: %s (errno %d: %s)\n", s_what, __LINE__,           \
                #condition, errno, strerror(errno));                                                         \
            return false;                                                                                    \
        }                                                                                                    \
    } while (false)

const char* path(const char* name)
{
    static char buffers[4][512];
    static int next;
    char* buffer = buffers[next++ % 4];
    snprintf(buffer, sizeof(buffers[0]), "%s/%s", s_base, name);
    return buffer;
}

bool write_all(int descriptor, const void* bytes, size_t count)
{
    return write(descriptor, bytes, count) == static_cast<ssize_t>(count);
}

bool file_holds(const char* file, const char* expected)
{
    int descriptor = open(file, O_RDONLY);
    if (descriptor < 0)
        return false;
    char buffer[256] = {};
    ssize_t got = read(descriptor, buffer, sizeof(buffer) - 1);
    close(descriptor);
    return got == static_cast<ssize_t>(strlen(expected)) && memcmp(buffer, expected, strlen(expected)) == 0;
}

bool create_write_read()
{
    begin("create, write, read");
    int descriptor = open(path("a"), O_WRONLY | O_CREAT | O_EXCL, 0640);
    CHECK(descriptor >= 0);
    CHECK(write_all(descriptor, "hello ", 6));
    CHECK(write_all(descriptor, "world\n", 6));
    CHECK(close(descriptor) == 0);
    CHECK(file_holds(path("a"), "hello world\n"));
    // O_EXCL on a name that exists.
    CHECK(open(path("a"), O_WRONLY | O_CREAT | O_EXCL, 0640) < 0 && errno == EEXIST);
    struct stat status;
    CHECK(stat(path("a"), &status) == 0);
    CHECK(S_ISREG(status.st_mode) && status.st_size == 12);
    CHECK(!s_links_and_permissions || (status.st_mode & 07777) == 0640);
    CHECK(status.st_nlink == 1);
    // Append goes at the end whatever the offset.
    descriptor = open(path("a"), O_WRONLY | O_APPEND);
    CHECK(descriptor >= 0);
    CHECK(lseek(descriptor, 0, SEEK_SET) == 0);
    CHECK(write_all(descriptor, "more\n", 5));
    CHECK(close(descriptor) == 0);
    CHECK(file_holds(path("a"), "hello world\nmore\n"));
    // Seeking, and pread/pwrite leaving the offset alone.
    descriptor = open(path("a"), O_RDWR);
    CHECK(descriptor >= 0);
    CHECK(lseek(descriptor, 6, SEEK_SET) == 6);
    char word[5] = {};
    CHECK(read(descriptor, word, 5) == 5 && memcmp(word, "world", 5) == 0);
    CHECK(lseek(descriptor, 0, SEEK_CUR) == 11);
    CHECK(pwrite(descriptor, "HELLO", 5, 0) == 5);
    CHECK(pread(descriptor, word, 5, 0) == 5 && memcmp(word, "HELLO", 5) == 0);
    CHECK(lseek(descriptor, 0, SEEK_CUR) == 11);
    CHECK(lseek(descriptor, 0, SEEK_END) == 17);
    CHECK(lseek(descriptor, -100, SEEK_CUR) < 0 && errno == EINVAL);
    // Reads past the end give 0; a write past it leaves zeros between.
    CHECK(lseek(descriptor, 20, SEEK_SET) == 20);
    CHECK(read(descriptor, word, 5) == 0);
    CHECK(write_all(descriptor, "X", 1));
    char gap[4];
    CHECK(pread(descriptor, gap, 4, 17) == 4 && gap[0] == 0 && gap[2] == 0 && gap[3] == 'X');
    CHECK(fsync(descriptor) == 0);
    CHECK(close(descriptor) == 0);
    // Truncation, both ways.
    CHECK(truncate(path("a"), 5) == 0);
    CHECK(file_holds(path("a"), "HELLO"));
    descriptor = open(path("a"), O_WRONLY | O_TRUNC);
    CHECK(descriptor >= 0);
    CHECK(fstat(descriptor, &status) == 0 && status.st_size == 0);
    CHECK(ftruncate(descriptor, 3000) == 0);
    CHECK(fstat(descriptor, &status) == 0 && status.st_size == 3000);
    CHECK(close(descriptor) == 0);
    // A read-only descriptor cannot write, a write-only one cannot read.
    descriptor = open(path("a"), O_RDONLY);
    CHECK(descriptor >= 0 && write(descriptor, "x", 1) < 0 && errno == EBADF);
    close(descriptor);
    descriptor = open(path("a"), O_WRONLY);
    CHECK(descriptor >= 0 && read(descriptor, word, 1) < 0 && errno == EBADF);
    close(descriptor);
    CHECK(unlink(path("a")) == 0);
    CHECK(stat(path("a"), &status) != 0 && errno == ENOENT);
    CHECK(unlink(path("a")) != 0 && errno == ENOENT);
    return true;
}

bool large_file()
{
    begin("a large file");
    // 3 MiB: past the direct and single indirect blocks of a 1 KiB ext2 volume, into the
    // double indirect ones.
    constexpr size_t chunk = 32 * 1024;
    constexpr int chunks = 96;
    static unsigned char buffer[chunk];
    int descriptor = open(path("large"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(descriptor >= 0);
    for (int index = 0; index < chunks; ++index) {
        for (size_t byte = 0; byte < chunk; ++byte)
            buffer[byte] = static_cast<unsigned char>((index * 131 + byte * 7) & 0xFF);
        CHECK(write_all(descriptor, buffer, chunk));
    }
    CHECK(fsync(descriptor) == 0);
    CHECK(lseek(descriptor, 0, SEEK_SET) == 0);
    for (int index = 0; index < chunks; ++index) {
        CHECK(read(descriptor, buffer, chunk) == static_cast<ssize_t>(chunk));
        for (size_t byte = 0; byte < chunk; ++byte)
            CHECK(buffer[byte] == static_cast<unsigned char>((index * 131 + byte * 7) & 0xFF));
    }
    CHECK(read(descriptor, buffer, chunk) == 0);
    struct stat status;
    CHECK(fstat(descriptor, &status) == 0 && status.st_size == static_cast<off_t>(chunk) * chunks);
    CHECK(status.st_blocks >= static_cast<blkcnt_t>(chunk) * chunks / 512);
    CHECK(close(descriptor) == 0);
    CHECK(unlink(path("large")) == 0);
    return true;
}

bool directories()
{
    begin("directories");
    CHECK(mkdir(path("d"), 0755) == 0);
    CHECK(mkdir(path("d"), 0755) != 0 && errno == EEXIST);
    CHECK(mkdir(path("missing/d"), 0755) != 0 && errno == ENOENT);
    int descriptor = open(path("d/f"), O_WRONLY | O_CREAT, 0644);
    CHECK(descriptor >= 0);
    close(descriptor);
    CHECK(mkdir(path("d/f/g"), 0755) != 0 && errno == ENOTDIR);
    CHECK(rmdir(path("d")) != 0 && errno == ENOTEMPTY);
    CHECK(rmdir(path("d/f")) != 0 && errno == ENOTDIR);
    CHECK(unlink(path("d")) != 0 && errno == EISDIR);
    CHECK(open(path("d"), O_WRONLY) < 0 && errno == EISDIR);
    struct stat status;
    CHECK(stat(path("d/../d/./f"), &status) == 0 && S_ISREG(status.st_mode));
    // Thousands of entries, every one listed once.
    constexpr int count = 2000;
    CHECK(mkdir(path("many"), 0755) == 0);
    char name[64];
    for (int index = 0; index < count; ++index) {
        snprintf(name, sizeof(name), "many/entry-%04d", index);
        descriptor = open(path(name), O_WRONLY | O_CREAT | O_EXCL, 0644);
        CHECK(descriptor >= 0);
        close(descriptor);
    }
    begin("directories: listing");
    static bool seen[count];
    memset(seen, 0, sizeof(seen));
    DIR* listing = opendir(path("many"));
    CHECK(listing);
    int listed = 0;
    while (dirent* entry = readdir(listing)) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        int number = -1;
        CHECK(sscanf(entry->d_name, "entry-%d", &number) == 1 && number >= 0 && number < count
            && !seen[number]);
        seen[number] = true;
        CHECK(entry->d_type == DT_REG);
        ++listed;
    }
    closedir(listing);
    CHECK(listed == count);
    begin("directories: removing");
    for (int index = 0; index < count; ++index) {
        snprintf(name, sizeof(name), "many/entry-%04d", index);
        CHECK(unlink(path(name)) == 0);
    }
    CHECK(rmdir(path("many")) == 0);
    CHECK(unlink(path("d/f")) == 0);
    CHECK(rmdir(path("d")) == 0);
    return true;
}

bool renames()
{
    begin("rename");
    int descriptor = open(path("r1"), O_WRONLY | O_CREAT, 0644);
    CHECK(descriptor >= 0 && write_all(descriptor, "one", 3) && close(descriptor) == 0);
    descriptor = open(path("r2"), O_WRONLY | O_CREAT, 0644);
    CHECK(descriptor >= 0 && write_all(descriptor, "two", 3) && close(descriptor) == 0);
    // Over an existing file: the target's name never disappears.
    CHECK(rename(path("r1"), path("r2")) == 0);
    CHECK(file_holds(path("r2"), "one"));
    struct stat status;
    CHECK(stat(path("r1"), &status) != 0 && errno == ENOENT);
    // Across directories, and a directory with its contents.
    CHECK(mkdir(path("from"), 0755) == 0 && mkdir(path("to"), 0755) == 0);
    CHECK(rename(path("r2"), path("from/r3")) == 0);
    CHECK(rename(path("from"), path("to/moved")) == 0);
    CHECK(file_holds(path("to/moved/r3"), "one"));
    CHECK(stat(path("to/moved/.."), &status) == 0 && S_ISDIR(status.st_mode));
    // Never into itself; a directory only over an empty directory.
    CHECK(rename(path("to"), path("to/moved/inside")) != 0 && errno == EINVAL);
    CHECK(mkdir(path("empty"), 0755) == 0);
    CHECK(rename(path("to/moved/r3"), path("empty")) != 0 && errno == EISDIR);
    CHECK(rename(path("empty"), path("to/moved/r3")) != 0 && errno == ENOTDIR);
    CHECK(rename(path("empty"), path("to/moved")) != 0 && errno == ENOTEMPTY);
    CHECK(rename(path("to/moved"), path("empty")) == 0);
    CHECK(file_holds(path("empty/r3"), "one"));
    CHECK(rename(path("missing"), path("x")) != 0 && errno == ENOENT);
    CHECK(unlink(path("empty/r3")) == 0 && rmdir(path("empty")) == 0 && rmdir(path("to")) == 0);
    return true;
}

bool symbolic_links()
{
    if (!s_links_and_permissions) {
        begin("no symbolic links");
        CHECK(symlink("target", path("link")) != 0);
        struct stat status;
        CHECK(lstat(path("link"), &status) != 0 && errno == ENOENT);
        return true;
    }
    begin("symbolic links");
    int descriptor = open(path("target"), O_WRONLY | O_CREAT, 0644);
    CHECK(descriptor >= 0 && write_all(descriptor, "linked", 6) && close(descriptor) == 0);
    CHECK(symlink("target", path("link")) == 0);
    CHECK(file_holds(path("link"), "linked"));
    char target[64] = {};
    CHECK(readlink(path("link"), target, sizeof(target)) == 6 && memcmp(target, "target", 6) == 0);
    struct stat status;
    CHECK(lstat(path("link"), &status) == 0 && S_ISLNK(status.st_mode));
    CHECK(stat(path("link"), &status) == 0 && S_ISREG(status.st_mode));
    // A long target lives in a block of its own.
    char long_target[300];
    memset(long_target, 'x', sizeof(long_target) - 1);
    long_target[sizeof(long_target) - 1] = 0;
    CHECK(symlink(long_target, path("long")) == 0);
    char back[320] = {};
    CHECK(readlink(path("long"), back, sizeof(back)) == 299 && memcmp(back, long_target, 299) == 0);
    // A loop is ELOOP, not a hang.
    CHECK(symlink("loop-b", path("loop-a")) == 0 && symlink("loop-a", path("loop-b")) == 0);
    CHECK(open(path("loop-a"), O_RDONLY) < 0 && errno == ELOOP);
    // A dangling link: lstat sees it, stat does not.
    CHECK(symlink("nowhere", path("dangling")) == 0);
    CHECK(lstat(path("dangling"), &status) == 0 && stat(path("dangling"), &status) != 0 && errno == ENOENT);
    // Removing a link leaves its target.
    CHECK(unlink(path("link")) == 0 && file_holds(path("target"), "linked"));
    const char* const made[] = { "long", "loop-a", "loop-b", "dangling", "target" };
    for (const char* name : made)
        CHECK(unlink(path(name)) == 0);
    return true;
}

bool attributes()
{
    begin("permissions and times");
    int descriptor = open(path("t"), O_WRONLY | O_CREAT, 0600);
    CHECK(descriptor >= 0 && close(descriptor) == 0);
    struct stat status;
    if (s_links_and_permissions) {
        CHECK(chmod(path("t"), 0751) == 0);
        CHECK(stat(path("t"), &status) == 0 && (status.st_mode & 07777) == 0751);
    } else {
        // The mode it has is the only one it takes.
        CHECK(chmod(path("t"), 0751) != 0);
        CHECK(stat(path("t"), &status) == 0 && (status.st_mode & 07777) != 0751);
        CHECK(chmod(path("t"), status.st_mode & 07777) == 0);
    }
    struct timeval times[2] = { { 1000000000, 0 }, { 1234567890, 0 } };
    CHECK(utimes(path("t"), times) == 0);
    CHECK(stat(path("t"), &status) == 0 && status.st_mtime == 1234567890);
    CHECK(!s_links_and_permissions || status.st_atime == 1000000000);
    time_t accessed = status.st_atime;
    // Reading changes nothing: no access-time update, no side effect at all.
    CHECK(file_holds(path("t"), ""));
    CHECK(stat(path("t"), &status) == 0 && status.st_atime == accessed && status.st_mtime == 1234567890);
    CHECK(unlink(path("t")) == 0);
    return true;
}

bool removed_while_open()
{
    begin("a file removed while open");
    int descriptor = open(path("open"), O_RDWR | O_CREAT, 0644);
    CHECK(descriptor >= 0 && write_all(descriptor, "still here", 10));
    CHECK(unlink(path("open")) == 0);
    struct stat status;
    CHECK(stat(path("open"), &status) != 0 && errno == ENOENT);
    // The name is free again at once.
    int second = open(path("open"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(second >= 0 && close(second) == 0);
    char buffer[16] = {};
    CHECK(pread(descriptor, buffer, sizeof(buffer), 0) == 10 && memcmp(buffer, "still here", 10) == 0);
    CHECK(write_all(descriptor, "!", 1));
    CHECK(fstat(descriptor, &status) == 0 && status.st_size == 11);
    CHECK(close(descriptor) == 0);
    CHECK(unlink(path("open")) == 0);
    return true;
}

bool totals()
{
    begin("statvfs");
    struct statvfs totals;
    CHECK(statvfs(s_base, &totals) == 0);
    CHECK(totals.f_blocks > 0 && totals.f_bfree <= totals.f_blocks && totals.f_bsize >= 512);
    return true;
}

} // namespace

int main(int argument_count, char** arguments)
{
    const char* device = nullptr;
    const char* type = nullptr;
    int next = 1;
    if (argument_count >= 4 && strcmp(arguments[1], "--mount") == 0) {
        device = arguments[2];
        type = arguments[3];
        next = 4;
    }
    if (next < argument_count && strcmp(arguments[next], "--no-links-or-permissions") == 0) {
        s_links_and_permissions = false;
        ++next;
    }
    if (next != argument_count - 1) {
        fprintf(stderr, "usage: fs-tests [--mount DEVICE TYPE] [--no-links-or-permissions] DIRECTORY\n");
        return 2;
    }
    const char* directory = arguments[next];
    if (device && raeen_mount(device, directory, type, 0) != 0) {
        printf("fs-tests: mounting %s on %s: %s\n", device, directory, strerror(errno));
        return 1;
    }
    snprintf(s_base, sizeof(s_base), "%s/fs-tests", directory);
    if (mkdir(s_base, 0755) != 0) {
        printf("fs-tests: %s: %s\n", s_base, strerror(errno));
        return 1;
    }
    bool passed = create_write_read() && large_file() && directories() && renames() && symbolic_links()
        && attributes() && removed_while_open() && totals();
    if (passed && rmdir(s_base) != 0) {
        printf("fs-tests: removing %s: %s\n", s_base, strerror(errno));
        passed = false;
    }
    if (device && raeen_umount(directory) != 0) {
        printf("fs-tests: unmounting %s: %s\n", directory, strerror(errno));
        passed = false;
    }
    if (passed)
        printf("fs-tests: %s passed\n", directory);
    return passed ? 0 : 1;
}
