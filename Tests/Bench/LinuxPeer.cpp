// The Linux half of the RaeenOS benchmark comparison: a static program that runs as /init of
// a small initramfs under QEMU and measures, in guest TSC ticks, the same operations the
// RaeenOS benchmarks measure. Under `-icount shift=0,sleep=off` one TSC tick is one guest
// instruction, so the figures compare directly with RaeenOS's instruction counts.
//
// Tools/linux_peer.py builds it, packs it into the initramfs, boots it and parses the
// `[BENCH]` lines it prints. Booted with `peer=disks` on the kernel command line (init's
// environment), it instead loads the disk drivers' modules the initramfs carries and
// measures the disks as Userland/Tests/BlockBench.cpp does on RaeenOS; with `peer=files`, it
// loads the virtio-blk and ext4 modules, mounts /dev/vda (an ext2 image) on /mnt and measures
// the file system as Userland/Tests/FileBench.cpp does. Run by hand (not as PID 1) with
// `--quick`, it does every measurement with small counts and exits, which is how the host checks it.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <new>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

extern char** environ;

namespace {

// The largest sample count of any metric: every metric's samples go into one static array.
constexpr int max_samples = 1000;
constexpr int message_size = 32;
constexpr long page_size_fallback = 4096;
constexpr std::int64_t nanoseconds_per_second = 1'000'000'000;
constexpr std::int64_t calibration_nanoseconds = 20'000'000;
constexpr char exit_at_once_argument[] = "--exit";
constexpr char quick_argument[] = "--quick";

std::uint64_t s_samples[max_samples];
bool s_running_as_init = false;

// How many untimed iterations come first (to fault in code, fill caches and let both
// processes of a ping-pong reach their loops) and how many timed ones follow.
struct Counts {
    int warm_up;
    int samples;
};

struct RunCounts {
    Counts standard;
    Counts process_spawn;
    Counts thread_create_join;
};

constexpr RunCounts full_counts { { 100, 1000 }, { 10, 200 }, { 100, 200 } };
constexpr RunCounts quick_counts { { 5, 20 }, { 2, 20 }, { 5, 20 } };

[[noreturn]] void power_off_or_exit(int status)
{
    std::fflush(stdout);
    if (s_running_as_init) {
        sync();
        reboot(RB_POWER_OFF);
        // Only reached when the power-off request itself failed; init must never return.
        while (true)
            pause();
    }
    std::exit(status);
}

// Reports a failed step; the tool treats any error line as a failed run. As init, the
// machine is still powered off so the boot ends at once instead of at the tool's timeout.
[[noreturn]] void fail(const char* what)
{
    std::printf("[BENCH] error: %s: %s\n", what, std::strerror(errno));
    power_off_or_exit(1);
}

// For a forked child: report and leave without running the parent's exit handlers or
// flushing a copy of its stdio buffers.
[[noreturn]] void fail_in_child(const char* what)
{
    std::printf("[BENCH] error: %s: %s\n", what, std::strerror(errno));
    std::fflush(stdout);
    _exit(1);
}

// lfence on both sides keeps the timed instructions from drifting across the TSC reads:
// rdtsc alone is not ordered against the loads and stores around it.
inline std::uint64_t read_tsc()
{
    _mm_lfence();
    std::uint64_t ticks = __rdtsc();
    _mm_lfence();
    return ticks;
}

std::int64_t clock_nanoseconds(clockid_t clock)
{
    timespec now {};
    if (clock_gettime(clock, &now) != 0)
        fail("clock_gettime");
    return static_cast<std::int64_t>(now.tv_sec) * nanoseconds_per_second + now.tv_nsec;
}

void report_samples(const char* name, int count)
{
    std::sort(s_samples, s_samples + count);
    int median_index = (count - 1) / 2;
    // ceil(0.99 * count) - 1, in integers so no rounding can move it.
    int p99_index = (99 * count + 99) / 100 - 1;
    std::printf("[BENCH] %s: n=%d min=%llu median=%llu p99=%llu ticks\n", name, count,
        static_cast<unsigned long long>(s_samples[0]),
        static_cast<unsigned long long>(s_samples[median_index]),
        static_cast<unsigned long long>(s_samples[p99_index]));
    std::fflush(stdout);
}

// The first two CPUs this process may run on, found from its affinity mask rather than
// from sysfs, which is not mounted when this runs as init.
struct CpuChoice {
    int first;
    int second; // -1 when only one CPU is available
};

CpuChoice choose_cpus()
{
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
        fail("sched_getaffinity");
    CpuChoice choice { -1, -1 };
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (!CPU_ISSET(cpu, &allowed))
            continue;
        if (choice.first < 0) {
            choice.first = cpu;
        } else {
            choice.second = cpu;
            break;
        }
    }
    if (choice.first < 0) {
        errno = ENODEV;
        fail("no CPU in the affinity mask");
    }
    return choice;
}

