#pragma once

// Fixed virtual addresses of the boot address space built in Boot.S. docs/boot.md draws
// the map. The memory manager (M1.2) keeps these regions and adds its own.

#include <Core/Types.h>

namespace Kernel::Arch {

// The kernel image is linked here (-mcmodel=kernel) and maps physical 0..2 GiB.
inline constexpr Core::u64 kernel_virtual_base = 0xFFFFFFFF80000000ull;
// All physical memory the boot tables cover (the first 4 GiB) appears here.
inline constexpr Core::u64 direct_map_base = 0xFFFF800000000000ull;
inline constexpr Core::u64 direct_map_size = 4ull * 1024 * 1024 * 1024;

// User space: the lower half, less its first 64 KiB (so that NULL and small offsets from it
// are never mapped) and its last page (so that no instruction can run up to the end of the
// lower half, where the next address is not canonical and sysret would fault in ring 0).
inline constexpr Core::u64 user_space_base = 0x10000ull;
inline constexpr Core::u64 user_space_end = 0x0000800000000000ull - 0x1000;

// Returns the direct-map address of a physical range, or nullptr when the range is not
// (entirely) covered by the boot direct map. Meant for early boot, before the memory
// manager runs; afterwards the direct map holds only RAM and the device ranges the kernel
// mapped (Memory::physical_to_virtual), so a non-null result is not proof of a mapping.
inline void* physical_to_virtual(Core::u64 physical_address, Core::u64 length)
{
    if (physical_address >= direct_map_size || length > direct_map_size - physical_address)
        return nullptr;
    // The check above keeps the whole range below direct_map_size, and Boot.S maps that
    // much physical memory at direct_map_base, so the resulting address is mapped.
    return reinterpret_cast<void*>(direct_map_base + physical_address);
}

} // namespace Kernel::Arch
