#pragma once

#include <Core/Types.h>

namespace Kernel::Arch {

// The CPU state saved on the stack by the interrupt entry points (InterruptEntry.S), from
// the lowest address up. The order must match the pushes there exactly.
struct RegisterState {
    Core::u64 r15;
    Core::u64 r14;
    Core::u64 r13;
    Core::u64 r12;
    Core::u64 r11;
    Core::u64 r10;
    Core::u64 r9;
    Core::u64 r8;
    Core::u64 rbp;
    Core::u64 rdi;
    Core::u64 rsi;
    Core::u64 rdx;
    Core::u64 rcx;
    Core::u64 rbx;
    Core::u64 rax;
    Core::u64 vector;
    // The CPU's error code for vectors that have one, zero for the rest.
    Core::u64 error_code;
    // Pushed by the CPU itself.
    Core::u64 rip;
    Core::u64 cs;
    Core::u64 rflags;
    Core::u64 rsp;
    Core::u64 ss;
};

static_assert(sizeof(RegisterState) == 22 * 8);

} // namespace Kernel::Arch
