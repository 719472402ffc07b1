#include <Kernel/Memory/PageCache.h>

namespace Kernel::Memory {

namespace {

constexpr Core::StringView page_cache_name = "page cache";

} // namespace

Core::Result<Core::u64> PageCache::allocate(BuddyAllocator& buddy)
{
    if (m_count == 0)
        TRY(refill(buddy));
    Core::u64 frame = m_frames[--m_count];
    PhysicalPage& page = buddy.m_pages[frame];
    VERIFY(page.is_in_page_cache);
    page.is_in_page_cache = false;
    if (buddy.m_frame_memory != nullptr)
        buddy.check_poison(frame, 1, page_cache_name);
    return frame;
}

void PageCache::free(Core::u64 frame, BuddyAllocator& buddy)
{
    if (!buddy.check_allocated_block(frame, 0, page_cache_name))
        return;
    PhysicalPage& page = buddy.m_pages[frame];
    // Claimed with an atomic exchange: two CPUs freeing the same frame at once both pass
    // the check above, but only one can set the flag; the other is the double free.
    if (__atomic_exchange_n(&page.is_in_page_cache, true, __ATOMIC_ACQ_REL)) {
        buddy.report_corruption("double free", page_cache_name, frame);
        return;
    }
    if (m_count == capacity)
        drain_oldest(buddy, batch_size);
    page.use = PageUse::None;
    page.owner = nullptr;
    if (buddy.m_frame_memory != nullptr)
        buddy.poison_frames(frame, 1);
    m_frames[m_count++] = frame;
}

void PageCache::drain(BuddyAllocator& buddy)
{
    drain_oldest(buddy, m_count);
}

Core::Result<void> PageCache::refill(BuddyAllocator& buddy)
{
    // Frames fresh from the free lists are still poisoned; allocate() checks them when
    // they leave the cache, so they are not checked twice.
    while (m_count < batch_size) {
        auto block = buddy.take_block(0);
        if (block.is_error())
            break;
        buddy.m_pages[block.value()].is_in_page_cache = true;
        m_frames[m_count++] = block.value();
    }
    if (m_count == 0)
        return Core::ErrorCode::OutOfMemory;
    return {};
}

void PageCache::drain_oldest(BuddyAllocator& buddy, Core::usize frame_count)
{
    VERIFY(frame_count <= m_count);
    for (Core::usize index = 0; index < frame_count; ++index) {
        Core::u64 frame = m_frames[index];
        PhysicalPage& page = buddy.m_pages[frame];
        VERIFY(page.is_in_page_cache);
        page.is_in_page_cache = false;
        // The frame was poisoned when it entered the cache; checking it now catches a
        // write while it waited, and keeps the poison the buddy allocator expects.
        if (buddy.m_frame_memory != nullptr)
            buddy.check_poison(frame, 1, page_cache_name);
        buddy.release_block(frame, 0);
    }
    for (Core::usize index = frame_count; index < m_count; ++index)
        m_frames[index - frame_count] = m_frames[index];
    m_count -= frame_count;
}

} // namespace Kernel::Memory
