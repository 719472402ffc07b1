#include <Core/NoThrow.h>
#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/BuildConfiguration.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/BuddyAllocator.h>
#include <Kernel/Memory/Heap.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Panic/Panic.h>
#include <Kernel/Security/BootEntropy.h>

namespace Kernel::Memory {

namespace {

constexpr Core::usize size_class_count = 8;
constexpr Core::usize smallest_size_class = 16;
constexpr Core::usize largest_size_class = smallest_size_class << (size_class_count - 1);
constexpr Core::usize heap_alignment = 16;

constexpr const char* size_class_names[size_class_count] = {
    "kmalloc-16",
    "kmalloc-32",
    "kmalloc-64",
    "kmalloc-128",
    "kmalloc-256",
    "kmalloc-512",
    "kmalloc-1024",
    "kmalloc-2048",
};

class KernelSlabPageSource final : public SlabPageSource {
public:
    Core::Result<void*> allocate_slab(Core::u32 order, SlabCache& cache) override
    {
        Core::u64 physical = TRY(allocate_physical_pages(order, PageUse::HeapSlab));
        // Every page of the slab names its cache: free() may get a pointer into any of them.
        for (Core::u64 page = 0; page < (1ull << order); ++page) {
            PhysicalPage* entry = physical_page(physical + page * page_size);
            entry->use = PageUse::HeapSlab;
            entry->owner = &cache;
        }
        return physical_to_virtual(physical);
    }

