// The POSIX calls of unistd.h, fcntl.h, termios.h, dirent.h, sys/stat.h and time.h, on the
// descriptors (Descriptors.cpp), the file systems (Files.cpp), the RAM disk (Ramdisk.cpp)
// and the kernel's clocks.

#include <Userland/LibC/Descriptors.h>
#include <Userland/LibC/Files.h>
#include <Userland/LibC/Ramdisk.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/dirent.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/fcntl.h>
#include <Userland/LibC/include/raeen/mount.h>
#include <Userland/LibC/include/stdio.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/LibC/include/string.h>
#include <Userland/LibC/include/sys/stat.h>
#include <Userland/LibC/include/sys/statvfs.h>
#include <Userland/LibC/include/sys/time.h>
#include <Userland/LibC/include/termios.h>
#include <Userland/LibC/include/time.h>
#include <Userland/LibC/include/unistd.h>
#include <Userland/Runtime/System.h>
#include <stdarg.h>

namespace {

// A negative result is an errno value: set errno, return -1.
template<typename T> T checked(T result)
{
    if (result < 0) {
        errno = static_cast<int>(-result);
        return -1;
    }
    return result;
}

// Sleeps until the monotonic clock reads `deadline`: a futex wait on a word nobody wakes.
void sleep_until(uint64_t deadline)
{
    uint32_t never_woken = 0;
    while (System::clock_monotonic() < deadline)
        (void)System::futex_wait(&never_woken, 0, deadline);
}

// Days since 1970-01-01 to a proleptic Gregorian date (the inverse of the usual
// days-from-civil count, by 400-year eras of 146,097 days).
void civil_from_days(int64_t days, int& year, int& month, int& day)
{
    days += 719468; // from 0000-03-01
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t shifted_month = (5 * day_of_year + 2) / 153; // March is 0
    day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
    month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
    year = static_cast<int>(year_of_era + era * 400 + (month <= 2 ? 1 : 0));
}

bool is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

struct DirectoryListing {
    struct dirent* entries;
    size_t count;
    size_t capacity;
};

// Appends an entry to the listing; an entry that finds no memory is left out.
void append_entry(DirectoryListing& listing, const char* name, size_t name_length, unsigned char type)
{
    if (listing.count == listing.capacity) {
        size_t capacity = listing.capacity ? listing.capacity * 2 : 16;
        auto* grown = static_cast<struct dirent*>(realloc(listing.entries, capacity * sizeof(struct dirent)));
        if (!grown)
            return;
        listing.entries = grown;
        listing.capacity = capacity;
    }
    struct dirent& entry = listing.entries[listing.count++];
    entry.d_type = type;
    if (name_length >= sizeof(entry.d_name))
        name_length = sizeof(entry.d_name) - 1;
    LibC::memcpy(entry.d_name, name, name_length);
    entry.d_name[name_length] = 0;
}

// A RAM disk entry (a program without a namespace).
void collect(const char* name, const LibC::RamdiskNode& node, void* context)
{
    append_entry(*static_cast<DirectoryListing*>(context), name, LibC::strlen(name),
        node.is_directory ? DT_DIR : DT_REG);
}

// An entry a file system service listed.
void collect_entry(void* context, const char* name, size_t name_length, uint8_t type)
{
    append_entry(*static_cast<DirectoryListing*>(context), name, name_length,
        type == static_cast<uint8_t>(FileSystem::NodeType::Directory)     ? DT_DIR
            : type == static_cast<uint8_t>(FileSystem::NodeType::Symlink) ? DT_LNK
                                                                          : DT_REG);
}

void fill_status(const FileSystem::Attributes& attributes, struct stat& status)
{
    status = {};
    mode_t type = attributes.type == static_cast<uint8_t>(FileSystem::NodeType::Directory) ? S_IFDIR
        : attributes.type == static_cast<uint8_t>(FileSystem::NodeType::Symlink)           ? S_IFLNK
                                                                                           : S_IFREG;
    status.st_mode = type | (attributes.mode & 07777);
    status.st_size = static_cast<off_t>(attributes.size);
    status.st_dev = attributes.device;
    status.st_ino = attributes.node;
    status.st_nlink = attributes.links;
    status.st_uid = attributes.user_id;
    status.st_gid = attributes.group_id;
    status.st_blksize = attributes.block_size;
    status.st_blocks = static_cast<blkcnt_t>(attributes.blocks);
    status.st_atime = attributes.access_time;
    status.st_mtime = attributes.modification_time;
    status.st_ctime = attributes.change_time;
}

} // namespace

