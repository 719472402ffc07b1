#pragma once

// Where a growable container (Core::Vector) gets its storage. The heap is the default;
// an owner can pass another allocator, which is how host tests make an allocation fail at
// a chosen moment and check that the failure comes back as OutOfMemory and changes
// nothing.

#include <Core/NoThrow.h>
#include <Core/Types.h>

namespace Core {

class Allocator {
public:
    // Every allocation is aligned to at least this many bytes (the kernel heap's alignment).
    static constexpr usize alignment = 16;

    // `size` bytes (size > 0), or null when there is no memory for them. Never panics.
    [[nodiscard]] virtual void* allocate(usize size) = 0;
    // Gives back storage that allocate() of this same allocator returned.
    virtual void deallocate(void* storage) = 0;

protected:
    ~Allocator() = default;
};

// The no-throw heap: the kernel heap in the kernel, malloc in host programs.
class HeapAllocator final : public Allocator {
public:
    void* allocate(usize size) override { return ::operator new(size, nothrow); }
    void deallocate(void* storage) override { ::operator delete(storage); }
};

// The shared HeapAllocator. It has no state, a constant initialiser and a trivial
// destructor, so the static needs no guard and no registered destructor.
inline Allocator& heap_allocator()
{
    static HeapAllocator s_heap_allocator;
    return s_heap_allocator;
}

} // namespace Core
