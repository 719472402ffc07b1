#pragma once

// Which addresses a user pointer may name. Every pointer a user program passes to the kernel
// is checked here before the kernel goes near it: a NULL pointer, an address in the kernel
// half, or a range that wraps around or runs out of user space is refused outright, so the
// copy routines (UserCopy.h) only ever touch user-space addresses.

#include <Core/Types.h>
#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>

namespace Kernel::Memory {

// Whether [address, address + size) lies inside user space. A range of size 0 touches
// nothing and is accepted at any address inside user space, up to and including its end.
[[nodiscard]] constexpr bool is_user_range(Core::u64 address, Core::u64 size)
{
    if (address < Arch::user_space_base || address > Arch::user_space_end)
        return false;
    // address <= user_space_end, so the subtraction cannot wrap, and neither can the sum
    // the comparison stands for.
    return size <= Arch::user_space_end - address;
}

} // namespace Kernel::Memory
