// head [-n COUNT] [FILE]: the first COUNT lines (10) of the file or standard input.

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
        if (*end != 0 || lines < 0) {
            fprintf(stderr, "head: %s: not a line count\n", optarg);
            return 2;
        }
    }
    FILE* input = stdin;
    if (optind < argument_count) {
        input = fopen(arguments[optind], "r");
        if (!input) {
            fprintf(stderr, "head: %s: %s\n", arguments[optind], strerror(errno));
            return 1;
        }
    }
    char* line = nullptr;
    size_t capacity = 0;
    for (long count = 0; count < lines && getline(&line, &capacity, input) >= 0; ++count)
        fputs(line, stdout);
    free(line);
    return 0;
}
