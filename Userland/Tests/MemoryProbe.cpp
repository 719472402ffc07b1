// The probe program of the memory tests (MemoryTests.cpp), which carry its image. The tests
// create a probe process, set up its address space with vm_map, vm_protect and vm_unmap
// through the process handle, and start it with an address to touch. A fault ends the
// whole process, so each probe touches one byte and no more: its exit status is the byte it
// read or wrote, or the page fault's status when the access was refused.

#include <Userland/Tests/MemoryProbe.h>
#include <stdint.h>

extern "C" int64_t main(uint64_t argument, uint64_t)
{
    constexpr uint64_t flag_bits = MemoryProbe::write_flag;
    auto* address = reinterpret_cast<volatile uint8_t*>(argument & ~flag_bits);
    if (argument & MemoryProbe::write_flag) {
        *address = MemoryProbe::written_byte;
        return MemoryProbe::written_byte;
    }
    return *address;
}
