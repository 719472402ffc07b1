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
        uint64_t before = read_time_stamp_counter();
        pages[index * ABI::memory_page_size] = 1;
        s_samples[index] = read_time_stamp_counter() - before;
    }
    // Insertion sort: a few hundred samples, once.
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
