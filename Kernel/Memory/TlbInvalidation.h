#pragma once

// The one TLB invalidation API. Whoever changes a page table calls exactly one of these
// afterwards, naming what changed:
//
//   invalidate_page(address)          one page
//   invalidate_range(start, length)   a run of pages
//   invalidate_address_space()        everything (all mappings of the address space)
//
// Today one CPU runs kernel code, so invalidation is local. The SMP work (M1.3) makes these
// same calls also send a shootdown to every other CPU using the address space; callers do
// not change.

#include <Core/Types.h>

namespace Kernel::Memory {

void invalidate_page(Core::u64 virtual_address);
void invalidate_range(Core::u64 start, Core::u64 length);
void invalidate_address_space();

// Statistics, for tests and diagnostics.
struct TlbInvalidationCounts {
    Core::u64 pages;
    Core::u64 full_flushes;
};
[[nodiscard]] TlbInvalidationCounts tlb_invalidation_counts();

} // namespace Kernel::Memory
