#pragma once

// The time-stamp counter for user programs that time things (benchmarks leave their samples
// with Userland/Runtime/BenchmarkSamples.h).

#include <stdint.h>

namespace TimeStampCounter {

// rdtsc is allowed in user mode (CR4.TSD is clear); it returns the counter in EDX:EAX.
inline uint64_t read()
{
    uint32_t low;
    uint32_t high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (static_cast<uint64_t>(high) << 32) | low;
}

} // namespace TimeStampCounter
