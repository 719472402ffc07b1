// The anonymous first-touch page fault benchmark: maps a fresh anonymous object and times
// the first store to each of its pages with the time-stamp counter, which counts guest
// instructions under `./raeen bench` (-icount 0). Each store faults, the kernel gives the
// page a zeroed frame and maps it, and the store is retried. Exits with the fastest touch in
// bits 0-31 and the median in bits 32-62 (or a negated error code); the kernel benchmark
// memory.anonymous_first_touch_fault reports them.
//
// Argument: how many pages (at most 4096).

#include <ABI/Memory.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/TimeStampCounter.h>

namespace {

constexpr uint64_t maximum_samples = 4096;
uint64_t s_samples[maximum_samples];

} // namespace

extern "C" int64_t main(uint64_t argument, uint64_t self)
{
    uint64_t count = argument < maximum_samples ? argument : maximum_samples;
    if (count == 0)
        return 0;
    int64_t memory = System::memory_object_create(count * ABI::memory_page_size);
    if (memory < 0)
        return memory;
    int64_t address = System::vm_map(static_cast<uint32_t>(self), static_cast<uint32_t>(memory), 0,
        count * ABI::memory_page_size, ABI::vm_read | ABI::vm_write);
    if (address < 0)
        return address;
    auto* pages = reinterpret_cast<volatile uint8_t*>(address);
    for (uint64_t index = 0; index < count; ++index) {
        uint64_t before = TimeStampCounter::read();
        pages[index * ABI::memory_page_size] = 1;
        s_samples[index] = TimeStampCounter::read() - before;
    }
    return TimeStampCounter::fastest_and_median_status(s_samples, count);
}
