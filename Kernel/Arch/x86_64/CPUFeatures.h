#pragma once

// CPU features the kernel looks for, read once from CPUID on the boot CPU. Every optional
// feature has a fallback; docs/memory.md says what each missing one costs.

#include <Core/Types.h>

namespace Kernel::Arch {

struct CpuFeatures {
    bool no_execute { false }; // NX/XD bit in page tables (EFER.NXE)
    bool global_pages { false }; // CR4.PGE
    bool huge_pages_1g { false }; // 1 GiB pages
    bool smep { false }; // supervisor-mode execution prevention
    bool smap { false }; // supervisor-mode access prevention
    bool umip { false }; // user-mode instruction prevention
    bool pcid { false }; // process-context identifiers
    bool invpcid { false }; // the INVPCID instruction
    bool rdrand { false };
    bool rdseed { false };
    bool page_attribute_table { false };
    bool machine_check { false }; // CR4.MCE: report machine checks as #MC
};

// Reads CPUID. Safe to call before anything else is set up.
[[nodiscard]] CpuFeatures detect_cpu_features();

namespace Detail {
// What enable_cpu_protections found, written once during boot before any other CPU runs.
extern CpuFeatures detected_features;
} // namespace Detail

// Inline, as every user copy and every switch asks.
[[nodiscard]] inline const CpuFeatures& cpu_features()
{
    return Detail::detected_features;
}

// Whether address spaces are tagged with PCIDs: the CPU has PCIDs and global pages.
[[nodiscard]] inline bool pcids_enabled()
{
    return Detail::detected_features.pcid && Detail::detected_features.global_pages;
}

// Enables the protections that are present (SMEP, SMAP, UMIP, global pages, PCID, and
// write-combining in the PAT) and logs the ones that are missing. NX is already on from
// Boot.S when present. Called once on the boot CPU before the kernel address space is built.
void enable_cpu_protections();
// Applies the same settings on an application processor (no detection, no logging).
void apply_cpu_protections_on_this_cpu();

} // namespace Kernel::Arch
