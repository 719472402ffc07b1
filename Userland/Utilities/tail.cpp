// tail [-n COUNT] [FILE]: the last COUNT lines (10) of the file or standard input.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argument_count, char** arguments)
{
    long lines = 10;
    int option;
    while ((option = getopt(argument_count, arguments, "n:")) != -1) {
        if (option != 'n')
            return 2;
        char* end = nullptr;
        lines = strtol(optarg, &end, 10);
        if (*end != 0 || lines < 0 || lines > 100000) {
            fprintf(stderr, "tail: %s: not a line count\n", optarg);
            return 2;
        }
    }
    FILE* input = stdin;
    if (optind < argument_count) {
        input = fopen(arguments[optind], "r");
        if (!input) {
            fprintf(stderr, "tail: %s: %s\n", arguments[optind], strerror(errno));
            return 1;
        }
    }
    if (lines == 0)
        return 0;
    // The last `lines` lines, in a ring.
    auto** kept = static_cast<char**>(calloc(static_cast<size_t>(lines), sizeof(char*)));
    if (!kept)
        return 1;
    long seen = 0;
    char* line = nullptr;
    size_t capacity = 0;
    while (getline(&line, &capacity, input) >= 0) {
        long slot = seen % lines;
        free(kept[slot]);
        kept[slot] = strdup(line);
        ++seen;
    }
    long first = seen > lines ? seen - lines : 0;
    for (long index = first; index < seen; ++index) {
        if (kept[index % lines])
            fputs(kept[index % lines], stdout);
    }
    return 0;
}
