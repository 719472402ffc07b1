#pragma once

// The raw user-memory copy (UserCopy.S) and its fault recovery. Kernel code uses the
// checked Memory::copy_from_user / copy_to_user (Kernel/Memory/UserCopy.h) instead.

#include <Core/Types.h>

extern "C" Core::u64 copy_user_bytes(void* destination, const void* source, Core::u64 count);

namespace Kernel::Arch {

struct RegisterState;

// Copies `count` bytes; returns how many were not copied because a user page was missing
// (0 on success). The user side must already be checked to lie in user space, and the SMAP
// window must be open.
[[nodiscard]] inline Core::u64 copy_user_memory(void* destination, const void* source, Core::u64 count)
{
    // UserCopy.S: touches only the two ranges and caller-saved registers.
    return copy_user_bytes(destination, source, count);
}

// Whether `instruction_pointer` is one of the two user-copy instructions (words, then the
// bytes left), the only kernel instructions that touch user memory.
[[nodiscard]] bool is_user_copy_instruction(Core::u64 instruction_pointer);

// Called by the exception dispatcher: if `registers` describe a page fault raised by the
// user-copy instruction on a user-space address, makes the copy return early and returns
// true.
bool redirect_fault_in_user_copy(RegisterState& registers);

} // namespace Kernel::Arch