struct raeen_directory {
    DirectoryListing listing;
    size_t next;
};

extern "C" {

ssize_t read(int descriptor, void* buffer, size_t count)
{
    return checked(LibC::descriptor_read(descriptor, buffer, count));
}

ssize_t write(int descriptor, const void* bytes, size_t count)
{
    return checked(LibC::descriptor_write(descriptor, bytes, count));
}

int close(int descriptor)
{
    return checked(LibC::descriptor_close(descriptor));
}

int dup(int descriptor)
{
    return checked(LibC::descriptor_duplicate(descriptor, 0));
}

int dup2(int descriptor, int target)
{
    return checked(LibC::descriptor_duplicate_to(descriptor, target));
}

int pipe(int descriptors[2])
{
    return checked(LibC::descriptor_pipe(descriptors));
}

off_t lseek(int descriptor, off_t offset, int whence)
{
    return checked(LibC::descriptor_seek(descriptor, offset, whence));
}

int isatty(int descriptor)
{
    if (LibC::descriptor_is_terminal(descriptor))
        return 1;
    errno = ENOTTY;
    return 0;
}

int open(const char* path, int flags, ...)
{
    // The mode is there only when a file may be made.
    uint32_t mode = 0;
    if (flags & O_CREAT) {
        va_list arguments;
        va_start(arguments, flags);
        mode = static_cast<uint32_t>(va_arg(arguments, int));
        va_end(arguments);
    }
    return checked(LibC::descriptor_open(path, flags, mode & ~LibC::file_mode_mask()));
}

int creat(const char* path, mode_t mode)
{
    return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

char* getcwd(char* buffer, size_t size)
{
    const char* directory = LibC::working_directory();
    size_t length = LibC::strlen(directory);
    if (!buffer || size <= length) {
        errno = buffer ? ERANGE : EINVAL;
        return nullptr;
    }
    LibC::memcpy(buffer, directory, length + 1);
    return buffer;
}

int chdir(const char* path)
{
    return checked(LibC::change_working_directory(path));
}

int nanosleep(const struct timespec* duration, struct timespec* remaining)
{
    if (!duration || duration->tv_sec < 0 || duration->tv_nsec < 0 || duration->tv_nsec >= 1000000000) {
        errno = EINVAL;
        return -1;
    }
    sleep_until(System::clock_monotonic() + static_cast<uint64_t>(duration->tv_sec) * 1000000000ull
        + static_cast<uint64_t>(duration->tv_nsec));
    if (remaining)
        *remaining = { 0, 0 };
    return 0;
}

unsigned sleep(unsigned seconds)
{
    sleep_until(System::clock_monotonic() + seconds * 1000000000ull);
    return 0;
}

int usleep(useconds_t microseconds)
{
    sleep_until(System::clock_monotonic() + microseconds * 1000ull);
    return 0;
}

void _exit(int status)
{
    System::process_exit(status);
}

int tcgetattr(int descriptor, struct termios* modes)
{
    uint32_t flags = 0;
    int result = LibC::terminal_flags(descriptor, flags);
    if (result < 0)
        return checked(result);
    LibC::memset(modes, 0, sizeof(*modes));
    modes->c_lflag = ((flags & LibC::terminal_canonical) ? ICANON : 0u)
        | ((flags & LibC::terminal_echo) ? ECHO : 0u) | ((flags & LibC::terminal_signals) ? ISIG : 0u);
    return 0;
}

int tcsetattr(int descriptor, int, const struct termios* modes)
{
    uint32_t flags = ((modes->c_lflag & ICANON) ? LibC::terminal_canonical : 0u)
        | ((modes->c_lflag & ECHO) ? LibC::terminal_echo : 0u)
        | ((modes->c_lflag & ISIG) ? LibC::terminal_signals : 0u);
    return checked(LibC::set_terminal_flags(descriptor, flags));
}

DIR* opendir(const char* path)
{
    auto* directory = static_cast<DIR*>(calloc(1, sizeof(DIR)));
    if (!directory) {
        errno = ENOMEM;
        return nullptr;
    }
    int listed = 0;
    if (LibC::files_available()) {
        // The whole listing is read at once, so that a program that removes entries while it
        // reads (rm -r) sees each entry exactly once.
        FileSystem::Attributes attributes;
        uint32_t file = 0;
        listed = LibC::path_open(
            path, FileSystem::OpenFlag::read | FileSystem::OpenFlag::directory, 0, file, attributes);
        if (listed == 0) {
            uint64_t position = 0;
            for (;;) {
                int64_t next = LibC::file_read_directory(file, position, collect_entry, &directory->listing);
                if (next <= 0) {
                    listed = static_cast<int>(next);
                    break;
                }
                position = static_cast<uint64_t>(next);
            }
            (void)System::handle_close(file);
        }
    } else {
        listed = LibC::ramdisk_list(path, collect, &directory->listing);
    }
    if (listed < 0) {
        free(directory->listing.entries);
        free(directory);
        errno = -listed;
        return nullptr;
    }
    return directory;
}

struct dirent* readdir(DIR* directory)
{
    if (directory->next >= directory->listing.count)
        return nullptr;
    return &directory->listing.entries[directory->next++];
}

int closedir(DIR* directory)
{
    free(directory->listing.entries);
    free(directory);
    return 0;
}

int stat(const char* path, struct stat* status)
{
    if (LibC::files_available()) {
        FileSystem::Attributes attributes;
        int result = LibC::path_stat(path, true, attributes);
        if (result < 0)
            return checked(result);
        fill_status(attributes, *status);
        return 0;
    }
    LibC::RamdiskNode node;
    int found = LibC::ramdisk_lookup(path, node);
    if (found < 0)
        return checked(found);
    *status = {};
    status->st_mode = (node.is_directory ? S_IFDIR : S_IFREG) | (node.mode & 07777);
    status->st_size = static_cast<off_t>(node.size);
    status->st_nlink = 1;
    return 0;
}

int lstat(const char* path, struct stat* status)
{
    if (!LibC::files_available())
        return stat(path, status);
    FileSystem::Attributes attributes;
    int result = LibC::path_stat(path, false, attributes);
    if (result < 0)
        return checked(result);
    fill_status(attributes, *status);
    return 0;
}

int fstat(int descriptor, struct stat* status)
{
    uint32_t file = 0;
    int result = LibC::descriptor_file(descriptor, file);
    if (result < 0) {
        if (result == -EBADF)
            return checked(result);
        // A stream or the null device: a character device with nothing more to say.
        *status = {};
        status->st_mode = S_IFCHR | 0600;
        return 0;
    }
    FileSystem::Attributes attributes;
    result = LibC::file_attributes(file, attributes);
    if (result < 0)
        return checked(result);
    fill_status(attributes, *status);
    return 0;
}

// The RAM disk alone is read-only; a path that exists already is EEXIST, as POSIX orders it.
int mkdir(const char* path, mode_t mode)
{
    if (LibC::files_available())
        return checked(LibC::path_make_directory(path, mode & 07777 & ~LibC::file_mode_mask()));
    LibC::RamdiskNode node;
    return checked(LibC::ramdisk_lookup(path, node) == 0 ? -EEXIST : -EROFS);
}

int rmdir(const char* path)
{
    if (LibC::files_available())
        return checked(LibC::path_remove(path, true));
    LibC::RamdiskNode node;
    int found = LibC::ramdisk_lookup(path, node);
    if (found < 0)
        return checked(found);
    return checked(node.is_directory ? -EROFS : -ENOTDIR);
}

int chmod(const char* path, mode_t mode)
{
    return checked(LibC::files_available() ? LibC::path_set_mode(path, mode & 07777) : -EROFS);
}

mode_t umask(mode_t mask)
{
    return LibC::set_file_mode_mask(mask & 0777);
}

int utimes(const char* path, const struct timeval times[2])
{
    if (!LibC::files_available())
        return checked(-EROFS);
    int64_t now = static_cast<int64_t>(System::clock_wall());
    return checked(LibC::path_set_times(path, times ? times[0].tv_sec : now, times ? times[1].tv_sec : now));
}

int symlink(const char* target, const char* link)
{
    return checked(LibC::files_available() ? LibC::path_symlink(target, link) : -EROFS);
}

ssize_t readlink(const char* path, char* buffer, size_t capacity)
{
    if (!LibC::files_available()) {
        LibC::RamdiskNode node;
        int found = LibC::ramdisk_lookup(path, node);
        return checked(found < 0 ? found : -EINVAL);
    }
    return checked(LibC::path_read_link(path, buffer, capacity));
}

int truncate(const char* path, off_t size)
{
    if (size < 0)
        return checked(-EINVAL);
    return checked(LibC::files_available() ? LibC::path_truncate(path, static_cast<uint64_t>(size)) : -EROFS);
}

int ftruncate(int descriptor, off_t size)
{
    uint32_t file = 0;
    int result = LibC::descriptor_file(descriptor, file);
    if (result < 0)
        return checked(result == -ESPIPE ? -EINVAL : result);
    if (size < 0)
        return checked(-EINVAL);
    return checked(LibC::file_truncate(file, static_cast<uint64_t>(size)));
}

int fsync(int descriptor)
{
    uint32_t file = 0;
    int result = LibC::descriptor_file(descriptor, file);
    if (result < 0)
        return checked(result == -ESPIPE ? -EINVAL : result);
    return checked(LibC::file_sync(file));
}

int fdatasync(int descriptor)
{
    return fsync(descriptor);
}

void sync(void)
{
    if (LibC::files_available())
        (void)LibC::file_systems_sync();
}

ssize_t pread(int descriptor, void* buffer, size_t count, off_t offset)
{
    uint32_t file = 0;
    int result = LibC::descriptor_file(descriptor, file);
    if (result < 0)
        return checked(result);
    if (offset < 0)
        return checked(-EINVAL);
    return checked(LibC::file_read_at(file, buffer, count, static_cast<uint64_t>(offset)));
}

ssize_t pwrite(int descriptor, const void* bytes, size_t count, off_t offset)
{
    uint32_t file = 0;
    int result = LibC::descriptor_file(descriptor, file);
    if (result < 0)
        return checked(result);
    if (offset < 0)
        return checked(-EINVAL);
    return checked(LibC::file_write_at(file, bytes, count, static_cast<uint64_t>(offset)));
}

int access(const char* path, int)
{
    // Every program may do everything (there are no users yet): a file that exists is
    // accessible.
    struct stat status;
    return stat(path, &status);
}

int statvfs(const char* path, struct statvfs* result)
{
    if (!LibC::files_available())
        return checked(-ENOSYS);
    struct stat status;
    if (stat(path, &status) != 0)
        return -1;
    FileSystem::MountRecord records[FileSystem::maximum_mounts];
    int count = LibC::list_mounts(records, FileSystem::maximum_mounts);
    if (count < 0)
        return checked(count);
    for (int index = 0; index < count; ++index) {
        if (records[index].device != status.st_dev)
            continue;
        const FileSystem::Statistics& statistics = records[index].statistics;
        *result = {};
        result->f_bsize = statistics.block_size;
        result->f_frsize = statistics.block_size;
        result->f_blocks = statistics.total_blocks;
        result->f_bfree = statistics.free_blocks;
        result->f_bavail = statistics.free_blocks;
        result->f_files = statistics.total_nodes;
        result->f_ffree = statistics.free_nodes;
        result->f_favail = statistics.free_nodes;
        result->f_fsid = records[index].device;
        result->f_flag = (records[index].flags & FileSystem::MountFlag::read_only) || statistics.read_only
            ? ST_RDONLY
            : 0;
        result->f_namemax = statistics.maximum_name;
        return 0;
    }
    return checked(-ENOENT);
}

time_t time(time_t* result)
{
    auto now = static_cast<time_t>(System::clock_wall());
    if (result)
        *result = now;
    return now;
}

int clock_gettime(clockid_t clock, struct timespec* time)
{
    if (clock == CLOCK_MONOTONIC) {
        uint64_t now = System::clock_monotonic();
        *time = { static_cast<time_t>(now / 1000000000ull), static_cast<long>(now % 1000000000ull) };
        return 0;
    }
    if (clock == CLOCK_REALTIME) {
        *time = { static_cast<time_t>(System::clock_wall()), 0 };
        return 0;
    }
    errno = EINVAL;
    return -1;
}

struct tm* gmtime_r(const time_t* time, struct tm* result)
{
    int64_t seconds = *time;
    int64_t days = seconds / 86400;
    int64_t second_of_day = seconds % 86400;
    if (second_of_day < 0) {
        second_of_day += 86400;
        --days;
    }
    int year = 0;
    int month = 0;
    int day = 0;
    civil_from_days(days, year, month, day);
    static constexpr int days_before_month[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    result->tm_sec = static_cast<int>(second_of_day % 60);
    result->tm_min = static_cast<int>(second_of_day / 60 % 60);
    result->tm_hour = static_cast<int>(second_of_day / 3600);
    result->tm_mday = day;
    result->tm_mon = month - 1;
    result->tm_year = year - 1900;
    result->tm_wday = static_cast<int>(((days % 7) + 11) % 7); // 1970-01-01 was a Thursday
    result->tm_yday = days_before_month[month - 1] + day - 1 + (month > 2 && is_leap_year(year) ? 1 : 0);
    result->tm_isdst = 0;
    return result;
}

struct tm* gmtime(const time_t* time)
{
    static struct tm shared;
    return gmtime_r(time, &shared);
}

// RaeenOS keeps no time zones yet: local time is UTC.
struct tm* localtime_r(const time_t* time, struct tm* result)
{
    return gmtime_r(time, result);
}

struct tm* localtime(const time_t* time)
{
    return gmtime(time);
}

// The Unix time of a UTC calendar time; fields out of range are carried into the next
// (a tm_mday of 32 is the first of the next month), as mktime normalises them.
time_t timegm(struct tm* calendar)
{
    int64_t year = calendar->tm_year + 1900LL;
    int64_t month = calendar->tm_mon;
    year += month / 12;
    month %= 12;
    if (month < 0) {
        month += 12;
        --year;
    }
    // Days from 1970-01-01 to the first of the month (the days-from-civil count).
    int64_t shifted_year = month < 2 ? year - 1 : year;
    int64_t era = (shifted_year >= 0 ? shifted_year : shifted_year - 399) / 400;
    int64_t year_of_era = shifted_year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 1 ? -2 : 10)) + 2) / 5;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    int64_t days = era * 146097 + day_of_era - 719468 + (calendar->tm_mday - 1);
    time_t seconds = days * 86400 + calendar->tm_hour * 3600LL + calendar->tm_min * 60LL + calendar->tm_sec;
    (void)gmtime_r(&seconds, calendar);
    return seconds;
}

