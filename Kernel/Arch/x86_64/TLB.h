#pragma once

// The local CPU's TLB invalidation instructions. Only Kernel/Memory/TlbInvalidation.cpp
// calls these: every page-table change goes through that one API.

#include <Core/Types.h>

namespace Kernel::Arch {

// Drops the TLB entries (global ones included) for the page containing `virtual_address`.
inline void invalidate_page_locally(Core::u64 virtual_address)
{
    asm volatile("invlpg (%0)" ::"r"(virtual_address) : "memory");
}

// Drops every non-global entry by reloading CR3 (same address space).
inline void invalidate_non_global_locally()
{
    Core::u64 cr3;
    asm volatile("mov %%cr3, %0\n"
                 "mov %0, %%cr3"
                 : "=r"(cr3)::"memory");
}

// Drops every entry including global ones: toggling CR4.PGE flushes them (SDM 4.10.4.1).
// Without PGE there are no global entries and a CR3 reload is enough.
inline void invalidate_everything_locally()
{
    constexpr Core::u64 cr4_pge = 1ull << 7;
    Core::u64 cr4;
    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    if (cr4 & cr4_pge) {
        asm volatile("mov %0, %%cr4\n"
                     "mov %1, %%cr4" ::"r"(cr4 & ~cr4_pge),
                     "r"(cr4)
                     : "memory");
    } else {
        invalidate_non_global_locally();
    }
}

// Drops every entry of every PCID, global ones included, with INVPCID type 2. Only valid
// on CPUs with INVPCID (CPUID.7.0:EBX[10]); the descriptor is ignored for this type but
// must be a readable 16-byte operand.
inline void invalidate_everything_with_invpcid()
{
    struct {
        Core::u64 pcid;
        Core::u64 address;
    } descriptor { 0, 0 };
    constexpr Core::u64 all_contexts_including_globals = 2;
    asm volatile("invpcid %0, %1" ::"m"(descriptor), "r"(all_contexts_including_globals) : "memory");
}

// Makes `root_physical` the current top-level page table.
inline void load_page_table_root(Core::u64 root_physical)
{
    asm volatile("mov %0, %%cr3" ::"r"(root_physical) : "memory");
}

// Makes `root_physical` the current top-level page table, tagged with `pcid` (CR4.PCIDE must
// be on). Unless `flush`, the TLB keeps the PCID's entries (CR3 bit 63, which the CPU does
// not store): they are still right for this page table.
inline void load_page_table_root_with_pcid(Core::u64 root_physical, Core::u16 pcid, bool flush)
{
    constexpr Core::u64 keep_entries = 1ull << 63;
    Core::u64 value = root_physical | pcid | (flush ? 0 : keep_entries);
    asm volatile("mov %0, %%cr3" ::"r"(value) : "memory");
}

} // namespace Kernel::Arch
