// Throughput of the slab cache (Kernel/Memory/SlabCache) on the host: one object
// allocated and freed in a loop (the hot path with a warm slab), and batches of 1000
// allocations followed by 1000 frees (walks the partial/full lists and grows and drains
// slabs). Each runs with the debug checks off, as in release kernels, and on, as in debug
// kernels, to show what red zones and poisoning cost.

#include <Kernel/Memory/SlabCache.h>
#include <Tests/Host/MemoryTestSupport.h>
#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using Kernel::Memory::SlabCache;
using Kernel::Memory::SlabDebugOptions;
using MemoryTestSupport::HostSlabPageSource;

namespace {

constexpr Core::u64 benchmark_secret = 0x6A09E667F3BCC908ULL;

// A benchmark whose cache mishandles its slabs measures nothing; stop loudly.
void abort_on_misuse(const std::string& problem)
{
    std::fprintf(stderr, "slab source misuse: %s\n", problem.c_str());
    std::abort();
}

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
    HostSlabPageSource source(abort_on_misuse);
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
    HostSlabPageSource source(abort_on_misuse);
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
