#pragma once

// A per-CPU cache of single free frames in front of the buddy allocator. Most page
// allocations and frees are single frames; serving them from a small local stack keeps
// them off the buddy allocator's lock, which is taken once per batch instead.
//
// Cached frames stay Allocated in the frame database, so the buddy allocator never hands
// them out, and carry PhysicalPage::is_in_page_cache, so that freeing one again (to any
// CPU's cache, or to the buddy allocator) is reported as a double free. With poisoning
// enabled on the buddy allocator, a cached frame is poisoned as well and checked when it
// leaves the cache, so writes after free are caught while a frame waits here too.
//
// Locking: the cache itself belongs to one CPU and is used with preemption off. It uses
// the shared state of the buddy allocator (free lists, counters) only when it refills or
// drains, which is when needs_refill() before allocate(), is_full() before free(), and
// always in drain(); the caller holds the buddy allocator's lock around those calls. The
// other calls touch only the frame's own database entry and bytes.

#include <Core/Error.h>
#include <Core/Types.h>
#include <Kernel/Memory/BuddyAllocator.h>

namespace Kernel::Memory {

class PageCache {
public:
    static constexpr Core::usize capacity = 64;
    // Frames moved between the cache and the buddy allocator at a time: enough to make the
    // lock rare, few enough that a cache does not hoard memory other CPUs need.
    static constexpr Core::usize batch_size = 16;

    constexpr PageCache() = default;
    PageCache(const PageCache&) = delete;
    PageCache& operator=(const PageCache&) = delete;

    // A free frame, Allocated with PageUse::None like a frame from buddy.allocate(0).
    // Refills up to batch_size frames from `buddy` when the cache is empty; OutOfMemory
    // when the buddy allocator has none either.
    [[nodiscard]] Core::Result<Core::u64> allocate(BuddyAllocator& buddy);

    // Takes back a frame from allocate() or buddy.allocate(0). When the cache is full, the
    // batch_size frames that have waited longest go back to `buddy` first. A frame that is
    // not an allocated order-0 block (double free, never allocated, part of a larger
    // block) is reported through buddy's corruption handler and ignored.
    void free(Core::u64 frame, BuddyAllocator& buddy);

    // Returns every cached frame to `buddy`: before a CPU goes offline, or when memory is
    // short. A cache must be drained before it is discarded, or its frames stay cached.
    void drain(BuddyAllocator& buddy);

    [[nodiscard]] Core::usize count() const { return m_count; }
    [[nodiscard]] bool needs_refill() const { return m_count == 0; }
    [[nodiscard]] bool is_full() const { return m_count == capacity; }

private:
    [[nodiscard]] Core::Result<void> refill(BuddyAllocator& buddy);
    // Returns the `frame_count` oldest frames (the bottom of the stack) to `buddy`.
    void drain_oldest(BuddyAllocator& buddy, Core::usize frame_count);

    // A stack: allocate() takes the most recently freed frame, the one most likely still
    // in the CPU's caches.
    Core::u64 m_frames[capacity] {};
    Core::usize m_count { 0 };
};

} // namespace Kernel::Memory
