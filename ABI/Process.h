#pragma once

// Process start-up, shared by the kernel and user space (docs/abi/processes.md). Layouts
// and values are ABI: fields are never reordered or reused.

#include <ABI/Handle.h>
#include <stdint.h>

namespace ABI {

// The most handles a process can be started with, besides the handle to itself.
inline constexpr uint32_t maximum_startup_handles = 16;

// What a process's first thread finds at the address in RDX: the handles it was started
// with (process_start's, or the kernel's for process 1), in the order given. The kernel
// writes it at the top of the initial stack, so it stays valid while the program leaves
// that part of the stack alone.
struct StartupHandles {
    uint64_t count;
    HandleValue handles[maximum_startup_handles];
};

// process_start's arguments, read from user memory (the call takes their address).
struct ProcessStartArguments {
    // The executable: a static or position-independent ELF64 image in the caller's
    // memory, copied by the kernel. At most maximum_image_size bytes.
    uint64_t image_address;
    uint64_t image_size;
    // Handles of the caller to move into the new process (each needs Transfer; the caller
    // loses them): an array of handle_count values, no value twice.
    uint64_t handles_address;
    uint64_t handle_count;
    // Passed to the first thread in RDI.
    uint64_t argument;
    // No flags are defined yet: must be 0.
    uint64_t flags;
};

inline constexpr uint64_t maximum_image_size = 16ull * 1024 * 1024;

// The exit status of a process that process_kill ended.
inline constexpr int64_t killed_exit_status = -2000;
// The exit status of a process whose process_start failed once it had begun loading the
// program (the process is left exited; the caller gets the error). A start refused for its
// arguments or image leaves the process as it was.
inline constexpr int64_t start_failed_exit_status = -2001;

} // namespace ABI