time_t mktime(struct tm* calendar)
{
    return timegm(calendar);
}

double difftime(time_t end, time_t start)
{
    return static_cast<double>(end - start);
}

clock_t clock(void)
{
    // The processor time of a program is not measured yet: the time since boot stands in,
    // which only ever overstates it.
    return static_cast<clock_t>(System::clock_monotonic() / (1000000000ull / CLOCKS_PER_SEC));
}

size_t strftime(char* buffer, size_t capacity, const char* format, const struct tm* calendar)
{
    static const char* const day_names[]
        = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" };
    static const char* const month_names[] = { "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December" };
    size_t length = 0;
    bool overflow = false;
    auto append = [&](const char* text, size_t count) {
        for (size_t index = 0; index < count; ++index) {
            if (length + 1 >= capacity) {
                overflow = true;
                return;
            }
            buffer[length++] = text[index];
        }
    };
    auto append_number = [&](long long value, int width, char pad) {
        char digits[24];
        int written = snprintf(digits, sizeof(digits), pad == '0' ? "%0*lld" : "%*lld", width, value);
        append(digits, static_cast<size_t>(written));
    };
    int weekday = calendar->tm_wday >= 0 && calendar->tm_wday < 7 ? calendar->tm_wday : 0;
    int month = calendar->tm_mon >= 0 && calendar->tm_mon < 12 ? calendar->tm_mon : 0;
    int hour12 = calendar->tm_hour % 12 == 0 ? 12 : calendar->tm_hour % 12;
    for (const char* position = format; *position && !overflow; ++position) {
        if (*position != '%' || position[1] == 0) {
            append(position, 1);
            continue;
        }
        char directive = *++position;
        char scratch[64];
        switch (directive) {
        case 'a':
            append(day_names[weekday], 3);
            break;
        case 'A':
            append(day_names[weekday], strlen(day_names[weekday]));
            break;
        case 'b':
        case 'h':
            append(month_names[month], 3);
            break;
        case 'B':
            append(month_names[month], strlen(month_names[month]));
            break;
        case 'c':
            snprintf(scratch, sizeof(scratch), "%.3s %.3s %2d %02d:%02d:%02d %d", day_names[weekday],
                month_names[month], calendar->tm_mday, calendar->tm_hour, calendar->tm_min, calendar->tm_sec,
                calendar->tm_year + 1900);
            append(scratch, strlen(scratch));
            break;
        case 'C':
            append_number((calendar->tm_year + 1900) / 100, 2, '0');
            break;
        case 'd':
            append_number(calendar->tm_mday, 2, '0');
            break;
        case 'D':
            snprintf(scratch, sizeof(scratch), "%02d/%02d/%02d", month + 1, calendar->tm_mday,
                (calendar->tm_year + 1900) % 100);
            append(scratch, strlen(scratch));
            break;
        case 'e':
            append_number(calendar->tm_mday, 2, ' ');
            break;
        case 'F':
            snprintf(scratch, sizeof(scratch), "%d-%02d-%02d", calendar->tm_year + 1900, month + 1,
                calendar->tm_mday);
            append(scratch, strlen(scratch));
            break;
        case 'H':
            append_number(calendar->tm_hour, 2, '0');
            break;
        case 'I':
            append_number(hour12, 2, '0');
            break;
        case 'j':
            append_number(calendar->tm_yday + 1, 3, '0');
            break;
        case 'm':
            append_number(month + 1, 2, '0');
            break;
        case 'M':
            append_number(calendar->tm_min, 2, '0');
            break;
        case 'n':
            append("\n", 1);
            break;
        case 'p':
            append(calendar->tm_hour < 12 ? "AM" : "PM", 2);
            break;
        case 'R':
            snprintf(scratch, sizeof(scratch), "%02d:%02d", calendar->tm_hour, calendar->tm_min);
            append(scratch, strlen(scratch));
            break;
        case 's': {
            struct tm copy = *calendar;
            append_number(static_cast<long long>(timegm(&copy)), 1, ' ');
            break;
        }
        case 'S':
            append_number(calendar->tm_sec, 2, '0');
            break;
        case 't':
            append("\t", 1);
            break;
        case 'T':
        case 'X':
            snprintf(scratch, sizeof(scratch), "%02d:%02d:%02d", calendar->tm_hour, calendar->tm_min,
                calendar->tm_sec);
            append(scratch, strlen(scratch));
            break;
        case 'u':
            append_number(weekday == 0 ? 7 : weekday, 1, ' ');
            break;
        case 'w':
            append_number(weekday, 1, ' ');
            break;
        case 'x':
            snprintf(scratch, sizeof(scratch), "%02d/%02d/%02d", month + 1, calendar->tm_mday,
                (calendar->tm_year + 1900) % 100);
            append(scratch, strlen(scratch));
            break;
        case 'y':
            append_number((calendar->tm_year + 1900) % 100, 2, '0');
            break;
        case 'Y':
            append_number(calendar->tm_year + 1900LL, 1, ' ');
            break;
        case 'z':
            append("+0000", 5);
            break;
        case 'Z':
            append("UTC", 3);
            break;
        case '%':
            append("%", 1);
            break;
        default:
            // Not a known directive: kept as it is written.
            append(position - 1, 2);
            break;
        }
    }
    if (overflow || capacity == 0)
        return 0;
    buffer[length] = 0;
    return length;
}

