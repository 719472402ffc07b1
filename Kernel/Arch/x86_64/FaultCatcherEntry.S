// Assembly half of FaultCatcher.cpp.
//
// struct RecoveryContext layout (must match FaultCatcher.cpp):
//   0 rbx, 8 rbp, 16 r12, 24 r13, 32 r14, 40 r15, 48 rsp after return, 56 return address

    .section .text, "ax"
    .code64

// u64 fault_catcher_run(RecoveryContext* context, void (*function)(void*), void* argument)
// Returns 0 when the function returned normally, 1 when a fault was caught.
    .global fault_catcher_run
fault_catcher_run:
    mov %rbx, 0(%rdi)
    mov %rbp, 8(%rdi)
    mov %r12, 16(%rdi)
    mov %r13, 24(%rdi)
    mov %r14, 32(%rdi)
    mov %r15, 40(%rdi)
    lea 8(%rsp), %rax
    mov %rax, 48(%rdi)
    mov (%rsp), %rax
    mov %rax, 56(%rdi)
    mov %rsi, %rax
    mov %rdx, %rdi
    // RSP is 8 mod 16 here (after our caller's call); realign for the call below.
    sub $8, %rsp
    call *%rax
    add $8, %rsp
    xor %eax, %eax
    ret

// Entered from the exception return path with RDI = the RecoveryContext: restores the
// catcher's callee-saved registers and stack and returns 1 to its caller.
    .global fault_catcher_resume
fault_catcher_resume:
    mov 0(%rdi), %rbx
    mov 8(%rdi), %rbp
    mov 16(%rdi), %r12
    mov 24(%rdi), %r13
    mov 32(%rdi), %r14
    mov 40(%rdi), %r15
    mov 48(%rdi), %rsp
    mov $1, %eax
    jmp *56(%rdi)
