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
    // cpuid reads EAX/ECX and writes exactly EAX-EDX; it touches no memory. volatile keeps
    // it from being merged or hoisted, as some leaves report per-CPU or changing state.
    asm volatile("cpuid"
                 : "=a"(result.eax), "=b"(result.ebx), "=c"(result.ecx), "=d"(result.edx)
                 : "a"(leaf), "c"(subleaf));
    return result;
}

inline u64 read_cr0()
{
    u64 value;
    // Legal only at ring 0, where the kernel always runs; writes just the output register.
    // volatile keeps every call a fresh read of CR0.
    asm volatile("mov %%cr0, %0" : "=r"(value));
    return value;
}
inline u64 read_cr2()
{
    u64 value;
    // Legal only at ring 0, where the kernel always runs; writes just the output register.
    // volatile keeps every call a fresh read of CR2 (it changes on every page fault).
    asm volatile("mov %%cr2, %0" : "=r"(value));
    return value;
}
inline u64 read_cr3()
{
    u64 value;
    // Legal only at ring 0, where the kernel always runs; writes just the output register.
    // volatile keeps every call a fresh read of CR3 (it changes on every address-space switch).
    asm volatile("mov %%cr3, %0" : "=r"(value));
    return value;
}
inline u64 read_cr4()
{
    u64 value;
    // Legal only at ring 0, where the kernel always runs; writes just the output register.
    // volatile keeps every call a fresh read of CR4.
    asm volatile("mov %%cr4, %0" : "=r"(value));
    return value;
}

inline u64 read_msr(u32 index)
{
    u32 low;
    u32 high;
    // rdmsr reads the MSR numbered in ECX into EDX:EAX and touches no memory. The caller
    // must pass an MSR this CPU implements: an unknown index raises #GP.
    asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(index));
    return (static_cast<u64>(high) << 32) | low;
}

inline void write_msr(u32 index, u64 value)
{
    // Invariant: wrmsr writes only the MSR named in ECX from EDX:EAX; the "memory" clobber
    // keeps accesses that depend on the MSR's new value (GS base, PAT) after it.
    asm volatile("wrmsr" ::"c"(index), "a"(static_cast<u32>(value)), "d"(static_cast<u32>(value >> 32))
                 : "memory");
}

// IA32_FS_BASE: the base of FS, which user threads use as their thread pointer
// (thread_set_pointer); the kernel itself never uses FS.
inline constexpr u32 fs_base_msr = 0xC0000100;

inline u64 read_timestamp_counter()
{
    u32 low;
    u32 high;
    // lfence keeps rdtsc from executing before earlier instructions complete, so that
    // two reads bracket the work between them. rdtsc writes only EDX:EAX; the "memory"
    // clobber stops the compiler moving the measured work across the read.
    asm volatile("lfence; rdtsc" : "=a"(low), "=d"(high)::"memory");
    return (static_cast<u64>(high) << 32) | low;
}

// cli clears RFLAGS.IF on this CPU only. The "memory" clobber keeps the compiler from
// sinking memory accesses that must be protected below the point interrupts go off.
inline void disable_interrupts()
{
    asm volatile("cli" ::: "memory");
}

inline u64 read_flags()
{
    u64 flags;
    // pushfq/pop use the slot just below RSP, safe because the kernel is built with
    // -mno-red-zone; the "memory" clobber keeps the read ordered against a following cli.
    asm volatile("pushfq; pop %0" : "=r"(flags)::"memory");
    return flags;
}

inline constexpr u64 interrupt_flag = 1ull << 9;

// Re-enables interrupts only if `saved_flags` (from read_flags) had them enabled.
inline void restore_interrupts(u64 saved_flags)
{
    // sti sets RFLAGS.IF; the "memory" clobber keeps the protected accesses above it from
    // being moved past the point where an interrupt handler could run and observe them.
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

// Puts back, when it goes out of scope, the interrupt flag of `saved_flags`, taken when
// interrupts were turned off by other means (a spinlock's lock()), for code that keeps them
// off past the point where it releases that lock (Ipc/ChannelRegisterForm.h).
class InterruptsRestoredAtExit {
public:
    explicit InterruptsRestoredAtExit(u64 saved_flags)
        : m_saved_flags(saved_flags)
    {
    }
    ~InterruptsRestoredAtExit() { restore_interrupts(m_saved_flags); }
    InterruptsRestoredAtExit(const InterruptsRestoredAtExit&) = delete;
    InterruptsRestoredAtExit& operator=(const InterruptsRestoredAtExit&) = delete;

private:
    u64 m_saved_flags;
};

// Stops this CPU for good: interrupts off, then halt (NMIs can wake hlt, hence the loop).
[[noreturn]] inline void halt_forever()
{
    // cli before hlt so only an NMI (or SMI) can wake the CPU; the "memory" clobber makes
    // the compiler emit every pending store before the CPU stops.
    for (;;)
        asm volatile("cli; hlt" ::: "memory");
}

// pause is a spin-wait hint with no architectural effect on registers or memory; volatile
// keeps it inside the spin loop instead of being deleted as dead code.
inline void pause()
{
    asm volatile("pause");
}

// Port I/O. Ports are a separate address space; these never touch memory. volatile keeps
// every access, in program order, because port reads and writes have device side effects.
inline void out8(u16 port, u8 value)
{
    // outb needs its value in AL and its port as an 8-bit immediate or in DX ("a", "Nd").
    asm volatile("outb %0, %1" ::"a"(value), "Nd"(port));
}
inline void out16(u16 port, u16 value)
{
    // outw needs its value in AX and its port as an 8-bit immediate or in DX ("a", "Nd").
    asm volatile("outw %0, %1" ::"a"(value), "Nd"(port));
}
inline void out32(u16 port, u32 value)
{
    // outl needs its value in EAX and its port as an 8-bit immediate or in DX ("a", "Nd").
    asm volatile("outl %0, %1" ::"a"(value), "Nd"(port));
}
inline u16 in16(u16 port)
{
    u16 value;
    // Invariant: reads one 16-bit I/O port into AX; touches no memory.
    asm volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

inline u32 in32(u16 port)
{
    u32 value;
    // Invariant: reads one 32-bit I/O port into EAX; touches no memory.
    asm volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

inline u8 in8(u16 port)
{
    u8 value;
    // inb writes only AL; the read may itself have device side effects (acknowledging a
    // status, popping a FIFO), so it must stay even when the result looks unused.
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

} // namespace Kernel::Arch
