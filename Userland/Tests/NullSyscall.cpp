// The null system call benchmark: times round trips of the cheapest call (a number the
// kernel does not define, answered with -NotSupported) with the time-stamp counter, which
// counts guest instructions under `./raeen bench` (-icount 0). The samples go to the kernel
// benchmark syscalls.null_call_round_trip (Userland/Runtime/BenchmarkSamples.h).
//
// Argument: how many round trips are recorded (after 100 that warm up).

#include <Userland/Runtime/BenchmarkSamples.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/TimeStampCounter.h>

extern "C" int64_t main(uint64_t count, uint64_t self, const ABI::StartupHandles* startup)
{
    Benchmark::SampleSink sink;
    if (!sink.open(self, startup))
        return -1;
    constexpr uint64_t warm_up_rounds = 100;
    for (uint64_t round = 0; round < warm_up_rounds + count; ++round) {
        uint64_t before = TimeStampCounter::read();
        (void)System::system_call(static_cast<ABI::Syscall>(0xFFFF));
        uint64_t elapsed = TimeStampCounter::read() - before;
        if (round >= warm_up_rounds)
            sink.record(elapsed);
    }
    return 0;
}
