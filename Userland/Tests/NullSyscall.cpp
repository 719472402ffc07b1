// The null system call benchmark: times round trips of the cheapest call (a number the
// kernel does not define, answered with -NotSupported) with the time-stamp counter, which
// counts guest instructions under `./raeen bench` (-icount 0). Exits with the fastest round
// trip in bits 0-31 and the median in bits 32-62; the kernel benchmark
// syscalls.null_call_round_trip reports them.
//
// Argument: how many round trips (at most 4096).

#include <Userland/Runtime/System.h>
#include <Userland/Runtime/TimeStampCounter.h>

namespace {

constexpr uint64_t maximum_samples = 4096;
uint64_t s_samples[maximum_samples];

} // namespace

extern "C" int64_t main(uint64_t argument, uint64_t)
{
    uint64_t count = argument < maximum_samples ? argument : maximum_samples;
    if (count == 0)
        return 0;
    for (uint64_t index = 0; index < count; ++index) {
        uint64_t before = TimeStampCounter::read();
        (void)System::system_call(static_cast<ABI::Syscall>(0xFFFF));
        s_samples[index] = TimeStampCounter::read() - before;
    }
    return TimeStampCounter::fastest_and_median_status(s_samples, count);
}
