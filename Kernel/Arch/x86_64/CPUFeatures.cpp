#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/CPUFeatures.h>
#include <Kernel/Arch/x86_64/TLB.h>
#include <Kernel/Log/KernelLog.h>

namespace Kernel::Arch {

CpuFeatures Detail::detected_features;

namespace {

constexpr u64 cr4_machine_check = 1ull << 6;
constexpr u64 cr4_umip = 1ull << 11;
constexpr u64 cr4_pge = 1ull << 7;
constexpr u64 cr4_pcide = 1ull << 17;
constexpr u64 cr4_smep = 1ull << 20;
constexpr u64 cr4_smap = 1ull << 21;
constexpr u32 pat_msr = 0x277;

void write_cr4(u64 value)
{
    // Invariant: writes CR4 only; the "memory" clobber orders it after the feature checks
    // and before code relying on the new protections.
    asm volatile("mov %0, %%cr4" ::"r"(value) : "memory");
}

} // namespace

CpuFeatures detect_cpu_features()
{
    CpuFeatures features;
    CpuidResult basic = cpuid(0);
    CpuidResult leaf1 = cpuid(1);
    features.pcid = leaf1.ecx & (1u << 17);
    features.rdrand = leaf1.ecx & (1u << 30);
    features.global_pages = leaf1.edx & (1u << 13);
    features.page_attribute_table = leaf1.edx & (1u << 16);
    features.machine_check = leaf1.edx & (1u << 7);
    if (basic.eax >= 7) {
        CpuidResult leaf7 = cpuid(7, 0);
        features.smep = leaf7.ebx & (1u << 7);
        features.invpcid = leaf7.ebx & (1u << 10);
        features.rdseed = leaf7.ebx & (1u << 18);
        features.smap = leaf7.ebx & (1u << 20);
        features.umip = leaf7.ecx & (1u << 2);
    }
    CpuidResult extended = cpuid(0x80000000);
    if (extended.eax >= 0x80000001) {
        CpuidResult extended1 = cpuid(0x80000001);
        features.no_execute = extended1.edx & (1u << 20);
        features.huge_pages_1g = extended1.edx & (1u << 26);
    }
    return features;
}

void apply_cpu_protections_on_this_cpu()
{
    u64 cr4 = read_cr4();
    auto enable_if = [&](bool present, u64 bit) {
        if (present)
            cr4 |= bit;
    };
    enable_if(Detail::detected_features.smep, cr4_smep);
    enable_if(Detail::detected_features.smap, cr4_smap);
    enable_if(Detail::detected_features.umip, cr4_umip);
    // Without CR4.MCE a machine check shuts the CPU down instead of reaching the #MC
    // handler on its own stack.
    enable_if(Detail::detected_features.machine_check, cr4_machine_check);
    enable_if(Detail::detected_features.global_pages, cr4_pge);
    // PCID may only be turned on while CR3's low 12 bits are zero, which they are: CR3
    // holds the boot page tables (Boot.S) on the boot CPU, the kernel's root on the others,
    // both page-aligned, and everything loaded before user space uses PCID 0. PCIDs are used only with global
    // pages, so that invlpg of a kernel address, which reaches global entries whatever the PCID, keeps every
    // address space's view of the kernel right (docs/memory.md#pcids).
    enable_if(pcids_enabled(), cr4_pcide);
    write_cr4(cr4);

    // PAT: keep the power-on entries 0 (write-back), 2 (UC-) and 3 (uncached), and make
    // entry 1 write-combining, so that PWT alone selects WC (used for framebuffers). Every
    // CPU must agree, or the same page would be cached differently on different CPUs.
    if (Detail::detected_features.page_attribute_table) {
        constexpr u64 write_back = 0x06;
        constexpr u64 write_combining = 0x01;
        constexpr u64 uncached_minus = 0x07;
        constexpr u64 uncached = 0x00;
        u64 pat = write_back | (write_combining << 8) | (uncached_minus << 16) | (uncached << 24);
        // The SDM's sequence for a PAT change (11.12.4): write back and invalidate the
        // caches, change the PAT, then drop every TLB entry, so that no line or
        // translation keeps the old memory type.
        asm volatile("wbinvd" ::: "memory");
        write_msr(pat_msr, pat | (pat << 32));
        invalidate_everything_locally();
        asm volatile("wbinvd" ::: "memory");
    }
}

void enable_cpu_protections()
{
    Detail::detected_features = detect_cpu_features();
    apply_cpu_protections_on_this_cpu();
    // A missing protection is a warning; a missing speed-up is only information.
    auto report_missing = [](bool present, Log::Level level, const char* name, const char* consequence) {
        if (!present)
            Log::log(level, "cpu: no {}: {}", name, consequence);
    };
    report_missing(Detail::detected_features.smep, Log::Level::Warning, "SMEP",
        "the kernel can be made to run user pages");
    report_missing(Detail::detected_features.smap, Log::Level::Warning, "SMAP",
        "stray kernel accesses to user memory are not caught");
    report_missing(Detail::detected_features.umip, Log::Level::Warning, "UMIP",
        "user code can read descriptor-table addresses");
    report_missing(Detail::detected_features.machine_check, Log::Level::Warning, "machine-check exception",
        "hardware errors reset the machine without a report");
    report_missing(Detail::detected_features.global_pages, Log::Level::Info, "global pages",
        "kernel TLB entries are flushed on every switch");
    report_missing(Detail::detected_features.pcid, Log::Level::Info, "PCID",
        "address-space switches flush the whole TLB");
    report_missing(Detail::detected_features.invpcid, Log::Level::Info, "INVPCID",
        "full TLB flushes toggle CR4.PGE instead");
    report_missing(Detail::detected_features.no_execute, Log::Level::Warning, "NX",
        "data pages are executable, so W^X cannot be enforced");
    Log::info("cpu: NX {} SMEP {} SMAP {} UMIP {} PGE {} PCID {} INVPCID {} 1G-pages {} RDRAND {} RDSEED {}",
        Detail::detected_features.no_execute, Detail::detected_features.smep, Detail::detected_features.smap,
        Detail::detected_features.umip, Detail::detected_features.global_pages,
        Detail::detected_features.pcid, Detail::detected_features.invpcid,
        Detail::detected_features.huge_pages_1g, Detail::detected_features.rdrand,
        Detail::detected_features.rdseed);
}

} // namespace Kernel::Arch
