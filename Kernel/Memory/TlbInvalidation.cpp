#include <Kernel/Arch/x86_64/CPUFeatures.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>
#include <Kernel/Arch/x86_64/TLB.h>
#include <Kernel/Memory/PhysicalPage.h>
#include <Kernel/Memory/TlbInvalidation.h>

namespace Kernel::Memory {

namespace {

// Beyond this many pages one full flush is cheaper than a run of invlpg instructions.
constexpr Core::u64 full_flush_threshold_pages = 32;

Core::u64 s_pages_invalidated = 0;
Core::u64 s_full_flushes = 0;
Core::u64 s_shootdowns = 0;

struct InvalidationRequest {
    Core::u64 first_page;
    Core::u64 page_count; // 0 means everything
};

void invalidate_locally(const InvalidationRequest& request)
{
    if (request.page_count == 0) {
        // Kernel mappings are global, so "everything" must include global entries.
        if (Arch::cpu_features().invpcid)
            Arch::invalidate_everything_with_invpcid();
        else
            Arch::invalidate_everything_locally();
        return;
    }
    for (Core::u64 index = 0; index < request.page_count; ++index)
        Arch::invalidate_page_locally(request.first_page + index * page_size);
}

// Invalidates on this CPU, then on every other online CPU (the shootdown), and returns when
// all have done it, so that no CPU can still use the old entry afterwards. Today every CPU
// shares the kernel address space, so all of them are asked.
void invalidate_everywhere(InvalidationRequest request)
{
    invalidate_locally(request);
    if (Arch::online_processor_count() > 1) {
        Arch::run_on_other_processors(
            [](void* argument) { invalidate_locally(*static_cast<const InvalidationRequest*>(argument)); },
            &request);
        __atomic_add_fetch(&s_shootdowns, 1, __ATOMIC_RELAXED);
    }
}

} // namespace

void invalidate_page(Core::u64 virtual_address)
{
    invalidate_everywhere({ virtual_address & ~(page_size - 1), 1 });
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
    Core::u64 page_count = (end - first_page + page_size - 1) / page_size;
    invalidate_everywhere({ first_page, page_count });
    __atomic_add_fetch(&s_pages_invalidated, page_count, __ATOMIC_RELAXED);
}

void invalidate_address_space()
{
    invalidate_everywhere({ 0, 0 });
    __atomic_add_fetch(&s_full_flushes, 1, __ATOMIC_RELAXED);
}

TlbInvalidationCounts tlb_invalidation_counts()
{
    return { __atomic_load_n(&s_pages_invalidated, __ATOMIC_RELAXED),
        __atomic_load_n(&s_full_flushes, __ATOMIC_RELAXED),
        __atomic_load_n(&s_shootdowns, __ATOMIC_RELAXED) };
}

} // namespace Kernel::Memory
