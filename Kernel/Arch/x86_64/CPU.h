#pragma once

// Thin wrappers over privileged x86_64 instructions. Each asm block touches only the
// registers it names; "memory" clobbers keep the compiler from moving memory accesses
// across instructions whose ordering matters (control-register writes, hlt, cli).

#include <Core/Types.h>

namespace Kernel::Arch {

using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;

struct CpuidResult {
    u32 eax;
    u32 ebx;
    u32 ecx;
    u32 edx;
};

inline CpuidResult cpuid(u32 leaf, u32 subleaf = 0)
{
    CpuidResult result;
    asm volatile("cpuid"
                 : "=a"(result.eax), "=b"(result.ebx), "=c"(result.ecx), "=d"(result.edx)
                 : "a"(leaf), "c"(subleaf));
    return result;
}

inline u64 read_cr0()
{
    u64 value;
    asm volatile("mov %%cr0, %0" : "=r"(value));
    return value;
}
inline u64 read_cr2()
{
    u64 value;
    asm volatile("mov %%cr2, %0" : "=r"(value));
    return value;
}
inline u64 read_cr3()
{
    u64 value;
    asm volatile("mov %%cr3, %0" : "=r"(value));
    return value;
}
inline u64 read_cr4()
{
    u64 value;
    asm volatile("mov %%cr4, %0" : "=r"(value));
    return value;
}

inline u64 read_msr(u32 index)
{
    u32 low;
    u32 high;
    asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(index));
    return (static_cast<u64>(high) << 32) | low;
}

inline u64 read_timestamp_counter()
{
    u32 low;
    u32 high;
    // lfence keeps rdtsc from executing before earlier instructions complete, so that
    // two reads bracket the work between them.
    asm volatile("lfence; rdtsc" : "=a"(low), "=d"(high)::"memory");
    return (static_cast<u64>(high) << 32) | low;
}

inline void disable_interrupts()
{
    asm volatile("cli" ::: "memory");
}

inline u64 read_flags()
{
    u64 flags;
    asm volatile("pushfq; pop %0" : "=r"(flags)::"memory");
    return flags;
}

inline constexpr u64 interrupt_flag = 1ull << 9;

// Re-enables interrupts only if `saved_flags` (from read_flags) had them enabled.
inline void restore_interrupts(u64 saved_flags)
{
    if (saved_flags & interrupt_flag)
        asm volatile("sti" ::: "memory");
}

// Interrupts off on this CPU for the lifetime of the scope, then back as they were. Used
// for per-CPU data, which an interrupt handler on the same CPU could otherwise interrupt.
class InterruptsDisabled {
public:
    InterruptsDisabled()
        : m_saved_flags(read_flags())
    {
        disable_interrupts();
    }
    ~InterruptsDisabled() { restore_interrupts(m_saved_flags); }
    InterruptsDisabled(const InterruptsDisabled&) = delete;
    InterruptsDisabled& operator=(const InterruptsDisabled&) = delete;

private:
    u64 m_saved_flags;
};

// Stops this CPU for good: interrupts off, then halt (NMIs can wake hlt, hence the loop).
[[noreturn]] inline void halt_forever()
{
    for (;;)
        asm volatile("cli; hlt" ::: "memory");
}

inline void pause()
{
    asm volatile("pause");
}

// Port I/O. Ports are a separate address space; these never touch memory.
inline void out8(u16 port, u8 value)
{
    asm volatile("outb %0, %1" ::"a"(value), "Nd"(port));
}
inline void out16(u16 port, u16 value)
{
    asm volatile("outw %0, %1" ::"a"(value), "Nd"(port));
}
inline void out32(u16 port, u32 value)
{
    asm volatile("outl %0, %1" ::"a"(value), "Nd"(port));
}
inline u8 in8(u16 port)
{
    u8 value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

} // namespace Kernel::Arch
