// The process and thread benchmarks, timed with the time-stamp counter (guest instructions
// under `./raeen bench`, -icount 0), each sample left for the kernel benchmark that started
// it (Userland/Runtime/BenchmarkSamples.h; Kernel/Tasks/LifecycleBenchmarks.cpp reports
// them). The peers measured on Linux are in Tests/Bench/LinuxPeer.cpp.
//
// Argument: bits 0-31, how many samples (after a warm-up); bits 32-39, the mode:
//   0, yield round trip: this process and a partner (BenchmarkPartner.cpp) on CPU 0 both
//      yield in a loop; a sample is one thread_yield here, with the partner's turn inside;
//   1, thread create and join: a thread that exits at once, created, joined and its handle
//      closed;
//   2, process spawn: process_create, process_start of the partner's ELF image (which exits
//      at once), process_wait, and the handle closed.

#include <ABI/Process.h>
#include <Userland/Runtime/BenchmarkSamples.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/TimeStampCounter.h>

extern "C" const char benchmark_partner_image[];
extern "C" const char benchmark_partner_image_end[];
extern "C" void _thread_start();

namespace {

enum class Mode : uint64_t {
    YieldRoundTrip = 0,
    ThreadCreateJoin = 1,
    ProcessSpawn = 2,
};

constexpr uint64_t partner_exits = 0;
constexpr uint64_t partner_yields = 1;

alignas(16) char s_thread_stack[16384];

// A started partner process's handle, or a negated error.
int64_t start_partner(uint64_t partner_mode)
{
    int64_t partner = System::process_create("partner", 7);
    if (partner < 0)
        return partner;
    ABI::ProcessStartArguments start {};
    start.image_address = reinterpret_cast<uint64_t>(benchmark_partner_image);
    start.image_size = static_cast<uint64_t>(benchmark_partner_image_end - benchmark_partner_image);
    start.argument = partner_mode;
    int64_t started = System::process_start(static_cast<uint32_t>(partner), &start);
    return started == 0 ? partner : started;
}

int64_t time_yields(uint64_t count, Benchmark::SampleSink& sink)
{
    if (System::thread_set_affinity(1) != 0)
        return -2;
    int64_t partner = start_partner(partner_yields);
    if (partner < 0)
        return partner;
    constexpr uint64_t warm_up_rounds = 100;
    for (uint64_t round = 0; round < warm_up_rounds + count; ++round) {
        uint64_t before = TimeStampCounter::read();
        (void)System::thread_yield();
        uint64_t elapsed = TimeStampCounter::read() - before;
        if (round >= warm_up_rounds)
            sink.record(elapsed);
    }
    int64_t status = 0;
    if (System::process_kill(static_cast<uint32_t>(partner)) != 0
        || System::process_wait(static_cast<uint32_t>(partner), &status) != 0)
        return -3;
    return System::handle_close(static_cast<uint32_t>(partner));
}

int64_t time_threads(uint64_t count, Benchmark::SampleSink& sink)
{
    constexpr uint64_t warm_up_rounds = 20;
    for (uint64_t round = 0; round < warm_up_rounds + count; ++round) {
        uint64_t before = TimeStampCounter::read();
        int64_t thread = System::thread_create(_thread_start, s_thread_stack + sizeof(s_thread_stack), 0);
        if (thread < 0)
            return thread;
        if (System::thread_join(static_cast<uint32_t>(thread)) != 0
            || System::handle_close(static_cast<uint32_t>(thread)) != 0)
            return -4;
        uint64_t elapsed = TimeStampCounter::read() - before;
        if (round >= warm_up_rounds)
            sink.record(elapsed);
    }
    return 0;
}

int64_t time_spawns(uint64_t count, Benchmark::SampleSink& sink)
{
    constexpr uint64_t warm_up_rounds = 10;
    for (uint64_t round = 0; round < warm_up_rounds + count; ++round) {
        uint64_t before = TimeStampCounter::read();
        int64_t partner = start_partner(partner_exits);
        if (partner < 0)
            return partner;
        int64_t status = -1;
        if (System::process_wait(static_cast<uint32_t>(partner), &status) != 0 || status != 0
            || System::handle_close(static_cast<uint32_t>(partner)) != 0)
            return -5;
        uint64_t elapsed = TimeStampCounter::read() - before;
        if (round >= warm_up_rounds)
            sink.record(elapsed);
    }
    return 0;
}

} // namespace

// The thread of the create-and-join benchmark: closes the process handle every new thread
// gets, so that the table does not grow with the rounds, and ends.
extern "C" int64_t thread_main(uint64_t, uint64_t self)
{
    return System::handle_close(static_cast<uint32_t>(self)) == 0 ? 0 : 1;
}

extern "C" int64_t main(uint64_t argument, uint64_t self, const ABI::StartupHandles* startup)
{
    uint64_t count = argument & 0xFFFFFFFF;
    auto mode = static_cast<Mode>((argument >> 32) & 0xFF);
    Benchmark::SampleSink sink;
    if (count == 0 || !sink.open(self, startup))
        return -1;
    switch (mode) {
    case Mode::YieldRoundTrip:
        return time_yields(count, sink);
    case Mode::ThreadCreateJoin:
        return time_threads(count, sink);
    case Mode::ProcessSpawn:
        return time_spawns(count, sink);
    }
    return -1;
}
