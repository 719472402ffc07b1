#pragma once

// x87, SSE and AVX register state for threads that run user code. The kernel itself is
// built with -mgeneral-regs-only and never touches these registers, so the scheduler only
// has to save a thread's FPU state when it switches away from a thread that may have
// changed it, and load the next one's; kernel code in between (interrupt handlers, other
// CPUs) leaves the registers alone.
//
// Each such thread owns an area of fpu_state_size() bytes aligned to fpu_state_alignment.
// With XSAVE (CPUID.1:ECX.XSAVE) the area is an XSAVE area in the standard format holding
// the components enabled in XCR0; without it, the 512-byte FXSAVE image.

#include <Core/Types.h>

namespace Kernel::Arch {

// XSAVE needs 64-byte alignment (FXSAVE only 16); one value serves both.
inline constexpr Core::usize fpu_state_alignment = 64;
// The FXSAVE image, which is also the legacy region at the start of an XSAVE area.
inline constexpr Core::usize fxsave_area_size = 512;
// The legacy region plus the 64-byte XSAVE header: the smallest XSAVE area.
inline constexpr Core::usize xsave_minimum_area_size = fxsave_area_size + 64;

// State components as numbered in XCR0, XSTATE_BV and CPUID leaf 0xD.
inline constexpr Core::u64 xsave_component_x87 = 1ull << 0;
inline constexpr Core::u64 xsave_component_sse = 1ull << 1;
inline constexpr Core::u64 xsave_component_avx = 1ull << 2; // upper halves of YMM0-15
// Opmask registers, upper halves of ZMM0-15, and ZMM16-31: XCR0 takes all three or none.
inline constexpr Core::u64 xsave_components_avx512 = 0b111ull << 5;

// Makes the FPU usable on the calling CPU: CR0.MP and CR0.NE set, CR0.EM and CR0.TS clear
// (so FPU instructions never trap with #NM), CR4.OSFXSR and CR4.OSXMMEXCPT set, and with
// XSAVE, CR4.OSXSAVE and XCR0 set to x87 and SSE plus AVX and AVX-512 where the CPU has
// them; then resets the x87 unit with fninit. Called once by every CPU during its
// bring-up. The first call, on the boot CPU before any other CPU starts, chooses the
// configuration from CPUID and logs it; every later CPU applies the same choice, as the
// kernel assumes all CPUs have the same features.
void initialize_fpu_on_this_cpu();

// Whether areas are XSAVE areas (true) or FXSAVE images (false).
[[nodiscard]] bool fpu_uses_xsave();
// The XCR0 value every CPU runs with: the components an area holds. Zero without XSAVE.
[[nodiscard]] Core::u64 fpu_enabled_xcr0();
// Bytes a thread's area needs: CPUID.(EAX=0DH,ECX=0):EBX for the enabled components, or
// fxsave_area_size without XSAVE. Valid once the boot CPU called
// initialize_fpu_on_this_cpu().
[[nodiscard]] Core::usize fpu_state_size();

// Writes the state a new thread starts with into `area` (fpu_state_size() bytes, aligned
// to fpu_state_alignment): vector and x87 registers zero, an empty x87 stack, FCW 0x037F
// and MXCSR 0x1F80 (all exceptions masked, round to nearest), as the System V ABI expects
// at process start. An area must be prepared this way before it is first saved into or
// restored from, because XSAVE leaves the header's reserved bytes as they were and XRSTOR
// faults when they are not zero.
void initialize_fpu_state(void* area);

namespace Detail {

struct FpuConfiguration {
    bool configured;
    bool uses_xsave;
    Core::u64 xcr0;
    Core::usize state_size;
};
// The configuration the boot CPU chose (FpuState.cpp), read inline by the switch.
extern FpuConfiguration fpu_configuration;

} // namespace Detail

// Saves the calling CPU's FPU registers into `area` (a prepared area, as above). Inline:
// every switch between threads with FPU state does it.
[[gnu::always_inline]] inline void save_fpu_state(void* area)
{
    if (Detail::fpu_configuration.uses_xsave) {
        Core::u64 mask = Detail::fpu_configuration.xcr0;
        // Invariant: `area` is a prepared area of fpu_state_size() bytes aligned to 64 and
        // CR4.OSXSAVE is set on this CPU. xsave64 writes the components in EDX:EAX & XCR0
        // (all enabled ones) into it and reads only EDX:EAX and its own state; the
        // "memory" clobber makes the compiler treat the area as written.
        asm volatile("xsave64 (%0)" ::"r"(area), "a"(static_cast<Core::u32>(mask)),
                     "d"(static_cast<Core::u32>(mask >> 32))
                     : "memory");
        return;
    }
    // Invariant: `area` holds 512 bytes aligned to 16 (it is aligned to 64); fxsave64
    // writes exactly those bytes, with 64-bit instruction and data pointers, and no
    // registers. The "memory" clobber makes the compiler treat the area as written.
    asm volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

// Loads the calling CPU's FPU registers from `area` (a prepared area, as above).
[[gnu::always_inline]] inline void restore_fpu_state(const void* area)
{
    if (Detail::fpu_configuration.uses_xsave) {
        Core::u64 mask = Detail::fpu_configuration.xcr0;
        // Invariant: `area` is a prepared area aligned to 64 whose header has XCOMP_BV 0
        // and zero reserved bytes, and whose MXCSR is legal (initialize_fpu_state wrote
        // them, XSAVE keeps them), so xrstor64 cannot fault. It loads the enabled
        // components and writes no general register or memory; the "memory" clobber
        // orders it after the stores that filled the area.
        asm volatile("xrstor64 (%0)" ::"r"(area), "a"(static_cast<Core::u32>(mask)),
                     "d"(static_cast<Core::u32>(mask >> 32))
                     : "memory");
        return;
    }
    // Invariant: `area` holds a 512-byte FXSAVE image aligned to 16 with a legal MXCSR;
    // fxrstor64 reads it and writes no general register or memory. The "memory" clobber
    // orders it after the stores that filled the area.
    asm volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

} // namespace Kernel::Arch
