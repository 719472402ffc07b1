// System call entry (the `syscall` instruction) and the first entry into user mode.
//
// syscall arrives here with RCX = the user's return address, R11 = the user's RFLAGS,
// CS/SS set from STAR, interrupts, trap flag, direction flag and AC cleared (FMASK), and
// RSP still the user's. The entry switches to the running thread's kernel stack (the
// Processor's kernel_stack_top, reached through GS after swapgs) and builds the same
// frame an interrupt from user mode would: SS, RSP, RFLAGS, CS, RIP, an error code of 0,
// vector syscall_frame_vector, then the general registers (Arch::RegisterState). So the
// dispatcher reads the system call number and arguments from one structure, writes the
// result into its RAX, and everything leaves through one path. The return uses sysretq
// with the frame's RIP, RFLAGS and RSP (iretq for a RIP sysretq cannot take).

    .set processor_kernel_stack_top_offset, 16
    .set processor_user_stack_scratch_offset, 24
    .set user_data_selector, 0x1B
    .set user_code_selector, 0x23
    .set syscall_frame_vector, 256

#include "SavedRegisters.inc"

    .section .text, "ax"
    .code64
    .global syscall_entry
syscall_entry:
    swapgs
    mov %rsp, %gs:processor_user_stack_scratch_offset
    mov %gs:processor_kernel_stack_top_offset, %rsp
    pushq $user_data_selector
    pushq %gs:processor_user_stack_scratch_offset
    pushq %r11
    pushq $user_code_selector
    pushq %rcx
    pushq $0
    pushq $syscall_frame_vector
    push_general_registers
    // 22 words pushed onto a 16-byte aligned stack top: RSP is 16-byte aligned at the call.
    mov %rsp, %rdi
    sti
    call syscall_dispatch
    cli
    pop_general_registers
    add $16, %rsp
    // The frame now holds RIP, CS, RFLAGS, RSP, SS. The return is sysretq, which loads RIP
    // from RCX and RFLAGS from R11 (both clobbered by the ABI, so free here) and the user
    // selectors from STAR, but not RSP, which is set by hand just before it.
    //
    // Invariants: interrupts are off from here to the sysretq, so nothing runs in between
    // on the user stack (NMI and machine check arrive on IST stacks of their own); the
    // frame's CS and SS are the user selectors STAR yields (nothing changes them). sysretq
    // to a non-canonical RIP would raise #GP in ring 0 with the user's RSP loaded, so a RIP
    // outside the lower half (possible only if the syscall instruction ended exactly at its
    // top, or if a frame was changed) leaves through iretq instead, which faults, if at
    // all, in user mode.
    mov (%rsp), %rcx
    mov %rcx, %r11
    shr $47, %r11
    jnz 1f
    mov 16(%rsp), %r11
    mov 24(%rsp), %rsp
    swapgs
    sysretq
1:
    swapgs
    iretq

// [[noreturn]] void enter_user_mode(u64 instruction_pointer, u64 stack_pointer, u64 argument,
//                                   u64 second_argument, u64 third_argument)
//
// Leaves the kernel for user mode at instruction_pointer with stack_pointer, the arguments
// in RDI, RSI and RDX, interrupts on and every other general register zeroed, so that nothing of the
// kernel's leaks to the program. The kernel frames below on this stack are abandoned: the
// thread comes back into the kernel only through syscall_entry or an interrupt, at the top
// of the stack.
    .global enter_user_mode
enter_user_mode:
    cli
    pushq $user_data_selector
    pushq %rsi
    pushq $0x202
    pushq $user_code_selector
    pushq %rdi
    mov %rdx, %rdi
    mov %rcx, %rsi
    mov %r8, %rdx
    xor %eax, %eax
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %ebp, %ebp
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r11d, %r11d
    xor %r12d, %r12d
    xor %r13d, %r13d
    xor %r14d, %r14d
    xor %r15d, %r15d
    swapgs
    iretq
