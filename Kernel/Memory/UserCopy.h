#pragma once

// Copies between kernel memory and a user program's memory: the only way the kernel reads
// or writes what a user pointer names. Each copy
//   - refuses, without touching memory, a range that is NULL, outside user space, or wraps
//     (Memory::is_user_range), with ErrorCode::BadAddress;
//   - opens the SMAP window for the copy alone (Arch::UserAccessWindow);
//   - turns a fault on a user page that is missing or read-only into BadAddress, so a bad
//     pointer can never bring the kernel down (Arch::redirect_fault_in_user_copy).
// After a BadAddress the destination may hold part of the data.

//
// Inline: every system call that takes a pointer copies, most of them a few words.

#include <Core/Error.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/UserAccess.h>
#include <Kernel/Arch/x86_64/UserCopy.h>
#include <Kernel/Memory/UserRange.h>

namespace Kernel::Memory {

[[nodiscard]] inline Core::Result<void> copy_from_user(
    void* destination, Core::u64 user_source, Core::usize size)
{
    if (!is_user_range(user_source, size))
        return Core::ErrorCode::BadAddress;
    if (size == 0)
        return {};
    Arch::UserAccessWindow window;
    // The source was checked to lie in user space; a missing page there ends the copy with
    // a count left over instead of a panic.
    if (Arch::copy_user_memory(destination, reinterpret_cast<const void*>(user_source), size) != 0)
        return Core::ErrorCode::BadAddress;
    return {};
}

[[nodiscard]] inline Core::Result<void> copy_to_user(
    Core::u64 user_destination, const void* source, Core::usize size)
{
    if (!is_user_range(user_destination, size))
        return Core::ErrorCode::BadAddress;
    if (size == 0)
        return {};
    Arch::UserAccessWindow window;
    // As above: the destination lies in user space; a missing or read-only page ends the
    // copy early.
    if (Arch::copy_user_memory(reinterpret_cast<void*>(user_destination), source, size) != 0)
        return Core::ErrorCode::BadAddress;
    return {};
}

} // namespace Kernel::Memory
