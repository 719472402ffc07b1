/* A C program against RaeenOS's C library, built with the SDK's toolchain file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char* greeting(void);

int main(int argument_count, char** arguments)
{
    char line[64];
    snprintf(line, sizeof(line), "%s from %s", greeting(), argument_count > 0 ? arguments[0] : "?");
    puts(line);
    return strlen(line) > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
