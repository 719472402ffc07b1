#pragma once

#include <Core/StringView.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/RegisterState.h>

namespace Kernel::Arch {

inline constexpr Core::u8 page_fault_vector = 14;
inline constexpr Core::u8 breakpoint_vector = 3;

// Fills the IDT with an entry stub for every vector and loads it. Exceptions that end the
// kernel (all but #BP so far) go to the panic path with the saved registers.
void initialize_interrupts();

// "Page Fault", "General Protection" and so on; "Interrupt" for vectors >= 32.
[[nodiscard]] Core::StringView exception_name(Core::u64 vector);
// "#PF", "#GP", ...; empty for vectors >= 32.
[[nodiscard]] Core::StringView exception_mnemonic(Core::u64 vector);

// How many #BP (int3) traps were handled since boot. A breakpoint is not fatal: the
// handler counts it and resumes after the int3.
[[nodiscard]] Core::u64 breakpoint_count();

} // namespace Kernel::Arch
