// chmod MODE FILE...: sets each file's permissions (a symbolic link's target's, as
// chmod(2) follows links). MODE is octal (755, 0644, 1777) or symbolic as GNU chmod takes it:
// clauses separated by commas, each [ugoa]*([-+=]([rwxXst]*|[ugo]))+ ("u+x", "go-w",
// "a=r,u+w", "+x"). A clause without u, g, o or a leaves the umask's bits alone for + and -,
// as POSIX says; X is x for directories and files already executable by someone. Status 0,
// or 1 for an invalid MODE or if any file's mode could not be set.

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr mode_t user_bits = 04700;
constexpr mode_t group_bits = 02070;
constexpr mode_t other_bits = 01007;
constexpr mode_t all_bits = 07777;

bool is_octal(const char* text)
{
    if (!*text)
        return false;
    for (; *text; ++text) {
        if (*text < '0' || *text > '7')
            return false;
    }
    return true;
}

// The mode that symbolic `text` makes of `mode` (a file's current one); false if `text` is
// not a symbolic mode.
bool apply_symbolic(const char* text, mode_t mode, bool is_directory, mode_t umask_bits, mode_t& result)
{
    const char* position = text;
    for (;;) {
        mode_t who = 0;
        for (; *position == 'u' || *position == 'g' || *position == 'o' || *position == 'a'; ++position)
            who |= *position == 'u' ? user_bits
                : *position == 'g'  ? group_bits
                : *position == 'o'  ? other_bits
                                    : all_bits;
        bool who_given = who != 0;
        if (!who_given)
            who = all_bits;
        if (*position != '+' && *position != '-' && *position != '=')
            return false;
        while (*position == '+' || *position == '-' || *position == '=') {
            char operation = *position++;
            mode_t permissions = 0;
            if (*position == 'u' || *position == 'g' || *position == 'o') {
                // Copies another class's bits: "g=u".
                int shift = *position == 'u' ? 6 : *position == 'g' ? 3 : 0;
                mode_t bits = (mode >> shift) & 07;
                permissions = (bits << 6) | (bits << 3) | bits;
                ++position;
            } else {
                for (; *position && strchr("rwxXst", *position); ++position) {
                    switch (*position) {
                    case 'r':
                        permissions |= 0444;
                        break;
                    case 'w':
                        permissions |= 0222;
                        break;
                    case 'x':
                        permissions |= 0111;
                        break;
                    case 'X':
                        if (is_directory || (mode & 0111))
                            permissions |= 0111;
                        break;
                    case 's':
                        permissions |= 06000;
                        break;
                    case 't':
                        permissions |= 01000;
                        break;
                    }
                }
            }
            mode_t affected = permissions & who;
            if (!who_given)
                affected &= ~umask_bits;
            if (operation == '+') {
                mode |= affected;
            } else if (operation == '-') {
                mode &= ~affected;
            } else {
                mode_t cleared = who;
                // A directory's set-id bits stay unless named, as GNU chmod keeps them.
                if (is_directory)
                    cleared &= ~(06000 & ~permissions);
                mode = (mode & ~cleared) | affected;
            }
        }
        if (*position == 0) {
            result = mode;
            return true;
        }
        if (*position != ',')
            return false;
        ++position;
    }
}

} // namespace

int main(int argument_count, char** arguments)
{
    if (argument_count < 3) {
        fprintf(stderr, "usage: chmod MODE FILE...\n");
        return 2;
    }
    const char* mode_text = arguments[1];
    bool octal = is_octal(mode_text);
    mode_t octal_mode = 0;
    if (octal) {
        for (const char* digit = mode_text; *digit && octal_mode <= all_bits; ++digit)
            octal_mode = octal_mode * 8 + static_cast<mode_t>(*digit - '0');
        if (octal_mode > all_bits) {
            fprintf(stderr, "chmod: invalid mode: '%s'\n", mode_text);
            return 1;
        }
    } else {
        mode_t unused = 0;
        if (!apply_symbolic(mode_text, 0, false, 0, unused)) {
            fprintf(stderr, "chmod: invalid mode: '%s'\n", mode_text);
            return 1;
        }
    }
    mode_t umask_bits = umask(0);
    umask(umask_bits);
    int status = 0;
    for (int index = 2; index < argument_count; ++index) {
        const char* path = arguments[index];
        mode_t mode = octal_mode;
        if (!octal) {
            struct stat current { };
            if (stat(path, &current) != 0) {
                fprintf(stderr, "chmod: cannot access '%s': %s\n", path, strerror(errno));
                status = 1;
                continue;
            }
            (void)apply_symbolic(
                mode_text, current.st_mode & all_bits, S_ISDIR(current.st_mode), umask_bits, mode);
        }
        if (chmod(path, mode) != 0) {
            fprintf(stderr, "chmod: changing permissions of '%s': %s\n", path, strerror(errno));
            status = 1;
        }
    }
    return status;
}
