// The null system call benchmark: times round trips of the cheapest call (a number the
// kernel does not define, answered with -NotSupported) with the time-stamp counter, which
// counts guest instructions under `./raeen bench` (-icount 0). Exits with the fastest round
// trip in bits 0-31 and the median in bits 32-63; the kernel benchmark
// syscalls.null_call_round_trip reports them.
//
// Argument: how many round trips (at most 4096).

#include <Userland/Runtime/System.h>

namespace {

constexpr uint64_t maximum_samples = 4096;
uint64_t s_samples[maximum_samples];

// rdtsc is allowed in user mode (CR4.TSD is clear); it returns the counter in EDX:EAX.
inline uint64_t read_time_stamp_counter()
{
    uint32_t low;
    uint32_t high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (static_cast<uint64_t>(high) << 32) | low;
}

} // namespace

extern "C" int64_t main(uint64_t argument, uint64_t)
{
    uint64_t count = argument < maximum_samples ? argument : maximum_samples;
    if (count == 0)
        return 0;
    for (uint64_t index = 0; index < count; ++index) {
        uint64_t before = read_time_stamp_counter();
        (void)System::system_call(static_cast<ABI::Syscall>(0xFFFF));
        s_samples[index] = read_time_stamp_counter() - before;
    }
    // Insertion sort: a few thousand samples, once.
    for (uint64_t index = 1; index < count; ++index) {
        uint64_t value = s_samples[index];
        uint64_t position = index;
        while (position > 0 && s_samples[position - 1] > value) {
            s_samples[position] = s_samples[position - 1];
            --position;
        }
        s_samples[position] = value;
    }
    uint64_t fastest = s_samples[0] & 0xFFFFFFFF;
    uint64_t median = s_samples[(count - 1) / 2] & 0x7FFFFFFF;
    return static_cast<int64_t>((median << 32) | fastest);
}
