#include <Kernel/Arch/x86_64/CPUFeatures.h>
#include <Kernel/Arch/x86_64/TLB.h>
#include <Kernel/Memory/PhysicalPage.h>
#include <Kernel/Memory/TlbInvalidation.h>

namespace Kernel::Memory {

namespace {

// Beyond this many pages one full flush is cheaper than a run of invlpg instructions.
constexpr Core::u64 full_flush_threshold_pages = 32;

Core::u64 s_pages_invalidated = 0;
Core::u64 s_full_flushes = 0;

} // namespace

void invalidate_page(Core::u64 virtual_address)
{
    Arch::invalidate_page_locally(virtual_address);
    __atomic_add_fetch(&s_pages_invalidated, 1, __ATOMIC_RELAXED);
}

void invalidate_range(Core::u64 start, Core::u64 length)
{
    Core::u64 first_page = start & ~(page_size - 1);
    Core::u64 end = start + length;
    if (end < start || (end - first_page) / page_size > full_flush_threshold_pages) {
        invalidate_address_space();
        return;
    }
    for (Core::u64 page = first_page; page < end; page += page_size)
        invalidate_page(page);
}

void invalidate_address_space()
{
    // Kernel mappings are global, so "the whole address space" must include global entries.
    if (Arch::cpu_features().invpcid)
        Arch::invalidate_everything_with_invpcid();
    else
        Arch::invalidate_everything_locally();
    __atomic_add_fetch(&s_full_flushes, 1, __ATOMIC_RELAXED);
}

TlbInvalidationCounts tlb_invalidation_counts()
{
    return { __atomic_load_n(&s_pages_invalidated, __ATOMIC_RELAXED),
        __atomic_load_n(&s_full_flushes, __ATOMIC_RELAXED) };
}

} // namespace Kernel::Memory
