#include <Core/NoThrow.h>
#include <Kernel/Memory/Heap.h>
#include <Kernel/Test/KernelTest.h>

namespace {

struct Tracked {
    explicit Tracked(Core::u64 value)
        : value(value)
    {
        ++live;
    }
    ~Tracked() { --live; }
    Core::u64 value;
    static inline int live = 0;
};

} // namespace

KERNEL_TEST(heap, every_size_class_round_trips)
{
    auto before = Kernel::Memory::heap_statistics();
    void* pointers[12] {};
    Core::usize sizes[12] = { 1, 15, 16, 17, 63, 100, 256, 500, 1024, 1500, 2048, 2047 };
    for (Core::usize index = 0; index < 12; ++index) {
        auto memory = Kernel::Memory::allocate(sizes[index]);
        EXPECT(!memory.is_error());
        if (memory.is_error())
            return;
        pointers[index] = memory.value();
        EXPECT_EQ(reinterpret_cast<Core::u64>(pointers[index]) % 16, 0u);
        __builtin_memset(pointers[index], static_cast<int>(index), sizes[index]);
    }
    EXPECT_EQ(Kernel::Memory::heap_statistics().slab_objects_in_use, before.slab_objects_in_use + 12);
    for (Core::usize index = 0; index < 12; ++index) {
        auto* bytes = static_cast<Core::u8*>(pointers[index]);
        EXPECT_EQ(bytes[sizes[index] - 1], index);
        Kernel::Memory::free(pointers[index]);
    }
    EXPECT_EQ(Kernel::Memory::heap_statistics().slab_objects_in_use, before.slab_objects_in_use);
}

KERNEL_TEST(heap, large_allocations_are_whole_pages)
{
    auto before = Kernel::Memory::heap_statistics();
    auto memory = Kernel::Memory::allocate(3 * 4096 + 1);
    EXPECT(!memory.is_error());
    if (memory.is_error())
        return;
    EXPECT_EQ(reinterpret_cast<Core::u64>(memory.value()) % 4096, 0u);
    auto during = Kernel::Memory::heap_statistics();
    EXPECT_EQ(during.large_allocations, before.large_allocations + 1);
    EXPECT_EQ(during.large_allocation_pages, before.large_allocation_pages + 4);
    __builtin_memset(memory.value(), 0x5C, 3 * 4096 + 1);
    Kernel::Memory::free(memory.value());
    EXPECT_EQ(Kernel::Memory::heap_statistics().large_allocations, before.large_allocations);
}

KERNEL_TEST(heap, impossible_requests_are_errors)
{
    EXPECT(Kernel::Memory::allocate(0).is_error());
    auto huge = Kernel::Memory::allocate(1ull << 40);
    EXPECT(huge.is_error());
    Kernel::Memory::free(nullptr);
}

KERNEL_TEST(heap, new_nothrow_constructs_and_delete_destroys)
{
    auto* object = new (Core::nothrow) Tracked(77);
    EXPECT(object != nullptr);
    if (!object)
        return;
    EXPECT_EQ(object->value, 77u);
    EXPECT_EQ(Tracked::live, 1);
    delete object;
    EXPECT_EQ(Tracked::live, 0);
}

KERNEL_TEST(heap, typed_cache_for_a_hot_object_type)
{
    // Static: a cache must outlive its slabs, and slabs are kept for reuse.
    static Kernel::Memory::TypedSlabCache<Tracked> cache("test-tracked",
        Kernel::Memory::kernel_slab_page_source(), Kernel::Memory::kernel_slab_debug_options(),
        Kernel::Memory::new_freelist_secret());
    auto first = cache.create(1);
    auto second = cache.create(2);
    EXPECT(!first.is_error() && !second.is_error());
    if (first.is_error() || second.is_error())
        return;
    EXPECT(first.value() != second.value());
    EXPECT_EQ(Tracked::live, 2);
    cache.destroy(first.value());
    cache.destroy(second.value());
    EXPECT_EQ(Tracked::live, 0);
}

KERNEL_PANIC_TEST(heap, double_free_is_reported)
{
    auto memory = Kernel::Memory::allocate(64);
    EXPECT(!memory.is_error());
    if (memory.is_error())
        return;
    Kernel::Memory::free(memory.value());
    Kernel::Memory::free(memory.value());
    test_context.fail("a double free went unnoticed", __FILE__, __LINE__);
}

KERNEL_PANIC_TEST(heap, write_after_free_is_reported)
{
    // Fill the cache's current slab so that the freed object is the next one handed out.
    auto memory = Kernel::Memory::allocate(128);
    EXPECT(!memory.is_error());
    if (memory.is_error())
        return;
    auto* stale = static_cast<volatile Core::u8*>(memory.value());
    Kernel::Memory::free(memory.value());
    stale[40] = 0x99;
    // The poison check runs when the object is handed out again.
    auto again = Kernel::Memory::allocate(128);
    (void)again;
    test_context.fail("a write after free went unnoticed", __FILE__, __LINE__);
}
