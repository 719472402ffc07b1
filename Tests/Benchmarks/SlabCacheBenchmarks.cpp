// Throughput of the slab cache (Kernel/Memory/SlabCache) on the host: one object
// allocated and freed in a loop (the hot path with a warm slab), and batches of 1000
// allocations followed by 1000 frees (walks the partial/full lists and grows and drains
// slabs). Each runs with the debug checks off, as in release kernels, and on, as in debug
// kernels, to show what red zones and poisoning cost.

#include <Kernel/Memory/SlabCache.h>
#include <benchmark/benchmark.h>
#include <cstdlib>
#include <map>
#include <vector>

using Kernel::Memory::page_size;
using Kernel::Memory::SlabCache;
using Kernel::Memory::SlabDebugOptions;
using Kernel::Memory::SlabPageSource;

namespace {

constexpr Core::u64 benchmark_secret = 0x6A09E667F3BCC908ULL;

// Slabs from aligned_alloc; whatever the cache still holds at the end is freed here.
class HostSlabPageSource final : public SlabPageSource {
public:
    HostSlabPageSource() = default;
    HostSlabPageSource(const HostSlabPageSource&) = delete;
    HostSlabPageSource& operator=(const HostSlabPageSource&) = delete;
    ~HostSlabPageSource()
    {
        for (auto& [slab, order] : m_live_slabs)
            std::free(slab);
    }

    Core::Result<void*> allocate_slab(Core::u32 order, SlabCache&) override
    {
        size_t size = page_size << order;
        void* slab = std::aligned_alloc(size, size);
        if (slab == nullptr)
            return Core::ErrorCode::OutOfMemory;
        m_live_slabs.emplace(slab, order);
        return slab;
    }

    void free_slab(void* slab, Core::u32) override
    {
        m_live_slabs.erase(slab);
        std::free(slab);
    }

private:
    std::map<void*, Core::u32> m_live_slabs;
};

SlabDebugOptions debug_options(benchmark::State& state)
{
    bool debug = state.range(1) != 0;
    return { debug, debug };
}

void* allocate_or_abort(SlabCache& cache)
{
    auto result = cache.allocate();
    if (result.is_error())
        std::abort();
    return result.value();
}

void allocate_free_one(benchmark::State& state)
{
    HostSlabPageSource source;
    SlabCache cache(
        "bench", static_cast<size_t>(state.range(0)), 8, source, debug_options(state), benchmark_secret);
    // Keep one object live so that the slab stays partial, as in a busy kernel.
    void* anchor = allocate_or_abort(cache);
    for (auto _ : state) {
        void* object = allocate_or_abort(cache);
        benchmark::DoNotOptimize(object);
        cache.free(object);
    }
    cache.free(anchor);
    state.SetItemsProcessed(state.iterations());
}

void allocate_then_free_batch(benchmark::State& state)
{
    constexpr size_t batch_size = 1000;
    HostSlabPageSource source;
    SlabCache cache(
        "bench", static_cast<size_t>(state.range(0)), 8, source, debug_options(state), benchmark_secret);
    std::vector<void*> objects(batch_size);
    for (auto _ : state) {
        for (void*& object : objects)
            object = allocate_or_abort(cache);
        benchmark::ClobberMemory();
        for (void* object : objects)
            cache.free(object);
    }
    state.SetItemsProcessed(state.iterations() * batch_size);
    state.counters["slabs"] = static_cast<double>(cache.slab_count());
}

} // namespace

BENCHMARK(allocate_free_one)->ArgNames({ "size", "debug" })->ArgsProduct({ { 64, 512 }, { 0, 1 } });
BENCHMARK(allocate_then_free_batch)->ArgNames({ "size", "debug" })->ArgsProduct({ { 64, 512 }, { 0, 1 } });
