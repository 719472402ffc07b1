// crasher: faults as soon as it starts (a write through a null pointer), for testing init's
// supervision: its service is restarted with growing delays, then quarantined.

#include <stdio.h>

int main()
{
    // The write must happen: the pointer is read through a volatile, so the compiler cannot
    // see that it is null and leave the store out.
    int* volatile nowhere = nullptr;
    *nowhere = 1;
    printf("crasher: still running\n");
    return 0;
}
