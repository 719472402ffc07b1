#pragma once

// The system call instruction's set-up and entry (SyscallEntry.S), and the way into user
// mode. The dispatcher (Kernel/Syscalls) decides what each call does.

#include <Core/Types.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/RegisterState.h>

namespace Kernel::Arch {

// The vector number SyscallEntry.S records in a system call's RegisterState (no interrupt
// uses 256), so a frame tells whether it came from `syscall`.
inline constexpr Core::u64 syscall_frame_vector = 256;

// Enables `syscall` on the calling CPU: EFER.SCE, the selectors (STAR), the entry point
// (LSTAR), and the RFLAGS bits cleared on entry (FMASK: interrupts, trap, direction, AC,
// nested task). Every CPU calls it once, after its GDT is loaded.
void initialize_syscalls_on_this_cpu();

// Records the kernel stack the running thread enters on from user mode: by `syscall`
// (the Processor field SyscallEntry.S reads) and by interrupts (TSS.rsp0). The scheduler
// calls it on every switch, so it is inline.
inline void set_kernel_entry_stack(Core::u64 stack_top)
{
    Processor& processor = current_processor();
    processor.kernel_stack_top = stack_top;
    processor.task_state.rsp[0] = stack_top;
}

// Whether the saved state was interrupted in user mode.
[[nodiscard]] inline bool came_from_user_mode(const RegisterState& registers)
{
    return (registers.cs & 3) == 3;
}

} // namespace Kernel::Arch

extern "C" [[noreturn]] void enter_user_mode(Core::u64 instruction_pointer, Core::u64 stack_pointer,
    Core::u64 argument, Core::u64 second_argument, Core::u64 third_argument);