// ---- getopt (POSIX), with the usual ':' for arguments and a leading ':' in `options` ----

char* optarg;
int optind = 1;
int opterr = 1;
int optopt;

int getopt(int argument_count, char* const arguments[], const char* options)
{
    // Where in the current argument the next option letter is (for grouped "-ab").
    static int letter_position = 1;
    if (optind >= argument_count || !arguments[optind] || arguments[optind][0] != '-'
        || arguments[optind][1] == 0)
        return -1;
    if (LibC::strcmp(arguments[optind], "--") == 0) {
        ++optind;
        return -1;
    }
    char letter = arguments[optind][letter_position];
    const char* found = letter != ':' ? LibC::strchr(options, letter) : nullptr;
    bool quiet = options[0] == ':';
    auto advance = [&] {
        if (arguments[optind][++letter_position] == 0) {
            ++optind;
            letter_position = 1;
        }
    };
    if (!found) {
        optopt = letter;
        advance();
        if (opterr && !quiet) {
            char message[] = "unknown option -?\n";
            message[16] = letter;
            (void)write(2, message, sizeof(message) - 1);
        }
        return '?';
    }
    if (found[1] != ':') {
        advance();
        return letter;
    }
    // The option takes an argument: the rest of this word, or the next word.
    if (arguments[optind][letter_position + 1] != 0) {
        optarg = &arguments[optind][letter_position + 1];
        ++optind;
    } else if (optind + 1 < argument_count) {
        optarg = arguments[optind + 1];
        optind += 2;
    } else {
        optopt = letter;
        ++optind;
        letter_position = 1;
        if (opterr && !quiet) {
            char message[] = "option -? needs an argument\n";
            message[8] = letter;
            (void)write(2, message, sizeof(message) - 1);
        }
        return quiet ? ':' : '?';
    }
    letter_position = 1;
    return letter;
}

} // extern "C"

