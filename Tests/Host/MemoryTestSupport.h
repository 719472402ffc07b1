// Fakes and recorders shared by the host tests and benchmarks of the memory allocators
// (buddy allocator, page cache, slab cache). They are kept in one place so that a fix to a
// fake reaches every test and benchmark that relies on it.
//
// Header-only and free of GoogleTest: the benchmarks are a separate program built without
// it. Where a fake finds misuse, it hands a description to a handler chosen by the caller
// (a test turns it into a test failure, a benchmark aborts).

#pragma once

#include <Kernel/Memory/BuddyAllocator.h>
#include <Kernel/Memory/MemoryCorruption.h>
#include <Kernel/Memory/SlabCache.h>
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace MemoryTestSupport {

// ---- Corruption reports -------------------------------------------------------------------

// A CorruptionReport with its strings copied, since the report's views need not outlive
// the handler call.
struct RecordedReport {
    std::string kind;
    std::string allocator;
    Core::u64 address;
    Core::u64 offset;
};

// The corruption handler is a plain function pointer, so what it records has to live in a
// global. Every test program has one; each fixture that installs record_report clears it
// in SetUp.
inline std::vector<RecordedReport> s_recorded_reports;

// A CorruptionHandler that appends the report to s_recorded_reports.
inline void record_report(const Kernel::Memory::CorruptionReport& report)
{
    s_recorded_reports.push_back({ std::string(report.kind.characters(), report.kind.length()),
        std::string(report.allocator.characters(), report.allocator.length()), report.address,
        report.offset });
}

// The kinds of the recorded reports, in order, for comparing a sequence in one expectation.
inline std::vector<std::string> reported_kinds()
{
    std::vector<std::string> kinds;
    for (const RecordedReport& report : s_recorded_reports)
        kinds.push_back(report.kind);
    return kinds;
}

// ---- Frame contents for poisoning ---------------------------------------------------------

// The bytes of every frame in a zeroed host buffer, so that poisoning has somewhere to
// write. One frame can be made unreachable (frame_bytes returns nullptr, as for a frame the
// kernel cannot map), and calls are counted so that a test can see poisoning was consulted.
class BufferFrameMemory final : public Kernel::Memory::FrameMemory {
public:
    explicit BufferFrameMemory(Core::u64 frame_count)
        : m_bytes(frame_count * Kernel::Memory::page_size, 0)
    {
    }

    Core::u8* frame_bytes(Core::u64 frame) override
    {
        ++m_calls;
        if (frame == m_unreachable_frame || (frame + 1) * Kernel::Memory::page_size > m_bytes.size())
            return nullptr;
        return m_bytes.data() + frame * Kernel::Memory::page_size;
    }

    Core::u8& byte(Core::u64 frame, Core::u64 offset)
    {
        return m_bytes.at(frame * Kernel::Memory::page_size + offset);
    }

    bool frame_is_poisoned(Core::u64 frame) const
    {
        auto first = m_bytes.begin() + static_cast<std::ptrdiff_t>(frame * Kernel::Memory::page_size);
        return std::all_of(first, first + static_cast<std::ptrdiff_t>(Kernel::Memory::page_size),
            [](Core::u8 value) { return value == Kernel::Memory::BuddyAllocator::poison_byte; });
    }

    void set_unreachable_frame(Core::u64 frame) { m_unreachable_frame = frame; }
    Core::u64 calls() const { return m_calls; }

private:
    std::vector<Core::u8> m_bytes;
    Core::u64 m_unreachable_frame { ~Core::u64 { 0 } };
    Core::u64 m_calls { 0 };
};

// ---- Slabs for the slab cache -------------------------------------------------------------

// Slabs from aligned_alloc, tracked so that a test can count them and make them run out,
// and so that whatever a cache still holds when the source goes away is freed (caches have
// no destructor: they live as globals in the kernel). Under AddressSanitizer every byte the
// cache touches outside its slabs is caught, and under LeakSanitizer every slab it forgets.
class HostSlabPageSource final : public Kernel::Memory::SlabPageSource {
public:
    // Told what the cache did wrong when it gives back a slab it should not.
    using MisuseHandler = void (*)(const std::string& problem);

    explicit HostSlabPageSource(MisuseHandler on_misuse)
        : m_on_misuse(on_misuse)
    {
    }
    HostSlabPageSource(const HostSlabPageSource&) = delete;
    HostSlabPageSource& operator=(const HostSlabPageSource&) = delete;
    ~HostSlabPageSource()
    {
        for (auto& [slab, live_slab] : m_live_slabs)
            std::free(slab);
    }

    Core::Result<void*> allocate_slab(Core::u32 order, Kernel::Memory::SlabCache& cache) override
    {
        ++m_allocation_requests;
        m_last_requesting_cache = &cache;
        if (m_remaining_successes.has_value()) {
            if (*m_remaining_successes == 0)
                return Core::ErrorCode::OutOfMemory;
            --*m_remaining_successes;
        }
        size_t size = Kernel::Memory::page_size << order;
        void* slab = std::aligned_alloc(size, size);
        if (slab == nullptr)
            return Core::ErrorCode::OutOfMemory;
        m_live_slabs.emplace(slab, LiveSlab { order, &cache });
        return slab;
    }

    void free_slab(void* slab, Core::u32 order) override
    {
        auto found = m_live_slabs.find(slab);
        if (found == m_live_slabs.end()) {
            m_on_misuse("cache freed a slab it was never given");
            return;
        }
        if (found->second.order != order) {
            m_on_misuse("slab of order " + std::to_string(found->second.order) + " freed as order "
                + std::to_string(order));
        }
        // The header must be disowned before the pages go back, or a stale pointer into
        // them would pass for an object of the cache once the pages are reused.
        if (found->second.cache->owns(static_cast<Core::u8*>(slab) + 64))
            m_on_misuse("cache still owns a slab it freed");
        m_live_slabs.erase(found);
        std::free(slab);
        ++m_slabs_freed;
    }

    // After `count` more successful allocations, every request fails.
    void fail_after(size_t count) { m_remaining_successes = count; }
    void stop_failing() { m_remaining_successes.reset(); }

    size_t live_slab_count() const { return m_live_slabs.size(); }
    size_t allocation_requests() const { return m_allocation_requests; }
    size_t slabs_freed() const { return m_slabs_freed; }
    const Kernel::Memory::SlabCache* last_requesting_cache() const { return m_last_requesting_cache; }

private:
    struct LiveSlab {
        Core::u32 order;
        const Kernel::Memory::SlabCache* cache;
    };
    MisuseHandler m_on_misuse;
    std::map<void*, LiveSlab> m_live_slabs;
    std::optional<size_t> m_remaining_successes;
    size_t m_allocation_requests { 0 };
    size_t m_slabs_freed { 0 };
    const Kernel::Memory::SlabCache* m_last_requesting_cache { nullptr };
};

} // namespace MemoryTestSupport