    void free_slab(void* slab, Core::u32 order) override
    {
        // `slab` came from allocate_slab(), i.e. physical_to_virtual(physical), which is
        // direct_map_base + physical, so subtracting the base recovers the frame address.
        Core::u64 physical = reinterpret_cast<Core::u64>(slab) - Arch::direct_map_base;
        for (Core::u64 page = 0; page < (1ull << order); ++page) {
            PhysicalPage* entry = physical_page(physical + page * page_size);
            entry->owner = nullptr;
            entry->use = PageUse::None;
        }
        free_physical_pages(physical, order);
    }
};

KernelSlabPageSource s_slab_page_source;

// The caches live in static storage and are constructed by initialize_heap(), once the
// boot random source can give them free-list secrets.
alignas(SlabCache) Core::u8 s_cache_storage[size_class_count][sizeof(SlabCache)];
SlabCache* s_size_classes[size_class_count] {};

// Lock order (docs/lock-order.md): heap, then physical-memory, then log.
Locking::Spinlock s_heap_lock("heap", Locking::LockRank::Heap);
Core::usize s_large_allocations = 0;
Core::usize s_large_allocation_pages = 0;

Core::usize size_class_index(Core::usize size)
{
    Core::usize index = 0;
    Core::usize class_size = smallest_size_class;
    while (class_size < size) {
        class_size <<= 1;
        ++index;
    }
    return index;
}

Core::u32 order_for_pages(Core::u64 pages)
{
    Core::u32 order = 0;
    while ((1ull << order) < pages)
        ++order;
    return order;
}

// The frame database entry behind a heap pointer, or nullptr when the pointer is not in
// the direct map at all.
PhysicalPage* page_of(const void* pointer)
{
    // Only the integer address is used, to look up the frame database; the pointer itself
    // may be anything a buggy caller passed and is never dereferenced here.
    auto address = reinterpret_cast<Core::u64>(pointer);
    if (address < Arch::direct_map_base)
        return nullptr;
    return physical_page(address - Arch::direct_map_base);
}

} // namespace

SlabPageSource& kernel_slab_page_source()
{
    return s_slab_page_source;
}

SlabDebugOptions kernel_slab_debug_options()
{
    return { .red_zones = is_debug_build, .poison = is_debug_build };
}

Core::u64 new_freelist_secret()
{
    return Security::boot_random_u64().value;
}

void initialize_heap()
{
    for (Core::usize index = 0; index < size_class_count; ++index) {
        // Each s_cache_storage row is sizeof(SlabCache) bytes aligned for SlabCache and
        // still unconstructed: initialize_heap() runs once, at boot.
        s_size_classes[index]
            = new (s_cache_storage[index]) SlabCache(size_class_names[index], smallest_size_class << index,
                heap_alignment, s_slab_page_source, kernel_slab_debug_options(), new_freelist_secret());
        s_size_classes[index]->set_corruption_handler(panic_on_memory_corruption);
    }
    auto options = kernel_slab_debug_options();
    Log::info("memory: heap ready: {} size classes up to {} bytes, red zones {}, poisoning {}",
        size_class_count, largest_size_class, options.red_zones, options.poison);
}

Core::Result<void*> allocate(Core::usize size)
{
    // Interrupt handlers must not allocate (rule 6): debug kernels stop at the first that does.
    if constexpr (is_debug_build) {
        if (Arch::in_interrupt_handler())
            Panic::panic("memory: heap allocation of {} bytes inside an interrupt handler", size);
    }
    if (size == 0)
        return Core::ErrorCode::InvalidArgument;
    if (size <= largest_size_class) {
        Locking::SpinlockLocker locker(s_heap_lock);
        return s_size_classes[size_class_index(size)]->allocate();
    }
    Core::u64 pages = (static_cast<Core::u64>(size) + page_size - 1) / page_size;
    Core::u32 order = order_for_pages(pages);
    if (order > BuddyAllocator::max_order)
        return Core::ErrorCode::InvalidArgument;
    Core::u64 physical = TRY(allocate_physical_pages(order, PageUse::HeapLarge));
    {
        Locking::SpinlockLocker locker(s_heap_lock);
        ++s_large_allocations;
        s_large_allocation_pages += 1ull << order;
    }
    return physical_to_virtual(physical);
}

void free(void* pointer)
{
    if (!pointer)
        return;
    PhysicalPage* page = page_of(pointer);
    {
        // The owner is read under the heap lock: releasing a slab clears it under the same
        // lock, so a free can never reach a slab that is being given back.
        Locking::SpinlockLocker locker(s_heap_lock);
        if (page && page->use == PageUse::HeapSlab && page->owner) {
            // For a HeapSlab frame, owner is the SlabCache that allocate_slab() stored in
            // every page of the slab; SlabCache::free() still validates the pointer itself.
            auto* cache = static_cast<SlabCache*>(page->owner);
            cache->free(pointer);
            // Keep one empty slab per cache for the next allocation; give the rest back.
            if (cache->empty_slab_count() > 1)
                cache->release_empty_slabs();
            return;
        }
    }
    // The address is only checked against the frame database below; nothing is read
    // through the pointer.
    auto address = reinterpret_cast<Core::u64>(pointer);
    bool is_large_block = page && page->use == PageUse::HeapLarge && page->is_block_head
        && page->state == PageState::Allocated && (address & (page_size - 1)) == 0;
    if (!is_large_block) {
        panic_on_memory_corruption(
            { "invalid free (not a heap pointer, or already freed)", "kmalloc", address, 0 });
    }
    Core::u32 order = page->order;
    page->use = PageUse::None;
    free_physical_pages(address - Arch::direct_map_base, order);
    Locking::SpinlockLocker locker(s_heap_lock);
    --s_large_allocations;
    s_large_allocation_pages -= 1ull << order;
}

HeapStatistics heap_statistics()
{
    Locking::SpinlockLocker locker(s_heap_lock);
    HeapStatistics statistics { 0, 0, s_large_allocations, s_large_allocation_pages };
    for (SlabCache* cache : s_size_classes) {
        if (!cache)
            continue;
        statistics.slab_objects_in_use += cache->objects_in_use();
        statistics.slab_count += cache->slab_count();
    }
    return statistics;
}

} // namespace Kernel::Memory

void* operator new(size_t size, const Core::NoThrowTag&) noexcept
{
    auto memory = Kernel::Memory::allocate(size);
    return memory.is_error() ? nullptr : memory.value();
}

void* operator new[](size_t size, const Core::NoThrowTag&) noexcept
{
    auto memory = Kernel::Memory::allocate(size);
    return memory.is_error() ? nullptr : memory.value();
}

void operator delete(void* pointer) noexcept
{
    Kernel::Memory::free(pointer);
}

void operator delete(void* pointer, size_t) noexcept
{
    Kernel::Memory::free(pointer);
}

void operator delete[](void* pointer) noexcept
{
    Kernel::Memory::free(pointer);
}

void operator delete[](void* pointer, size_t) noexcept
{
    Kernel::Memory::free(pointer);
}
