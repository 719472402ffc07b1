#pragma once

// The time-stamp counter for user programs that time things: reading it, and the exit status
// of a benchmark program, which carries the fastest and median of its samples to the kernel
// benchmark that started it (Kernel/Tasks/ProgramTestSupport.h unpacks it).

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

// Sorts the `count` (at least one) samples and returns the fastest in bits 0-31 and the
// median in bits 32-62: bit 63 stays clear, so the status is never taken for a negated
// error code.
inline int64_t fastest_and_median_status(uint64_t* samples, uint64_t count)
{
    // Insertion sort: a few thousand samples at most, once per run.
    for (uint64_t index = 1; index < count; ++index) {
        uint64_t value = samples[index];
        uint64_t position = index;
        while (position > 0 && samples[position - 1] > value) {
            samples[position] = samples[position - 1];
            --position;
        }
        samples[position] = value;
    }
    uint64_t fastest = samples[0] & 0xFFFFFFFF;
    uint64_t median = samples[(count - 1) / 2] & 0x7FFFFFFF;
    return static_cast<int64_t>((median << 32) | fastest);
}

} // namespace TimeStampCounter
