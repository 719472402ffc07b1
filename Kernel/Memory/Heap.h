#pragma once

// The kernel heap. Requests up to 2 KiB come from slab caches, one per power-of-two size
// class; larger ones are whole pages from the buddy allocator. Running out of memory is an
// ErrorCode::OutOfMemory, never a crash. In debug builds every slab has red zones and
// poisoning, so double frees, writes after free and overruns are reported (as a panic
// naming the cache and address).
//
// Hot object types get their own cache (TypedSlabCache in SlabCache.h) next to their code.

#include <Core/Error.h>
#include <Core/Types.h>
#include <Kernel/Memory/SlabCache.h>

namespace Kernel::Memory {

// Creates the size-class caches. Called once, after the memory manager is up.
void initialize_heap();

// At least `size` bytes (16-byte aligned), not zeroed. OutOfMemory when no memory is left,
// InvalidArgument for size 0 or a size that cannot be satisfied at all.
[[nodiscard]] Core::Result<void*> allocate(Core::usize size);
// Takes back memory from allocate(); nullptr is ignored. Anything else is a kernel bug and
// is reported as memory corruption.
void free(void* pointer);

// The source of slab pages for every kernel cache: buddy blocks seen through the direct
// map, with the owning cache recorded in the frame database.
[[nodiscard]] SlabPageSource& kernel_slab_page_source();
// The debug options kernel caches use (on in debug builds) and a secret for a new cache's
// free-list encoding.
[[nodiscard]] SlabDebugOptions kernel_slab_debug_options();
[[nodiscard]] Core::u64 new_freelist_secret();

struct HeapStatistics {
    Core::usize slab_objects_in_use;
    Core::usize slab_count;
    Core::usize large_allocations;
    Core::usize large_allocation_pages;
};
[[nodiscard]] HeapStatistics heap_statistics();

} // namespace Kernel::Memory
