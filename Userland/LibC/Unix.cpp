// The POSIX calls of unistd.h, fcntl.h, termios.h, dirent.h, sys/stat.h and time.h, on the
// descriptors (Descriptors.cpp), the RAM disk (Ramdisk.cpp) and the kernel's clocks.

#include <Userland/LibC/Descriptors.h>
#include <Userland/LibC/Ramdisk.h>
#include <Userland/LibC/Strings.h>
#include <Userland/LibC/include/dirent.h>
#include <Userland/LibC/include/errno.h>
#include <Userland/LibC/include/fcntl.h>
#include <Userland/LibC/include/stdlib.h>
#include <Userland/LibC/include/sys/stat.h>
#include <Userland/LibC/include/termios.h>
#include <Userland/LibC/include/time.h>
#include <Userland/LibC/include/unistd.h>
#include <Userland/Runtime/System.h>

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

void collect(const char* name, const LibC::RamdiskNode& node, void* context)
{
    auto* listing = static_cast<DirectoryListing*>(context);
    if (listing->count == listing->capacity) {
        size_t capacity = listing->capacity ? listing->capacity * 2 : 16;
        auto* grown
            = static_cast<struct dirent*>(realloc(listing->entries, capacity * sizeof(struct dirent)));
        if (!grown)
            return;
        listing->entries = grown;
        listing->capacity = capacity;
    }
    struct dirent& entry = listing->entries[listing->count++];
    entry.d_type = node.is_directory ? DT_DIR : DT_REG;
    size_t length = LibC::strlen(name);
    if (length >= sizeof(entry.d_name))
        length = sizeof(entry.d_name) - 1;
    LibC::memcpy(entry.d_name, name, length);
    entry.d_name[length] = 0;
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
    return checked(LibC::descriptor_open(path, flags));
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
    int listed = LibC::ramdisk_list(path, collect, &directory->listing);
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
    LibC::RamdiskNode node;
    int found = LibC::ramdisk_lookup(path, node);
    if (found < 0)
        return checked(found);
    status->st_mode = (node.is_directory ? S_IFDIR : S_IFREG) | (node.mode & 07777);
    status->st_size = static_cast<off_t>(node.size);
    return 0;
}

// The RAM disk is read-only; a path that exists already is EEXIST, as POSIX orders it.
int mkdir(const char* path, mode_t)
{
    LibC::RamdiskNode node;
    return checked(LibC::ramdisk_lookup(path, node) == 0 ? -EEXIST : -EROFS);
}

int rmdir(const char* path)
{
    LibC::RamdiskNode node;
    int found = LibC::ramdisk_lookup(path, node);
    if (found < 0)
        return checked(found);
    return checked(node.is_directory ? -EROFS : -ENOTDIR);
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
