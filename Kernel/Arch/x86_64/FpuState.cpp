#include <Core/Assertions.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/FpuState.h>
#include <Kernel/Log/KernelLog.h>

namespace Kernel::Arch {

// Written by the boot CPU's initialize_fpu_on_this_cpu() before any other CPU starts, and
// only read afterwards; starting a CPU (INIT-SIPI and its wait for the CPU to come
// online) orders the writes before that CPU's reads.
Detail::FpuConfiguration Detail::fpu_configuration;

using Core::uptr;
using Core::usize;

namespace {

constexpr u64 cr0_monitor_coprocessor = 1ull << 1; // MP: wait/fwait honour CR0.TS
constexpr u64 cr0_emulation = 1ull << 2; // EM: every FPU instruction raises #NM or #UD
constexpr u64 cr0_task_switched = 1ull << 3; // TS: FPU instructions raise #NM
constexpr u64 cr0_numeric_error = 1ull << 5; // NE: x87 errors raise #MF, not IRQ 13
constexpr u64 cr4_osfxsr = 1ull << 9; // FXSAVE/FXRSTOR include XMM state; SSE usable
constexpr u64 cr4_osxmmexcpt = 1ull << 10; // unmasked SIMD exceptions raise #XM, not #UD
constexpr u64 cr4_osxsave = 1ull << 18; // XSAVE, XRSTOR, XSETBV and XGETBV usable

constexpr u32 cpuid_leaf_features = 1;
constexpr u32 cpuid_leaf_extended_features = 7;
constexpr u32 cpuid_leaf_xsave = 0xD;
constexpr u32 cpuid_features_ecx_xsave = 1u << 26;
constexpr u32 cpuid_features_ecx_avx = 1u << 28;
constexpr u32 cpuid_extended_features_ebx_avx512_foundation = 1u << 16;

constexpr u16 initial_fpu_control_word = 0x037F;
constexpr u32 initial_mxcsr = 0x1F80;

// The FXSAVE64 image (SDM Vol. 1, 10.5.1), which is also the legacy region of an XSAVE
// area. Every field falls on its natural alignment, so the layout needs no packing.
struct LegacyRegion {
    u16 control_word;
    u16 status_word;
    u8 abridged_tag_word; // one bit per register, 1 = valid; 0 is an empty stack
    u8 reserved;
    u16 last_opcode;
    u64 last_instruction_pointer;
    u64 last_data_pointer;
    u32 mxcsr;
    u32 mxcsr_mask;
    u8 x87_registers[8][16];
    u8 xmm_registers[16][16];
    u8 available[96];
};
static_assert(sizeof(LegacyRegion) == fxsave_area_size);

// The XSAVE header that follows the legacy region (SDM Vol. 1, 13.4.2).
struct XsaveHeader {
    u64 state_components_present; // XSTATE_BV
    u64 compaction; // XCOMP_BV; 0 selects the standard format XSAVE writes
    u64 reserved[6];
};
static_assert(sizeof(XsaveHeader) == xsave_minimum_area_size - fxsave_area_size);

using Detail::fpu_configuration;

void write_cr0(u64 value)
{
    // Invariant: writes CR0 only; the "memory" clobber keeps FPU instructions and the
    // CPUID reads that depend on the new mode from moving above it.
    asm volatile("mov %0, %%cr0" ::"r"(value) : "memory");
}

void write_cr4(u64 value)
{
    // Invariant: writes CR4 only; the "memory" clobber keeps xsetbv and the FPU
    // instructions that need OSFXSR/OSXSAVE from moving above it.
    asm volatile("mov %0, %%cr4" ::"r"(value) : "memory");
}

void write_xcr0(u64 value)
{
    // Invariant: CR4.OSXSAVE is already set (write_cr4 above), so xsetbv is legal; it
    // writes the XCR numbered in ECX (0) from EDX:EAX and touches no memory. The value
    // came from choose_xcr0, which keeps x87 set and AVX-512 only together with AVX, so
    // it cannot raise #GP.
    asm volatile("xsetbv" ::"c"(0), "a"(static_cast<u32>(value)), "d"(static_cast<u32>(value >> 32))
                 : "memory");
}

// The XCR0 value to run with, or 0 when the CPU has no XSAVE (or no leaf 0xD to describe
// it), in which case FXSAVE is used.
u64 choose_xcr0()
{
    u32 highest_leaf = cpuid(0).eax;
    CpuidResult features = cpuid(cpuid_leaf_features);
    if (!(features.ecx & cpuid_features_ecx_xsave) || highest_leaf < cpuid_leaf_xsave)
        return 0;
    CpuidResult xsave = cpuid(cpuid_leaf_xsave, 0);
    u64 supported = xsave.eax | (static_cast<u64>(xsave.edx) << 32);
    // x87 and SSE are part of every x86_64 CPU and XCR0 must always hold x87.
    u64 xcr0 = xsave_component_x87 | xsave_component_sse;
    if ((features.ecx & cpuid_features_ecx_avx) && (supported & xsave_component_avx))
        xcr0 |= xsave_component_avx;
    // XSETBV faults unless the three AVX-512 components are enabled together and with AVX.
    bool avx512_foundation = highest_leaf >= cpuid_leaf_extended_features
        && (cpuid(cpuid_leaf_extended_features, 0).ebx & cpuid_extended_features_ebx_avx512_foundation);
    if ((xcr0 & xsave_component_avx) && avx512_foundation
        && (supported & xsave_components_avx512) == xsave_components_avx512)
        xcr0 |= xsave_components_avx512;
    return xcr0;
}

void log_configuration()
{
    if (!fpu_configuration.uses_xsave) {
        Log::info("cpu: FPU state by FXSAVE (no XSAVE), {} bytes per thread", fpu_configuration.state_size);
        return;
    }
    Log::info("cpu: FPU state by XSAVE, {} bytes per thread, XCR0 {:#x} (AVX {} AVX-512 {})",
        fpu_configuration.state_size, fpu_configuration.xcr0,
        (fpu_configuration.xcr0 & xsave_component_avx) != 0,
        (fpu_configuration.xcr0 & xsave_components_avx512) != 0);
}

} // namespace

void initialize_fpu_on_this_cpu()
{
    bool first_cpu = !fpu_configuration.configured;
    if (first_cpu) {
        fpu_configuration.xcr0 = choose_xcr0();
        fpu_configuration.uses_xsave = fpu_configuration.xcr0 != 0;
    }

    // FXSR, SSE and SSE2 are architectural in 64-bit mode, so OSFXSR and OSXMMEXCPT need
    // no CPUID check. NE selects native #MF reporting for x87 errors raised by user code
    // instead of the legacy external FERR#/IRQ 13 path.
    write_cr0(
        (read_cr0() | cr0_monitor_coprocessor | cr0_numeric_error) & ~(cr0_emulation | cr0_task_switched));
    u64 cr4 = read_cr4() | cr4_osfxsr | cr4_osxmmexcpt;
    if (fpu_configuration.uses_xsave)
        cr4 |= cr4_osxsave;
    write_cr4(cr4);
    if (fpu_configuration.uses_xsave)
        write_xcr0(fpu_configuration.xcr0);

    // fninit resets the x87 unit (FCW 0x037F, empty stack, no pending exceptions); CR0.EM
    // and CR0.TS are clear, so it cannot trap. It touches only x87 state, which the kernel
    // never uses.
    asm volatile("fninit" ::: "memory");

    if (first_cpu) {
        // EBX of leaf 0xD reports the size for the components currently set in XCR0 on
        // this CPU, so it is read only after write_xcr0.
        fpu_configuration.state_size
            = fpu_configuration.uses_xsave ? cpuid(cpuid_leaf_xsave, 0).ebx : fxsave_area_size;
        fpu_configuration.configured = true;
        log_configuration();
    }
}

bool fpu_uses_xsave()
{
    return fpu_configuration.uses_xsave;
}

u64 fpu_enabled_xcr0()
{
    return fpu_configuration.xcr0;
}

usize fpu_state_size()
{
    VERIFY(fpu_configuration.configured);
    return fpu_configuration.state_size;
}

void initialize_fpu_state(void* area)
{
    VERIFY(reinterpret_cast<uptr>(area) % fpu_state_alignment == 0);
    __builtin_memset(area, 0, fpu_state_size());
    // Invariant: `area` holds fpu_state_size() >= fxsave_area_size bytes, aligned to 64,
    // and its first 512 bytes are the legacy region in both formats.
    auto* legacy = static_cast<LegacyRegion*>(area);
    // With FXRSTOR (and with XRSTOR for state that is loaded rather than initialised)
    // these are the values loaded. The abridged tag word 0 marks the x87 stack empty.
    // MXCSR_MASK stays 0: saving reports in it which MXCSR bits the CPU supports, but it
    // is no register, so restoring loads nothing from it.
    legacy->control_word = initial_fpu_control_word;
    legacy->mxcsr = initial_mxcsr;
    // With XSAVE the header follows, all zero from the memset: XCOMP_BV 0 selects the
    // standard format, and XSTATE_BV 0 makes XRSTOR put every enabled component in its
    // initial configuration (x87: FCW 0x037F, empty stack; XMM, YMM and ZMM registers and
    // opmasks zero) without reading it from the area. MXCSR is the exception: the
    // standard form of XRSTOR loads MXCSR from the legacy region whenever RFBM[1] (SSE) or
    // RFBM[2] (AVX) is set, whatever XSTATE_BV says (SDM Vol. 1, 13.8.1), so the 0x1F80
    // written above is what a new thread gets, and it must be a legal value or XRSTOR
    // raises #GP.
}

} // namespace Kernel::Arch
