#pragma once

// Allocators that find their own metadata or freed memory damaged (a double free, a write
// after free, a smashed red zone, a forged free-list pointer) report it here. The kernel
// installs a handler that panics with the report; host tests install one that records it.
// The damage is always a kernel bug, never outside input, so it is never returned as an
// ordinary error.

#include <Core/StringView.h>
#include <Core/Types.h>

namespace Kernel::Memory {

struct CorruptionReport {
    // What was found: "double free", "write after free", "red zone overwritten", ...
    Core::StringView kind;
    // Which allocator: "buddy", or the slab cache's name.
    Core::StringView allocator;
    // The object or frame concerned, and where in it the damage was seen.
    Core::u64 address;
    Core::u64 offset;
};

using CorruptionHandler = void (*)(const CorruptionReport& report);

} // namespace Kernel::Memory
