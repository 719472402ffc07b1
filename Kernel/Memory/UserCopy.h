#pragma once

// Copies between kernel memory and a user program's memory: the only way the kernel reads
// or writes what a user pointer names. Each copy
//   - refuses, without touching memory, a range that is NULL, outside user space, or wraps
//     (Memory::is_user_range), with ErrorCode::BadAddress;
//   - opens the SMAP window for the copy alone (Arch::UserAccessWindow);
//   - turns a fault on a user page that is missing or read-only into BadAddress, so a bad
//     pointer can never bring the kernel down (Arch::redirect_fault_in_user_copy).
// After a BadAddress the destination may hold part of the data.

#include <Core/Error.h>
#include <Core/Types.h>

namespace Kernel::Memory {

[[nodiscard]] Core::Result<void> copy_from_user(void* destination, Core::u64 user_source, Core::usize size);
[[nodiscard]] Core::Result<void> copy_to_user(
    Core::u64 user_destination, const void* source, Core::usize size);

} // namespace Kernel::Memory