extern "C" {

int raeen_mount(const char* source, const char* target, const char* type, unsigned flags)
{
    if (!LibC::files_available())
        return checked(-ENOSYS);
    return checked(LibC::path_mount(source, target, type ? type : "",
        (flags & RAEEN_MOUNT_READ_ONLY) ? FileSystem::MountFlag::read_only : 0u));
}

int raeen_umount(const char* target)
{
    if (!LibC::files_available())
        return checked(-ENOSYS);
    return checked(LibC::path_unmount(target));
}

int raeen_mounts(struct raeen_mount_entry* entries, int capacity)
{
    static FileSystem::MountRecord records[FileSystem::maximum_mounts];
    int count = LibC::list_mounts(records, FileSystem::maximum_mounts);
    if (count < 0)
        return checked(count);
    for (int index = 0; index < count && index < capacity; ++index) {
        raeen_mount_entry& entry = entries[index];
        entry = {};
        LibC::memcpy(entry.mount_point, records[index].mount_point, sizeof(entry.mount_point));
        LibC::memcpy(entry.source, records[index].source, sizeof(entry.source));
        LibC::memcpy(entry.type, records[index].type, sizeof(entry.type));
        const FileSystem::Statistics& statistics = records[index].statistics;
        entry.total_blocks = statistics.total_blocks;
        entry.free_blocks = statistics.free_blocks;
        entry.total_files = statistics.total_nodes;
        entry.free_files = statistics.free_nodes;
        entry.block_size = statistics.block_size;
        entry.flags = ((records[index].flags & FileSystem::MountFlag::read_only) || statistics.read_only)
            ? RAEEN_MOUNT_READ_ONLY
            : 0u;
        entry.device = records[index].device;
    }
    return count;
}

int raeen_unshare(void)
{
    int64_t channel = LibC::clone_namespace();
    if (channel < 0)
        return checked(static_cast<int>(channel));
    LibC::set_namespace_channel(static_cast<uint32_t>(channel));
    return 0;
}

} // extern "C"
