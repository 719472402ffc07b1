#pragma once

// Runs a function and catches the first page fault or general-protection fault it raises,
// instead of letting the fault end in a panic. Kernel tests use it to show that a
// protection holds: a write to kernel text, a jump into a data page, a kernel access to a
// user page outside a user-access window must each fault, and the test must see it.
//
// A caught fault abandons the function like longjmp: the catcher resumes with the stack
// and callee-saved registers it had when the function was called. So the function must
// not hold locks or own resources when it may fault. Only one catch may be active at a
// time on a CPU.

#include <Core/Optional.h>
#include <Core/Types.h>

namespace Kernel::Arch {

struct RegisterState;

struct CaughtFault {
    Core::u64 vector;
    Core::u64 error_code;
    Core::u64 faulting_address; // CR2, for page faults
    Core::u64 instruction_pointer;
};

[[nodiscard]] Core::Optional<CaughtFault> catch_fault(void (*function)(void*), void* argument);

// Called by the exception dispatcher: if a catch is active and `registers` describe a
// #PF or #GP, arranges for the catcher to resume and returns true.
bool redirect_fault_to_catcher(RegisterState& registers);

} // namespace Kernel::Arch
