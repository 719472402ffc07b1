#pragma once

// System call numbers and conventions, shared by the kernel and user space. The one source
// of truth; docs/abi/syscalls.md describes each call. Numbers are never renumbered or
// reused: new calls are appended.
//
// Convention (x86-64): the number in RAX; arguments in RDI, RSI, RDX, R10, R8, R9; the
// `syscall` instruction. The result comes back in RAX: a non-negative value on success,
// or the negated ErrorCode on failure. RCX and R11 are clobbered (the instruction uses
// them); every other register is preserved.

#include <stdint.h>

namespace ABI {

enum class Syscall : uint64_t {
    // debug_log(const char* text, size_t length): writes the text to the kernel log,
    // attributed to the calling thread. 0, or -BadAddress / -InvalidArgument.
    DebugLog = 1,
    // thread_exit(int64_t status): ends the calling thread. Does not return.
    ThreadExit = 2,
};

// The longest text debug_log accepts.
inline constexpr uint64_t debug_log_maximum_length = 512;

// The exit status of a thread that a fault in user mode ended: this base less the vector
// (a page fault, vector 14, gives -1014).
inline constexpr int64_t fault_exit_status_base = -1000;

} // namespace ABI
