// switch_kernel_stack(u64* save_stack_pointer, u64 next_stack_pointer)
//
// Saves RFLAGS and the callee-saved registers of the running thread on its own stack, stores its stack
// pointer in *save_stack_pointer, switches to next_stack_pointer and restores the next
// thread's callee-saved registers from there. The caller-saved registers need no saving:
// this is an ordinary call as far as the compiler is concerned. Interrupts are off across
// the switch (the scheduler guarantees it), so no handler runs on a half-switched stack.
//
// A new thread's stack is prepared (Thread::create in Scheduler.cpp) to look as if it had
// called this function: six saved registers (zero, except R12 = the Thread), RFLAGS (only
// the reserved bit: interrupts off, AC clear), then thread_start's address as the return
// address.

    .section .text, "ax"
    .code64
    .global switch_kernel_stack
switch_kernel_stack:
    // RFLAGS too: a switch can happen inside an interrupt's exit path, and each thread
    // must get back its own flags (AC above all: SMAP must stay on for a thread that had
    // it on).
    pushfq
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    popfq
    ret

// First code of every thread: the prepared stack "returns" here with the thread in R12.
    .global thread_start
thread_start:
    mov %r12, %rdi
    // RSP is the stack's 16-byte aligned top here; the call pushes the return address, so
    // thread_main starts with RSP = 8 mod 16, as the ABI requires.
    call thread_main
    ud2
