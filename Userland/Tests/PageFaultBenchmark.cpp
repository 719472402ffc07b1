// The anonymous first-touch page fault benchmark: maps a fresh anonymous object and times
// the first store to each of its pages with the time-stamp counter, which counts guest
// instructions under `./raeen bench` (-icount 0). Each store faults, the kernel gives the
// page a zeroed frame and maps it, and the store is retried. The samples go to the kernel
// benchmark memory.anonymous_first_touch_fault (Userland/Runtime/BenchmarkSamples.h); the
// first 100 pages warm up and are not recorded.
//
// Argument: how many pages are recorded.

#include <ABI/Memory.h>
#include <Userland/Runtime/BenchmarkSamples.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/TimeStampCounter.h>

extern "C" int64_t main(uint64_t count, uint64_t self, const ABI::StartupHandles* startup)
{
    Benchmark::SampleSink sink;
    if (!sink.open(self, startup))
        return -1;
    constexpr uint64_t warm_up_pages = 100;
    uint64_t pages = warm_up_pages + count;
    int64_t memory = System::memory_object_create(pages * ABI::memory_page_size);
    if (memory < 0)
        return memory;
    int64_t address = System::vm_map(static_cast<uint32_t>(self), static_cast<uint32_t>(memory), 0,
        pages * ABI::memory_page_size, ABI::vm_read | ABI::vm_write);
    if (address < 0)
        return address;
    auto* bytes = reinterpret_cast<volatile uint8_t*>(address);
    for (uint64_t page = 0; page < pages; ++page) {
        uint64_t before = TimeStampCounter::read();
        bytes[page * ABI::memory_page_size] = 1;
        uint64_t elapsed = TimeStampCounter::read() - before;
        if (page >= warm_up_pages)
            sink.record(elapsed);
    }
    return 0;
}
