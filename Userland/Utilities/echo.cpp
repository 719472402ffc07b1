// echo [-n] [WORD...]: the words, separated by spaces, and a newline (none with -n).

#include <stdio.h>
#include <string.h>

int main(int argument_count, char** arguments)
{
    int first = 1;
    bool newline = true;
    if (argument_count > 1 && strcmp(arguments[1], "-n") == 0) {
        newline = false;
        first = 2;
    }
    for (int index = first; index < argument_count; ++index) {
        if (index > first)
            putchar(' ');
        fputs(arguments[index], stdout);
    }
    if (newline)
        putchar('\n');
    return ferror(stdout) ? 1 : 0;
}
