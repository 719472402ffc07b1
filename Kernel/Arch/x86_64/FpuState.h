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

// Saves the calling CPU's FPU registers into `area` (a prepared area, as above).
void save_fpu_state(void* area);
// Loads the calling CPU's FPU registers from `area` (a prepared area, as above).
void restore_fpu_state(const void* area);

} // namespace Kernel::Arch
