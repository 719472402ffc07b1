#pragma once

// The one TLB invalidation API. Whoever changes a page table calls exactly one of these
// afterwards, naming what changed:
//
//   invalidate_page(address)          one page
//   invalidate_range(start, length)   a run of pages
//   invalidate_address_space()        everything (all mappings of the address space)
//
// Each call invalidates on the calling CPU, then sends a shootdown to every other online
// CPU and waits until all of them have invalidated too.

#include <Core/Types.h>

namespace Kernel::Memory {

void invalidate_page(Core::u64 virtual_address);
void invalidate_range(Core::u64 start, Core::u64 length);
void invalidate_address_space();

// Statistics, for tests and diagnostics.
struct TlbInvalidationCounts {
    Core::u64 pages;
    Core::u64 full_flushes;
    Core::u64 shootdowns; // invalidations that other CPUs had to carry out too
};
[[nodiscard]] TlbInvalidationCounts tlb_invalidation_counts();

} // namespace Kernel::Memory
