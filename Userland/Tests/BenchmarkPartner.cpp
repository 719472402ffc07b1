// The partner of the process benchmarks (LifecycleBenchmark.cpp, which carries this image):
// the program a spawn starts and waits for, and the other side of the yield ping-pong.
//
// Argument: 0, exit at once (the spawn benchmark's child); 1, run on CPU 0 and yield for
// ever (the yield benchmark's partner, which the benchmark kills when it is done).

#include <Userland/Runtime/System.h>

extern "C" int64_t main(uint64_t mode, uint64_t)
{
    if (mode == 0)
        return 0;
    if (System::thread_set_affinity(1) != 0)
        return 1;
    for (;;)
        (void)System::thread_yield();
}
