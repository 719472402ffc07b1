#pragma once

// Every user thread's block of per-thread state, at its thread pointer (FS base,
// thread_set_pointer): the first word points to the block itself, as on every x86-64
// system, so %fs:0 finds it. Start.S reserves one at the top of each thread's stack, for
// main's thread and for every thread that starts at _thread_start, and points FS at it
// (raeen_thread_setup) before the thread's code runs.

#include <stdint.h>

namespace Runtime {

struct ThreadBlock {
    ThreadBlock* self;
    // errno (Userland/LibC/include/errno.h).
    int error_number;
    int reserved_int;
    // The thread's pthread record (Userland/LibC/Threads.cpp), null until it has one.
    void* posix_thread;
    // The thread's values of pthread keys (pthread_setspecific), null until it sets one.
    void** thread_specific;
    uint64_t reserved[4];
};
static_assert(sizeof(ThreadBlock) == 64, "Start.S reserves 64 bytes");

// The calling thread's block.
inline ThreadBlock* current_thread_block()
{
    ThreadBlock* block;
    // A load through FS of the block's self pointer; FS was based at the block before any
    // code of the thread ran (Start.S).
    asm volatile("mov %%fs:0, %0" : "=r"(block));
    return block;
}

// The program's handle to its own process, with every right (the `self` of main), kept by
// each thread's start: what the library maps memory with (malloc).
extern uint32_t g_process_handle;
inline uint32_t process_handle()
{
    return g_process_handle;
}

} // namespace Runtime
