// grep [-i] [-v] [-n] [-c] PATTERN [FILE...]: the lines that contain PATTERN (a fixed
// string; -i ignores case, -v inverts, -n numbers, -c counts). Status 0 when a line was
// selected, 1 when none was, 2 on an error.

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

namespace {

bool s_ignore_case, s_invert, s_numbers, s_count_only;

bool contains(const char* line, const char* pattern)
{
    if (!s_ignore_case)
        return strstr(line, pattern) != nullptr;
    size_t length = strlen(pattern);
    for (const char* start = line; *start; ++start) {
        size_t index = 0;
        while (index < length && start[index]
            && tolower(static_cast<unsigned char>(start[index]))
                == tolower(static_cast<unsigned char>(pattern[index])))
            ++index;
        if (index == length)
            return true;
    }
    return length == 0;
}

long search(FILE* input, const char* pattern, const char* name)
{
    char* line = nullptr;
    size_t capacity = 0;
    long number = 0;
    long selected = 0;
    while (getline(&line, &capacity, input) >= 0) {
        ++number;
        if (contains(line, pattern) == s_invert)
            continue;
        ++selected;
        if (s_count_only)
            continue;
        if (name)
            printf("%s:", name);
        if (s_numbers)
            printf("%ld:", number);
        fputs(line, stdout);
        size_t length = strlen(line);
        if (length == 0 || line[length - 1] != '\n')
            putchar('\n');
    }
    free(line);
    if (s_count_only) {
        if (name)
            printf("%s:", name);
        printf("%ld\n", selected);
    }
    return selected;
}

} // namespace

int main(int argument_count, char** arguments)
{
    int option;
    while ((option = getopt(argument_count, arguments, "ivnc")) != -1) {
        switch (option) {
        case 'i':
            s_ignore_case = true;
            break;
        case 'v':
            s_invert = true;
            break;
        case 'n':
            s_numbers = true;
            break;
        case 'c':
            s_count_only = true;
            break;
        default:
            return 2;
        }
    }
    if (optind >= argument_count) {
        fprintf(stderr, "usage: grep [-ivnc] PATTERN [FILE...]\n");
        return 2;
    }
    const char* pattern = arguments[optind++];
    long selected = 0;
    bool failed = false;
    if (optind == argument_count) {
        selected = search(stdin, pattern, nullptr);
    } else {
        bool names = argument_count - optind > 1;
        for (int index = optind; index < argument_count; ++index) {
            FILE* input = fopen(arguments[index], "r");
            if (!input) {
                fprintf(stderr, "grep: %s: %s\n", arguments[index], strerror(errno));
                failed = true;
                continue;
            }
            selected += search(input, pattern, names ? arguments[index] : nullptr);
            fclose(input);
        }
    }
    if (failed)
        return 2;
    return selected > 0 ? 0 : 1;
}