// Returns false instead of failing so a child can report through its own path.
bool pin_to_cpu(int cpu)
{
    cpu_set_t only;
    CPU_ZERO(&only);
    CPU_SET(cpu, &only);
    return sched_setaffinity(0, sizeof(only), &only) == 0;
}

void wait_for_clean_exit(pid_t child, const char* what)
{
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR)
            fail(what);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = ECHILD;
        fail(what);
    }
}

void measure_null_syscall(Counts counts)
{
    for (int iteration = 0; iteration < counts.warm_up; ++iteration)
        syscall(SYS_getppid);
    for (int sample = 0; sample < counts.samples; ++sample) {
        std::uint64_t start = read_tsc();
        syscall(SYS_getppid);
        s_samples[sample] = read_tsc() - start;
    }
    report_samples("null_syscall", counts.samples);
}

bool read_exactly(int descriptor, char* buffer, int size)
{
    int done = 0;
    while (done < size) {
        ssize_t got = read(descriptor, buffer + done, size - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        done += static_cast<int>(got);
    }
    return true;
}

bool write_exactly(int descriptor, const char* buffer, int size)
{
    int done = 0;
    while (done < size) {
        ssize_t put = write(descriptor, buffer + done, size - done);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return false;
        done += static_cast<int>(put);
    }
    return true;
}

// One round trip is the parent's 32-byte message through one pipe and the child's 32-byte
// answer through another: the same shape as a RaeenOS channel call and reply.
void measure_pipe_round_trip(const char* name, Counts counts, int parent_cpu, int child_cpu)
{
    int to_child[2];
    int to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0)
        fail("pipe");
    if (!pin_to_cpu(parent_cpu))
        fail("sched_setaffinity (parent)");
    int total = counts.warm_up + counts.samples;
    std::fflush(stdout);
    pid_t child = fork();
    if (child < 0)
        fail("fork");
    if (child == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        if (!pin_to_cpu(child_cpu))
            fail_in_child("sched_setaffinity (child)");
        char message[message_size];
        for (int iteration = 0; iteration < total; ++iteration) {
            if (!read_exactly(to_child[0], message, message_size))
                fail_in_child("pipe read (child)");
            if (!write_exactly(to_parent[1], message, message_size))
                fail_in_child("pipe write (child)");
        }
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    char message[message_size];
    std::memset(message, 'r', sizeof(message));
    for (int iteration = 0; iteration < total; ++iteration) {
        std::uint64_t start = read_tsc();
        if (!write_exactly(to_child[1], message, message_size))
            fail("pipe write (parent)");
        if (!read_exactly(to_parent[0], message, message_size))
            fail("pipe read (parent)");
        std::uint64_t elapsed = read_tsc() - start;
        if (iteration >= counts.warm_up)
            s_samples[iteration - counts.warm_up] = elapsed;
    }
    close(to_child[1]);
    close(to_parent[0]);
    wait_for_clean_exit(child, "ipc child");
    report_samples(name, counts.samples);
}

// Flags the parent and the yielding child share through a MAP_SHARED page.
struct YieldFlags {
    std::atomic<bool> child_started;
    std::atomic<bool> stop;
};

void measure_yield_round_trip(Counts counts, int cpu)
{
    if (!pin_to_cpu(cpu))
        fail("sched_setaffinity (parent)");
    void* shared
        = mmap(nullptr, sizeof(YieldFlags), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        fail("mmap (yield flags)");
    // The mapping is fresh, page-aligned and large enough; the object is built in it before
    // fork so both processes see the same initialised atomics.
    auto* flags = new (shared) YieldFlags {};
    std::fflush(stdout);
    pid_t child = fork();
    if (child < 0)
        fail("fork");
    if (child == 0) {
        flags->child_started.store(true);
        while (!flags->stop.load(std::memory_order_relaxed))
            sched_yield();
        _exit(0);
    }
    // Until the child has run once it is not yet competing for the CPU, and a yield
    // would come straight back without a switch.
    while (!flags->child_started.load())
        sched_yield();
    for (int iteration = 0; iteration < counts.warm_up; ++iteration)
        sched_yield();
    for (int sample = 0; sample < counts.samples; ++sample) {
        std::uint64_t start = read_tsc();
        sched_yield();
        s_samples[sample] = read_tsc() - start;
    }
    flags->stop.store(true);
    wait_for_clean_exit(child, "yield child");
    if (munmap(shared, sizeof(YieldFlags)) != 0)
        fail("munmap (yield flags)");
    report_samples("yield_round_trip", counts.samples);
}

void measure_anonymous_first_touch(Counts counts)
{
    long page_size = sysconf(_SC_PAGESIZE);
    if (page_size <= 0)
        page_size = page_size_fallback;
    std::size_t pages = static_cast<std::size_t>(counts.warm_up + counts.samples);
    std::size_t length = pages * static_cast<std::size_t>(page_size);
    void* region = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        fail("mmap (first touch)");
    // With transparent huge pages the first write could fill a whole 2 MiB page and the
    // next 511 writes would fault nothing; each sample must be one 4 KiB page fault.
    if (madvise(region, length, MADV_NOHUGEPAGE) != 0)
        fail("madvise (first touch)");
    // The mapping spans `pages` whole pages, so each offset below stays inside it; volatile
    // keeps the compiler from merging or dropping the writes.
    auto* bytes = static_cast<volatile char*>(region);
    for (int page = 0; page < counts.warm_up; ++page)
        bytes[static_cast<std::size_t>(page) * page_size] = 1;
    for (int sample = 0; sample < counts.samples; ++sample) {
        std::size_t offset = static_cast<std::size_t>(counts.warm_up + sample) * page_size;
        std::uint64_t start = read_tsc();
        bytes[offset] = 1;
        s_samples[sample] = read_tsc() - start;
    }
    if (munmap(region, length) != 0)
        fail("munmap (first touch)");
    report_samples("anonymous_first_touch", counts.samples);
}

void* return_at_once(void*)
{
    return nullptr;
}

void create_and_join_thread()
{
    pthread_t thread;
    int error = pthread_create(&thread, nullptr, return_at_once, nullptr);
    if (error != 0) {
        errno = error;
        fail("pthread_create");
    }
    error = pthread_join(thread, nullptr);
    if (error != 0) {
        errno = error;
        fail("pthread_join");
    }
}

void measure_thread_create_join(Counts counts)
{
    for (int iteration = 0; iteration < counts.warm_up; ++iteration)
        create_and_join_thread();
    for (int sample = 0; sample < counts.samples; ++sample) {
        std::uint64_t start = read_tsc();
        create_and_join_thread();
        s_samples[sample] = read_tsc() - start;
    }
    report_samples("thread_create_join", counts.samples);
}

// /proc is not mounted in the initramfs, so the program finds itself through argv[0]
// ("/init" when it runs as init, the path it was started with otherwise).
void spawn_and_wait(const char* self_path)
{
    pid_t child = fork();
    if (child < 0)
        fail("fork");
    if (child == 0) {
        char* const arguments[]
            = { const_cast<char*>(self_path), const_cast<char*>(exit_at_once_argument), nullptr };
        execve(self_path, arguments, environ);
        fail_in_child("execve");
    }
    wait_for_clean_exit(child, "spawned process");
}

void measure_process_spawn(Counts counts, const char* self_path)
{
    std::fflush(stdout);
    for (int iteration = 0; iteration < counts.warm_up; ++iteration)
        spawn_and_wait(self_path);
    for (int sample = 0; sample < counts.samples; ++sample) {
        std::uint64_t start = read_tsc();
        spawn_and_wait(self_path);
        s_samples[sample] = read_tsc() - start;
    }
    report_samples("process_spawn", counts.samples);
}

// Busy-waits about 20 ms of CLOCK_MONOTONIC so a tool can turn ticks into time when the
// TSC follows the host's clock rather than counting instructions.
void report_tsc_calibration()
{
    std::int64_t clock_start = clock_nanoseconds(CLOCK_MONOTONIC);
    std::uint64_t tsc_start = read_tsc();
    std::int64_t clock_now = clock_start;
    while (clock_now - clock_start < calibration_nanoseconds)
        clock_now = clock_nanoseconds(CLOCK_MONOTONIC);
    std::uint64_t tsc_end = read_tsc();
    double microseconds = static_cast<double>(clock_now - clock_start) / 1000.0;
    double ticks_per_microsecond = static_cast<double>(tsc_end - tsc_start) / microseconds;
    std::printf("[BENCH] tsc_ticks_per_microsecond: %.3f\n", ticks_per_microsecond);
    std::fflush(stdout);
}

constexpr char cpu_directory[] = "/sys/devices/system/cpu";

// Reads the first byte of a sysfs attribute; 0 when it cannot be read.
char read_attribute_byte(const char* path)
{
    int descriptor = open(path, O_RDONLY | O_CLOEXEC);
    if (descriptor < 0)
        return 0;
    char value = 0;
    if (read(descriptor, &value, 1) != 1)
        value = 0;
    close(descriptor);
    return value;
}

// Under `-icount` QEMU runs the emulated CPUs in turn on one host thread and hands each
// turn the instructions left until the next timer deadline; the first CPU uses them all
// unless it halts or executes `pause`. Linux's boot CPU waits for a starting CPU in a loop
// that only calls schedule(), so the second CPU can wait minutes for a turn. linux_peer.py
// therefore boots such machines with `maxcpus=1`, and init brings the other CPUs online
// here, with a helper on the boot CPU spinning on `pause` so the starting CPU gets turns.
// Without offline CPUs (every other run) this mounts sysfs and changes nothing.
void bring_offline_cpus_online()
{
    if (mkdir("/sys", 0755) != 0 && errno != EEXIST)
        fail("mkdir /sys");
    if (mount("sysfs", "/sys", "sysfs", 0, nullptr) != 0 && errno != EBUSY)
        fail("mount sysfs");
    char path[128];
    std::snprintf(path, sizeof(path), "%s/offline", cpu_directory);
    char first_offline = read_attribute_byte(path);
    if (first_offline < '0' || first_offline > '9')
        return;

    std::fflush(stdout);
    pid_t spinner = fork();
    if (spinner < 0)
        fail("fork (pause spinner)");
    if (spinner == 0) {
        while (true)
            _mm_pause();
    }
    for (int cpu = 1; cpu < CPU_SETSIZE; ++cpu) {
        std::snprintf(path, sizeof(path), "%s/cpu%d/online", cpu_directory, cpu);
        char state = read_attribute_byte(path);
        if (state == 0)
            break;
        if (state != '0')
            continue;
        int descriptor = open(path, O_WRONLY | O_CLOEXEC);
        if (descriptor < 0 || write(descriptor, "1", 1) != 1)
            fail("bringing a CPU online");
        close(descriptor);
    }
    if (kill(spinner, SIGKILL) != 0)
        fail("kill (pause spinner)");
    int status = 0;
    while (waitpid(spinner, &status, 0) < 0) {
        if (errno != EINTR)
            fail("waitpid (pause spinner)");
    }
}

// ---- disks ----------------------------------------------------------------------------

constexpr int disk_random_reads = 200;
constexpr std::size_t disk_random_read_bytes = 4096;
constexpr std::size_t disk_request_bytes = 32 * 1024;

// Loads the modules /modules/order lists, in order (dependencies first, as linux_peer.py
// wrote it).
void load_modules()
{
    FILE* order = std::fopen("/modules/order", "r");
    if (!order)
        fail("/modules/order");
    char line[256];
    while (std::fgets(line, sizeof(line), order)) {
        line[std::strcspn(line, "\n")] = '\0';
        if (line[0] == '\0')
            continue;
        char path[300];
        std::snprintf(path, sizeof(path), "/modules/%s", line);
        int descriptor = open(path, O_RDONLY | O_CLOEXEC);
        if (descriptor < 0)
            fail(path);
        if (syscall(SYS_finit_module, descriptor, "", 0) != 0 && errno != EEXIST)
            fail(path);
        close(descriptor);
    }
    std::fclose(order);
}

// Waits (up to ten seconds) for the driver to make the device node.
int open_disk(const char* name)
{
    char path[64];
    std::snprintf(path, sizeof(path), "/dev/%s", name);
    for (int attempt = 0; attempt < 1000; ++attempt) {
        int descriptor = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
        if (descriptor >= 0)
            return descriptor;
        usleep(10'000);
    }
    fail(path);
}

void measure_disk(const char* name, unsigned char* buffer)
{
    int descriptor = open_disk(name);
    off_t disk_bytes = lseek(descriptor, 0, SEEK_END);
    if (disk_bytes <= 0)
        fail("lseek");
    std::uint64_t slots = static_cast<std::uint64_t>(disk_bytes) / disk_random_read_bytes;
    // The same sequence as RaeenOS's block-bench: a 64-bit LCG (Knuth's MMIX constants).
    std::uint64_t state = 0x5EED;
    for (int sample = 0; sample < disk_random_reads; ++sample) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        std::uint64_t slot = (state >> 33) % slots;
        std::uint64_t start = read_tsc();
        ssize_t read_bytes = pread(
            descriptor, buffer, disk_random_read_bytes, static_cast<off_t>(slot * disk_random_read_bytes));
        s_samples[sample] = read_tsc() - start;
        if (read_bytes != static_cast<ssize_t>(disk_random_read_bytes))
            fail("pread");
    }
    char metric[64];
    std::snprintf(metric, sizeof(metric), "block_%s_random_read_4k_qd1", name);
    report_samples(metric, disk_random_reads);
    std::uint64_t start = read_tsc();
    for (off_t offset = 0; offset < disk_bytes; offset += disk_request_bytes) {
        if (pread(descriptor, buffer, disk_request_bytes, offset) <= 0)
            fail("pread");
    }
    s_samples[0] = read_tsc() - start;
    std::snprintf(metric, sizeof(metric), "block_%s_sequential_read", name);
    report_samples(metric, 1);
    close(descriptor);
}

[[noreturn]] void measure_disks()
{
    if (mount("devtmpfs", "/dev", "devtmpfs", 0, nullptr) != 0 && errno != EBUSY)
        fail("mount /dev");
    load_modules();
    report_tsc_calibration();
    // O_DIRECT wants the buffer aligned to the logical block size; a page is enough.
    void* buffer = nullptr;
    if (posix_memalign(&buffer, 4096, disk_request_bytes) != 0)
        fail("posix_memalign");
    const char* names[] = { "vda", "sda", "nvme0n1" };
    for (const char* name : names)
        measure_disk(name, static_cast<unsigned char*>(buffer));
    std::printf("[BENCH] done\n");
    power_off_or_exit(0);
}

// ---- files ----------------------------------------------------------------------------

// The sizes and names of Userland/Tests/FileBench.cpp.
constexpr char files_mount_point[] = "/mnt";
constexpr char files_file_path[] = "/mnt/file-bench.data";
constexpr char files_directory_path[] = "/mnt/file-bench.created";
constexpr std::size_t files_request_bytes = 32 * 1024;
constexpr std::size_t files_file_bytes = 4 * 1024 * 1024;
constexpr int files_request_count = static_cast<int>(files_file_bytes / files_request_bytes);
constexpr int files_created = 200;
constexpr std::uint64_t files_stamp_key = 0x46494C4542454E43ull;

unsigned char s_file_pattern[files_request_bytes];
unsigned char s_file_buffer[files_request_bytes];

void report_span(const char* name, std::uint64_t elapsed)
{
    s_samples[0] = elapsed;
    report_samples(name, 1);
}

// Request `index` of the file: the pattern with the request's number in its first and
// last eight bytes, as file-bench writes it.
void stamp_request(int index)
{
    std::uint64_t word = files_stamp_key ^ static_cast<std::uint64_t>(index);
    std::memcpy(s_file_pattern, &word, sizeof(word));
    std::memcpy(s_file_pattern + files_request_bytes - sizeof(word), &word, sizeof(word));
}

bool request_stamped(int index)
{
    std::uint64_t word = files_stamp_key ^ static_cast<std::uint64_t>(index);
    return std::memcmp(s_file_buffer, &word, sizeof(word)) == 0
        && std::memcmp(s_file_buffer + files_request_bytes - sizeof(word), &word, sizeof(word)) == 0;
}

// Linux mounts ext2 with its ext4 driver (CONFIG_EXT4_USE_FOR_EXT2), which registers the
// type "ext2"; the page cache stays on (no O_DIRECT), as RaeenOS's does.
void mount_files_disk()
{
    if (mount("/dev/vda", files_mount_point, "ext2", 0, "") != 0)
        fail("mount /dev/vda");
}

void measure_sequential_file_write()
{
    for (std::size_t index = 0; index < files_request_bytes; ++index)
        s_file_pattern[index] = static_cast<unsigned char>((index * 7 + 3) & 0xFF);
    std::uint64_t start = read_tsc();
    int descriptor = open(files_file_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (descriptor < 0)
        fail("open for writing");
    for (int index = 0; index < files_request_count; ++index) {
        stamp_request(index);
        if (!write_exactly(descriptor, reinterpret_cast<const char*>(s_file_pattern),
                static_cast<int>(files_request_bytes)))
            fail("write");
    }
    if (fsync(descriptor) != 0)
        fail("fsync");
    if (close(descriptor) != 0)
        fail("close after writing");
    report_span("files_sequential_write", read_tsc() - start);
}

void measure_sequential_file_read(const char* name)
{
    std::uint64_t start = read_tsc();
    int descriptor = open(files_file_path, O_RDONLY | O_CLOEXEC);
    if (descriptor < 0)
        fail("open for reading");
    for (int index = 0; index < files_request_count; ++index) {
        if (!read_exactly(
                descriptor, reinterpret_cast<char*>(s_file_buffer), static_cast<int>(files_request_bytes)))
            fail("read");
        if (!request_stamped(index)) {
            errno = EIO;
            fail("read back other data than was written");
        }
    }
    if (close(descriptor) != 0)
        fail("close after reading");
    report_span(name, read_tsc() - start);
}

void measure_empty_file_creation()
{
    if (mkdir(files_directory_path, 0755) != 0)
        fail("mkdir");
    char path[96];
    std::uint64_t start = read_tsc();
    for (int index = 0; index < files_created; ++index) {
        std::snprintf(path, sizeof(path), "%s/file-%03d", files_directory_path, index);
        int descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (descriptor < 0)
            fail("create");
        if (close(descriptor) != 0)
            fail("close after creating");
    }
    // Linux's caches write back: without this the creations would never reach the disk
    // inside the measurement, where RaeenOS's ext2 writes each one through.
    sync();
    std::uint64_t elapsed = read_tsc() - start;
    struct stat status { };
    std::snprintf(path, sizeof(path), "%s/file-%03d", files_directory_path, files_created - 1);
    if (stat(path, &status) != 0 || !S_ISREG(status.st_mode) || status.st_size != 0)
        fail("stat of the last file created");
    report_span("files_create_empty", elapsed);
}

[[noreturn]] void measure_files()
{
    if (mount("devtmpfs", "/dev", "devtmpfs", 0, nullptr) != 0 && errno != EBUSY)
        fail("mount /dev");
    load_modules();
    report_tsc_calibration();
    if (mkdir(files_mount_point, 0755) != 0 && errno != EEXIST)
        fail("mkdir /mnt");
    close(open_disk("vda"));
    mount_files_disk();
    measure_sequential_file_write();
    // Unmounting drops the file's pages and, with the last user of /dev/vda gone, the
    // device's own cached blocks: the read that follows the mount starts cold.
    if (umount(files_mount_point) != 0)
        fail("umount");
    mount_files_disk();
    measure_sequential_file_read("files_sequential_read_cold");
    measure_sequential_file_read("files_sequential_read_warm");
    measure_empty_file_creation();
    if (umount(files_mount_point) != 0)
        fail("umount");
    std::printf("[BENCH] done\n");
    power_off_or_exit(0);
}

} // namespace

int main(int argument_count, char** arguments)
{
    // Read before anything else so the figure is the kernel's boot, not this program's.
    std::int64_t boot_nanoseconds = clock_nanoseconds(CLOCK_BOOTTIME);

    if (argument_count >= 2 && std::strcmp(arguments[1], exit_at_once_argument) == 0)
        _exit(0);

    s_running_as_init = getpid() == 1;
    RunCounts counts = full_counts;
    // As init, the arguments are whatever words of the kernel command line the kernel did
    // not recognise itself (`nokaslr`, say), so they are ignored.
    if (!s_running_as_init && argument_count >= 2) {
        if (argument_count > 2 || std::strcmp(arguments[1], quick_argument) != 0) {
            std::printf("[BENCH] error: usage: %s [--quick]: unexpected arguments\n", arguments[0]);
            power_off_or_exit(2);
        }
        counts = quick_counts;
    }
    const char* self_path = argument_count >= 1 ? arguments[0] : "/init";

    const char* peer = s_running_as_init ? std::getenv("peer") : nullptr;
    if (peer && std::strcmp(peer, "disks") == 0)
        measure_disks();
    if (peer && std::strcmp(peer, "files") == 0)
        measure_files();

    if (s_running_as_init) {
        std::printf("[BENCH] boot_to_first_process: %lld ns\n", static_cast<long long>(boot_nanoseconds));
        std::fflush(stdout);
        bring_offline_cpus_online();
    }

    CpuChoice cpus = choose_cpus();
    if (!pin_to_cpu(cpus.first))
        fail("sched_setaffinity");

    report_tsc_calibration();
    measure_null_syscall(counts.standard);
    measure_pipe_round_trip("ipc_round_trip_same_cpu", counts.standard, cpus.first, cpus.first);
    if (cpus.second >= 0)
        measure_pipe_round_trip("ipc_round_trip_cross_cpu", counts.standard, cpus.first, cpus.second);
    measure_yield_round_trip(counts.standard, cpus.first);
    measure_anonymous_first_touch(counts.standard);
    measure_thread_create_join(counts.thread_create_join);
    measure_process_spawn(counts.process_spawn, self_path);

    std::printf("[BENCH] done\n");
    power_off_or_exit(0);
}
