// stat [-L] [-c FORMAT] FILE...: what the file system says of each file, in GNU stat's form:
// name (and a link's target), size, 512-byte blocks, I/O block, type, device, inode, links,
// permissions in octal and as ls shows them, owner, times. A symbolic link is described
// itself; -L describes what it points at. -c prints FORMAT instead, with GNU's directives
// (%n %N %s %b %B %o %f %F %a %A %i %h %d %D %u %U %g %G %x %y %z %w %X %Y %Z %W %%, each
// with an optional width and '-' or '0' flag) and a newline. Status 0, or 1 if any file could
// not be described.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

namespace {

bool s_follow;

const char* type_name(const struct stat& status)
{
    if (S_ISREG(status.st_mode))
        return status.st_size == 0 ? "regular empty file" : "regular file";
    if (S_ISDIR(status.st_mode))
        return "directory";
    if (S_ISLNK(status.st_mode))
        return "symbolic link";
    if (S_ISCHR(status.st_mode))
        return "character special file";
    return "unknown";
}

// The permissions as ls -l shows them: the type letter, then rwx three times (s, S, t, T
// for the set-id and sticky bits).
void permission_text(mode_t mode, char (&text)[11])
{
    text[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISCHR(mode) ? 'c' : '-';
    const char letters[] = "rwxrwxrwx";
    for (int bit = 0; bit < 9; ++bit)
        text[1 + bit] = (mode & (0400u >> bit)) ? letters[bit] : '-';
    auto special = [&](int position, mode_t flag, char set) {
        if (mode & flag)
            text[position] = text[position] == 'x' ? set : static_cast<char>(set - 'a' + 'A');
    };
    special(3, 04000, 's');
    special(6, 02000, 's');
    special(9, 01000, 't');
    text[10] = 0;
}

// No users or groups exist yet: 0 is root, as on Linux; any other id has no name.
const char* owner_name(uint32_t id)
{
    return id == 0 ? "root" : "UNKNOWN";
}

void time_text(time_t seconds, char* text, size_t capacity)
{
    struct tm calendar { };
    gmtime_r(&seconds, &calendar);
    char date[32];
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &calendar);
    // Times are kept in whole seconds.
    snprintf(text, capacity, "%s.000000000 +0000", date);
}

// The name, and for a link (not followed) its target: GNU's %N.
void quoted_name(const char* path, const struct stat& status, char* text, size_t capacity)
{
    if (!S_ISLNK(status.st_mode)) {
        snprintf(text, capacity, "%s", path);
        return;
    }
    char target[4097];
    ssize_t length = readlink(path, target, sizeof(target) - 1);
    if (length < 0)
        length = 0;
    target[length] = 0;
    snprintf(text, capacity, "%s -> %s", path, target);
}

// One directive's text, into `text`; false for a letter that is not a directive.
bool directive_text(char letter, const char* path, const struct stat& status, char* text, size_t capacity)
{
    char mode_text[11];
    switch (letter) {
    case 'n':
        snprintf(text, capacity, "%s", path);
        return true;
    case 'N':
        quoted_name(path, status, text, capacity);
        return true;
    case 's':
        snprintf(text, capacity, "%lld", static_cast<long long>(status.st_size));
        return true;
    case 'b':
        snprintf(text, capacity, "%lld", static_cast<long long>(status.st_blocks));
        return true;
    case 'B':
        snprintf(text, capacity, "512");
        return true;
    case 'o':
        snprintf(text, capacity, "%lld", static_cast<long long>(status.st_blksize));
        return true;
    case 'f':
        snprintf(text, capacity, "%x", static_cast<unsigned>(status.st_mode));
        return true;
    case 'F':
        snprintf(text, capacity, "%s", type_name(status));
        return true;
    case 'a':
        snprintf(text, capacity, "%o", static_cast<unsigned>(status.st_mode & 07777));
        return true;
    case 'A':
        permission_text(status.st_mode, mode_text);
        snprintf(text, capacity, "%s", mode_text);
        return true;
    case 'i':
        snprintf(text, capacity, "%llu", static_cast<unsigned long long>(status.st_ino));
        return true;
    case 'h':
        snprintf(text, capacity, "%llu", static_cast<unsigned long long>(status.st_nlink));
        return true;
    case 'd':
        snprintf(text, capacity, "%llu", static_cast<unsigned long long>(status.st_dev));
        return true;
    case 'D':
        snprintf(text, capacity, "%llx", static_cast<unsigned long long>(status.st_dev));
        return true;
    case 'u':
        snprintf(text, capacity, "%u", static_cast<unsigned>(status.st_uid));
        return true;
    case 'U':
        snprintf(text, capacity, "%s", owner_name(status.st_uid));
        return true;
    case 'g':
        snprintf(text, capacity, "%u", static_cast<unsigned>(status.st_gid));
        return true;
    case 'G':
        snprintf(text, capacity, "%s", owner_name(status.st_gid));
        return true;
    case 'x':
        time_text(status.st_atime, text, capacity);
        return true;
    case 'y':
        time_text(status.st_mtime, text, capacity);
        return true;
    case 'z':
        time_text(status.st_ctime, text, capacity);
        return true;
    case 'w':
        snprintf(text, capacity, "-"); // the birth time is not kept
        return true;
    case 'X':
        snprintf(text, capacity, "%lld", static_cast<long long>(status.st_atime));
        return true;
    case 'Y':
        snprintf(text, capacity, "%lld", static_cast<long long>(status.st_mtime));
        return true;
    case 'Z':
        snprintf(text, capacity, "%lld", static_cast<long long>(status.st_ctime));
        return true;
    case 'W':
        snprintf(text, capacity, "0");
        return true;
    default:
        return false;
    }
}

// FORMAT with its directives replaced, then a newline.
void print_format(const char* format, const char* path, const struct stat& status)
{
    static char text[8192];
    for (const char* position = format; *position; ++position) {
        if (*position != '%') {
            putchar(*position);
            continue;
        }
        const char* start = position++;
        bool left = false;
        bool zeros = false;
        for (; *position == '-' || *position == '0'; ++position) {
            if (*position == '-')
                left = true;
            else
                zeros = true;
        }
        int width = 0;
        for (; *position >= '0' && *position <= '9'; ++position)
            width = width * 10 + (*position - '0');
        if (*position == '%' && position == start + 1) {
            putchar('%');
            continue;
        }
        if (*position == 0 || !directive_text(*position, path, status, text, sizeof(text))) {
            // Not a directive: written as it stands, as GNU stat does.
            fwrite(start, 1, static_cast<size_t>(position - start) + (*position ? 1 : 0), stdout);
            if (*position == 0)
                break;
            continue;
        }
        int length = static_cast<int>(strlen(text));
        if (left)
            printf("%s%*s", text, width > length ? width - length : 0, "");
        else if (zeros && width > length && text[0] >= '0' && text[0] <= '9')
            printf("%0*d%s", width - length, 0, text);
        else
            printf("%*s", width, text);
    }
    putchar('\n');
}

void print_default(const char* path, const struct stat& status)
{
    char name[8192];
    quoted_name(path, status, name, sizeof(name));
    char mode_text[11];
    permission_text(status.st_mode, mode_text);
    char accessed[64];
    char modified[64];
    char changed[64];
    time_text(status.st_atime, accessed, sizeof(accessed));
    time_text(status.st_mtime, modified, sizeof(modified));
    time_text(status.st_ctime, changed, sizeof(changed));
    printf("  File: %s\n", name);
    printf("  Size: %-10lld\tBlocks: %-10lld IO Block: %-6lld %s\n", static_cast<long long>(status.st_size),
        static_cast<long long>(status.st_blocks), static_cast<long long>(status.st_blksize),
        type_name(status));
    printf("Device: %llxh/%llud\tInode: %-11llu Links: %llu\n",
        static_cast<unsigned long long>(status.st_dev), static_cast<unsigned long long>(status.st_dev),
        static_cast<unsigned long long>(status.st_ino), static_cast<unsigned long long>(status.st_nlink));
    printf("Access: (%04o/%s)  Uid: (%5u/%8s)   Gid: (%5u/%8s)\n",
        static_cast<unsigned>(status.st_mode & 07777), mode_text, static_cast<unsigned>(status.st_uid),
        owner_name(status.st_uid), static_cast<unsigned>(status.st_gid), owner_name(status.st_gid));
    printf("Access: %s\nModify: %s\nChange: %s\n Birth: -\n", accessed, modified, changed);
}

} // namespace

int main(int argument_count, char** arguments)
{
    const char* format = nullptr;
    int option;
    while ((option = getopt(argument_count, arguments, "Lc:")) != -1) {
        if (option == 'L')
            s_follow = true;
        else if (option == 'c')
            format = optarg;
        else
            return 2;
    }
    if (optind == argument_count) {
        fprintf(stderr, "usage: stat [-L] [-c FORMAT] FILE...\n");
        return 2;
    }
    int result = 0;
    for (int index = optind; index < argument_count; ++index) {
        const char* path = arguments[index];
        struct stat status { };
        if ((s_follow ? stat(path, &status) : lstat(path, &status)) != 0) {
            fprintf(stderr, "stat: cannot stat '%s': %s\n", path, strerror(errno));
            result = 1;
            continue;
        }
        if (format)
            print_format(format, path, status);
        else
            print_default(path, status);
    }
    return result;
}
