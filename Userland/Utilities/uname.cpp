// uname [-a]: the system's name; with -a also its version and machine.

#include <stdio.h>
#include <string.h>

int main(int argument_count, char** arguments)
{
    if (argument_count > 1 && strcmp(arguments[1], "-a") == 0)
        printf("RaeenOS %s x86_64\n", RAEEN_VERSION);
    else
        printf("RaeenOS\n");
    return 0;
}
