// file-bench DEVICE: the file system benchmarks of `./raeen bench` (docs/filesystems.md#benchmarks).
// Mounts DEVICE (an ext2 volume, a fresh copy of the image Tools/bench.py makes) on /mnt
// and measures, through the C library's POSIX calls as a ported program makes them:
//
// - sequential_write: open (create), 4 MiB in 32 KiB writes, fsync, close;
// - sequential_read_cold: after an unmount and a mount again (the ext2 service's page cache
//   starts empty), open, 4 MiB in 32 KiB reads, close;
// - sequential_read_warm: the same read again at once, from the page cache;
// - create_empty: 200 empty files created (and closed) in a fresh directory, then sync.
//
// Each is timed as one span with the TSC and printed as "[BENCH] files.METRIC OPERATION:
// n=1 min=... median=... p99=... max=... mean=... ticks", then "[BENCH] files done" (also
// after an error, which is printed as "[BENCH] error: ..."). Tests/Bench/LinuxPeer.cpp
// (peer=files) measures Linux the same way, with the same sizes, on a copy of the same image.

#include <errno.h>
#include <fcntl.h>
#include <raeen/mount.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr char mount_point[] = "/mnt";
constexpr char file_path[] = "/mnt/file-bench.data";
constexpr char directory_path[] = "/mnt/file-bench.created";
constexpr size_t request_bytes = 32 * 1024;
constexpr size_t file_bytes = 4 * 1024 * 1024;
constexpr int request_count = static_cast<int>(file_bytes / request_bytes);
constexpr int created_files = 200;

unsigned char s_pattern[request_bytes];
unsigned char s_buffer[request_bytes];
const char* s_device = "";
bool s_mounted = false;

uint64_t ticks()
{
    return __builtin_ia32_rdtsc();
}

bool failed(const char* what)
{
    printf("[BENCH] error: file-bench %s: %s: %s\n", s_device, what, strerror(errno));
    return false;
}

void report(const char* metric, const char* operation, uint64_t elapsed)
{
    unsigned long long value = elapsed;
    printf("[BENCH] files.%s %s: n=1 min=%llu median=%llu p99=%llu max=%llu mean=%llu ticks\n", metric,
        operation, value, value, value, value, value);
}

// Request `index` of the file: the fixed pattern with the request's number in its first
// and last eight bytes, so that a read that returned the wrong part of the file is caught
// by comparing sixteen bytes, which costs nothing next to the read.
void stamp(int index)
{
    uint64_t word = 0x46494C4542454E43ull ^ static_cast<uint64_t>(index);
    memcpy(s_pattern, &word, sizeof(word));
    memcpy(s_pattern + request_bytes - sizeof(word), &word, sizeof(word));
}

bool stamped(int index)
{
    uint64_t word = 0x46494C4542454E43ull ^ static_cast<uint64_t>(index);
    return memcmp(s_buffer, &word, sizeof(word)) == 0
        && memcmp(s_buffer + request_bytes - sizeof(word), &word, sizeof(word)) == 0;
}

bool mount_device()
{
    if (raeen_mount(s_device, mount_point, "ext2", 0) != 0)
        return failed("mount");
    s_mounted = true;
    return true;
}

bool unmount_device()
{
    s_mounted = false;
    if (raeen_umount(mount_point) != 0)
        return failed("umount");
    return true;
}

bool write_all(int descriptor, const unsigned char* bytes, size_t count)
{
    size_t done = 0;
    while (done < count) {
        ssize_t written = write(descriptor, bytes + done, count - done);
        if (written <= 0)
            return false;
        done += static_cast<size_t>(written);
    }
    return true;
}

bool read_all(int descriptor, unsigned char* bytes, size_t count)
{
    size_t done = 0;
    while (done < count) {
        ssize_t got = read(descriptor, bytes + done, count - done);
        if (got <= 0)
            return false;
        done += static_cast<size_t>(got);
    }
    return true;
}

bool sequential_write()
{
    for (size_t index = 0; index < request_bytes; ++index)
        s_pattern[index] = static_cast<unsigned char>((index * 7 + 3) & 0xFF);
    uint64_t start = ticks();
    int descriptor = open(file_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (descriptor < 0)
        return failed("open for writing");
    for (int index = 0; index < request_count; ++index) {
        stamp(index);
        if (!write_all(descriptor, s_pattern, request_bytes)) {
            close(descriptor);
            return failed("write");
        }
    }
    if (fsync(descriptor) != 0) {
        close(descriptor);
        return failed("fsync");
    }
    if (close(descriptor) != 0)
        return failed("close after writing");
    report("sequential_write", "write", ticks() - start);
    return true;
}

bool sequential_read(const char* metric)
{
    uint64_t start = ticks();
    int descriptor = open(file_path, O_RDONLY);
    if (descriptor < 0)
        return failed("open for reading");
    for (int index = 0; index < request_count; ++index) {
        if (!read_all(descriptor, s_buffer, request_bytes)) {
            close(descriptor);
            return failed("read");
        }
        if (!stamped(index)) {
            close(descriptor);
            errno = EIO;
            return failed("read back other data than was written");
        }
    }
    if (close(descriptor) != 0)
        return failed("close after reading");
    report(metric, "read", ticks() - start);
    return true;
}

bool create_empty_files()
{
    if (mkdir(directory_path, 0755) != 0)
        return failed("mkdir");
    char path[96];
    uint64_t start = ticks();
    for (int index = 0; index < created_files; ++index) {
        snprintf(path, sizeof(path), "%s/file-%03d", directory_path, index);
        int descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (descriptor < 0)
            return failed("create");
        if (close(descriptor) != 0)
            return failed("close after creating");
    }
    sync();
    uint64_t elapsed = ticks() - start;
    // Every file must be there, as created: a creation that only seemed to work is caught.
    struct stat status;
    snprintf(path, sizeof(path), "%s/file-%03d", directory_path, created_files - 1);
    if (stat(path, &status) != 0 || !S_ISREG(status.st_mode) || status.st_size != 0)
        return failed("stat of the last file created");
    report("create_empty", "create", elapsed);
    return true;
}

bool run()
{
    if (!mount_device() || !sequential_write())
        return false;
    // A mount of its own (a new ext2 service, its page cache empty) for the cold read.
    if (!unmount_device() || !mount_device())
        return false;
    return sequential_read("sequential_read_cold") && sequential_read("sequential_read_warm")
        && create_empty_files();
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: file-bench DEVICE\n");
        return 2;
    }
    s_device = argv[1];
    bool passed = run();
    if (s_mounted)
        passed = unmount_device() && passed;
    printf("[BENCH] files done\n");
    return passed ? 0 : 1;
}
