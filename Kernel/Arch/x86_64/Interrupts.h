#pragma once

#include <Core/Error.h>
#include <Core/StringView.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/RegisterState.h>

namespace Kernel::Arch {

inline constexpr Core::u8 page_fault_vector = 14;
inline constexpr Core::u8 breakpoint_vector = 3;

// Fills the IDT with an entry point for every vector and loads it. Exceptions that end the
// kernel (all but #BP so far) go to the panic path with the saved registers.
void initialize_interrupts();
// Loads the (shared) IDT on the calling CPU; each application processor calls it.
void load_interrupt_table_on_this_cpu();

// A handler for an interrupt vector >= 32. It runs with interrupts off, must be short and
// must not block, allocate or take a lock that normal code holds with interrupts on
// (docs/interrupts.md). The dispatcher sends the EOI after it returns.
using InterruptHandler = void (*)(RegisterState& registers, void* context);

// Installs a handler on a fixed vector (IPIs, the local timer). VERIFYs the vector is free.
void set_interrupt_handler(Core::u8 vector, InterruptHandler handler, void* context);
// Finds a free device vector (first_device_vector..last_device_vector) and installs the
// handler there. ErrorCode::Busy when every device vector is taken.
[[nodiscard]] Core::Result<Core::u8> allocate_interrupt_vector(InterruptHandler handler, void* context);
// Removes the vector's handler and returns once no CPU runs it any more, so the caller
// may then free the handler's context. Must not be called from that handler itself.
void free_interrupt_vector(Core::u8 vector);

// Called after every device/IPI interrupt's handler and EOI, with the interrupted state;
// the scheduler installs its preemption check here. Runs with interrupts off.
using InterruptExitHook = void (*)(RegisterState& registers);
void set_interrupt_exit_hook(InterruptExitHook hook);

// Runs for an exception raised in user mode, instead of the panic: it ends the thread (or,
// later, the process) and does not return. Until one is installed, such a fault panics.
using UserFaultHandler = void (*)(RegisterState& registers);
void set_user_fault_handler(UserFaultHandler handler);

// Runs first for every page fault that may be a mapped page not yet present: one raised
// in user mode, or by the kernel's user-copy instruction (UserCopy.S), on a user address
// with the present bit clear in the error code. It makes the page present and returns true
// (the faulting instruction is retried), or returns false and the fault goes on to the
// user-copy recovery, the user fault handler or the panic. Runs with interrupts off.
using PageFaultResolver = bool (*)(Core::u64 address, const RegisterState& registers);
void set_page_fault_resolver(PageFaultResolver resolver);

// Whether the calling CPU is running an interrupt handler (blocking and allocating there
// are bugs the scheduler and the heap check for).
[[nodiscard]] bool in_interrupt_handler();

// Interrupts that arrived on a vector without a handler (acknowledged and dropped).
[[nodiscard]] Core::u64 unexpected_interrupt_count();

// "Page Fault", "General Protection" and so on; "Interrupt" for vectors >= 32.
[[nodiscard]] Core::StringView exception_name(Core::u64 vector);
// "#PF", "#GP", ...; empty for vectors >= 32.
[[nodiscard]] Core::StringView exception_mnemonic(Core::u64 vector);

// How many #BP (int3) traps were handled since boot. A breakpoint is not fatal: the
// handler counts it and resumes after the int3.
[[nodiscard]] Core::u64 breakpoint_count();

} // namespace Kernel::Arch
