// The entry point of every user program. The kernel starts a program's first thread here
// with the stack pointer 16-byte aligned, its start argument in RDI, a handle to its own
// process in RSI and its start-up handles in RDX. After the thread's block, the global
// constructors run (raeen_run_constructors), then raeen_call_main(argument, self, startup)
// with those three as they came: a native program's main takes them as they are
// (LibC/NativeMain.cpp), a POSIX program's start turns them into argc, argv and environ
// (LibC/PosixMain.cpp). Its result goes to raeen_exit() (exit() with a 64-bit status,
// Userland/LibC/ProgramLifetime.cpp), which runs the atexit handlers and ends the process
// with it.

// Both entry points first reserve the thread's block (Runtime/ThreadBlock.h, 64 bytes) at
// the top of its stack, which keeps the stack pointer 16-byte aligned, and have
// raeen_thread_setup point FS at it. The entry arguments wait in callee-saved registers
// across that call; the entry points have no caller whose values those registers hold.
    .set thread_block_size, 64

    .section .text, "ax"
    .global _start
_start:
    xor %ebp, %ebp
    mov %rdi, %r12
    mov %rsi, %r13
    mov %rdx, %r14
    sub $thread_block_size, %rsp
    mov %rsp, %rdi
    mov %r13, %rsi
    call raeen_thread_setup
    call raeen_run_constructors
    mov %r12, %rdi
    mov %r13, %rsi
    mov %r14, %rdx
    call raeen_call_main
    // Returning from main is exit() with its result, all 64 bits of it (RaeenOS's native
    // main returns an int64_t).
    mov %rax, %rdi
    call raeen_exit
    ud2

// Where threads a program creates with thread_create start (when it passes this as the
// entry): the stack pointer 16-byte aligned, the argument in RDI and the process handle in
// RSI, as for main; thread_main(argument, self) runs, and its return value becomes the
// thread's exit status. thread_main is weak: only programs that create threads define it.
    .weak thread_main
    .global _thread_start
_thread_start:
    xor %ebp, %ebp
    mov %rdi, %r12
    mov %rsi, %r13
    sub $thread_block_size, %rsp
    mov %rsp, %rdi
    mov %r13, %rsi
    call raeen_thread_setup
    mov %r12, %rdi
    mov %r13, %rsi
    call thread_main
    mov %rax, %rdi
    mov $2, %eax
    syscall
    ud2

// Where the threads of pthread_create start (Userland/LibC/Threads.cpp): the same block,
// then raeen_pthread_main(record), which does not return.
    .global raeen_pthread_start
raeen_pthread_start:
    xor %ebp, %ebp
    mov %rdi, %r12
    sub $thread_block_size, %rsp
    mov %rsp, %rdi
    call raeen_thread_setup
    mov %r12, %rdi
    call raeen_pthread_main
    ud2
