// Throughput of the physical frame allocators: the buddy allocator at orders 0, 3 and 9 on
// a 1 GiB frame database, the per-CPU PageCache in front of it, and both with poisoning
// (which touches every byte of every frame, so it runs on a smaller pool backed by a
// host buffer).
//
// Two access patterns each: a single allocate/free pair, which on a fully merged pool is
// the worst case (every allocation splits down from the largest block and every free
// merges back up), and bursts of many allocations followed by their frees, closer to a
// loaded system.

#include <Kernel/Memory/BuddyAllocator.h>
#include <Kernel/Memory/PageCache.h>
#include <Tests/Host/MemoryTestSupport.h>
#include <algorithm>
#include <benchmark/benchmark.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

using Kernel::Memory::BuddyAllocator;
using Kernel::Memory::CorruptionReport;
using Kernel::Memory::page_size;
using Kernel::Memory::PageCache;
using Kernel::Memory::PhysicalPage;
using MemoryTestSupport::BufferFrameMemory;

namespace {

constexpr Core::u64 gib = 1024 * 1024 * 1024;
constexpr Core::u64 large_pool_frames = gib / page_size;
constexpr Core::u64 poisoned_pool_frames = 64 * 1024 * 1024 / page_size;
constexpr Core::u64 burst_length = 256;

// A benchmark that corrupts the allocator measures nothing; stop loudly.
void abort_on_corruption(const CorruptionReport& report)
{
    std::fprintf(stderr, "corruption: %.*s in %.*s at %#llx+%llu\n", static_cast<int>(report.kind.length()),
        report.kind.characters(), static_cast<int>(report.allocator.length()), report.allocator.characters(),
        static_cast<unsigned long long>(report.address), static_cast<unsigned long long>(report.offset));
    std::abort();
}

// A frame database with every frame free, and optionally poisoning.
class Pool {
public:
    Pool(Core::u64 frame_count, bool poisoned)
        : m_pages(frame_count)
        , m_allocator({ m_pages.data(), m_pages.size() })
    {
        m_allocator.set_corruption_handler(abort_on_corruption);
        m_allocator.add_free_range(0, frame_count);
        if (poisoned) {
            m_memory = std::make_unique<BufferFrameMemory>(frame_count);
            m_allocator.enable_poisoning(*m_memory);
        }
    }

    BuddyAllocator& allocator() { return m_allocator; }

private:
    std::vector<PhysicalPage> m_pages;
    std::unique_ptr<BufferFrameMemory> m_memory;
    BuddyAllocator m_allocator;
};

Core::u64 allocate_or_abort(BuddyAllocator& allocator, Core::u32 order)
{
    auto result = allocator.allocate(order);
    if (result.is_error())
        std::abort();
    return result.value();
}

void run_buddy_pair(benchmark::State& state, bool poisoned)
{
    Core::u32 order = static_cast<Core::u32>(state.range(0));
    Pool pool(poisoned ? poisoned_pool_frames : large_pool_frames, poisoned);
    for ([[maybe_unused]] auto iteration : state) {
        Core::u64 frame = allocate_or_abort(pool.allocator(), order);
        benchmark::DoNotOptimize(frame);
        pool.allocator().free(frame, order);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(page_size << order));
}

void run_buddy_burst(benchmark::State& state, bool poisoned)
{
    Core::u32 order = static_cast<Core::u32>(state.range(0));
    Pool pool(poisoned ? poisoned_pool_frames : large_pool_frames, poisoned);
    // Bursts must fit the poisoned pool at order 9 (32 blocks of 2 MiB in 64 MiB).
    Core::u64 blocks_per_burst
        = std::min<Core::u64>(burst_length, (pool.allocator().free_frames() >> order) / 2);
    std::vector<Core::u64> frames(blocks_per_burst);
    for ([[maybe_unused]] auto iteration : state) {
        for (Core::u64& frame : frames)
            frame = allocate_or_abort(pool.allocator(), order);
        for (Core::u64 frame : frames)
            pool.allocator().free(frame, order);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(blocks_per_burst));
    state.SetBytesProcessed(
        state.iterations() * static_cast<std::int64_t>(blocks_per_burst * (page_size << order)));
}

void run_page_cache_pair(benchmark::State& state, bool poisoned)
{
    Pool pool(poisoned ? poisoned_pool_frames : large_pool_frames, poisoned);
    PageCache cache;
    for ([[maybe_unused]] auto iteration : state) {
        auto frame = cache.allocate(pool.allocator());
        if (frame.is_error())
            std::abort();
        benchmark::DoNotOptimize(frame.value());
        cache.free(frame.value(), pool.allocator());
    }
    cache.drain(pool.allocator());
    state.SetItemsProcessed(state.iterations());
}

// Bursts larger than the cache, so that refills and drains are part of the measurement.
void run_page_cache_burst(benchmark::State& state, bool poisoned)
{
    Pool pool(poisoned ? poisoned_pool_frames : large_pool_frames, poisoned);
    PageCache cache;
    std::vector<Core::u64> frames(burst_length);
    for ([[maybe_unused]] auto iteration : state) {
        for (Core::u64& frame : frames) {
            auto result = cache.allocate(pool.allocator());
            if (result.is_error())
                std::abort();
            frame = result.value();
        }
        for (Core::u64 frame : frames)
            cache.free(frame, pool.allocator());
    }
    cache.drain(pool.allocator());
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(burst_length));
}

void buddy_pair(benchmark::State& state)
{
    run_buddy_pair(state, false);
}
void buddy_pair_poisoned(benchmark::State& state)
{
    run_buddy_pair(state, true);
}
void buddy_burst(benchmark::State& state)
{
    run_buddy_burst(state, false);
}
void buddy_burst_poisoned(benchmark::State& state)
{
    run_buddy_burst(state, true);
}
void page_cache_pair(benchmark::State& state)
{
    run_page_cache_pair(state, false);
}
void page_cache_pair_poisoned(benchmark::State& state)
{
    run_page_cache_pair(state, true);
}
void page_cache_burst(benchmark::State& state)
{
    run_page_cache_burst(state, false);
}
void page_cache_burst_poisoned(benchmark::State& state)
{
    run_page_cache_burst(state, true);
}

BENCHMARK(buddy_pair)->Arg(0)->Arg(3)->Arg(9);
BENCHMARK(buddy_burst)->Arg(0)->Arg(3)->Arg(9);
BENCHMARK(buddy_pair_poisoned)->Arg(0)->Arg(3)->Arg(9);
BENCHMARK(buddy_burst_poisoned)->Arg(0)->Arg(3)->Arg(9);
BENCHMARK(page_cache_pair);
BENCHMARK(page_cache_burst);
BENCHMARK(page_cache_pair_poisoned);
BENCHMARK(page_cache_burst_poisoned);

} // namespace
