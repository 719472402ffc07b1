#pragma once

// Allocation that reports failure instead of throwing (the kernel has no exceptions):
//
//   auto* object = new (Core::nothrow) Thing(arguments);
//   if (!object) return ErrorCode::OutOfMemory;
//
// The kernel backs these operators with its heap (Kernel/Memory/Heap.cpp); host programs
// with malloc (Tests/Host/HostSupport.cpp).

#include <stddef.h>

namespace Core {

struct NoThrowTag {
    explicit NoThrowTag() = default;
};
inline constexpr NoThrowTag nothrow {};

} // namespace Core

[[nodiscard]] void* operator new(size_t size, const Core::NoThrowTag&) noexcept;
[[nodiscard]] void* operator new[](size_t size, const Core::NoThrowTag&) noexcept;
void operator delete(void* pointer) noexcept;
void operator delete(void* pointer, size_t size) noexcept;
void operator delete[](void* pointer) noexcept;
void operator delete[](void* pointer, size_t size) noexcept;
