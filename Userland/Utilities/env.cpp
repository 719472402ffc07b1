// env: the environment, one NAME=value a line.

#include <stdio.h>

extern "C" char** environ;

int main()
{
    for (char** entry = environ; entry && *entry; ++entry)
        printf("%s\n", *entry);
    return 0;
}
