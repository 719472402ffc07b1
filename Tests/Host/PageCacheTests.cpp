// Host tests for the per-CPU PageCache in front of the buddy allocator: batched refills
// and drains, the frames' state while cached, double frees across caches and the buddy
// allocator, and poisoning of frames while they wait in a cache.

#include <Kernel/Memory/BuddyAllocator.h>
#include <Kernel/Memory/PageCache.h>
#include <Tests/Host/MemoryTestSupport.h>
#include <algorithm>
#include <gtest/gtest.h>
#include <random>
#include <set>
#include <string>
#include <vector>

using Core::ErrorCode;
using Kernel::Memory::BuddyAllocator;
using Kernel::Memory::page_size;
using Kernel::Memory::PageCache;
using Kernel::Memory::PageState;
using Kernel::Memory::PageUse;
using Kernel::Memory::PhysicalPage;
using MemoryTestSupport::BufferFrameMemory;
using MemoryTestSupport::record_report;
using MemoryTestSupport::s_recorded_reports;

namespace {

constexpr Core::u64 capacity = PageCache::capacity;
constexpr Core::u64 batch_size = PageCache::batch_size;

class PageCacheTest : public ::testing::Test {
protected:
    static constexpr Core::u64 frame_count = 1024;

    void SetUp() override
    {
        s_recorded_reports.clear();
        m_pages.assign(frame_count, PhysicalPage {});
        m_buddy = BuddyAllocator({ m_pages.data(), m_pages.size() });
        m_buddy.set_corruption_handler(record_report);
        m_buddy.add_free_range(0, frame_count);
    }

    Core::u64 allocate_from(PageCache& cache)
    {
        auto result = cache.allocate(m_buddy);
        EXPECT_FALSE(result.is_error());
        return result.is_error() ? ~Core::u64 { 0 } : result.value();
    }

    std::vector<PhysicalPage> m_pages;
    BuddyAllocator m_buddy;
    PageCache m_cache;
};

TEST_F(PageCacheTest, FirstAllocationRefillsOneBatch)
{
    EXPECT_EQ(m_cache.count(), 0u);
    EXPECT_TRUE(m_cache.needs_refill());
    Core::u64 frame = allocate_from(m_cache);
    EXPECT_EQ(m_cache.count(), batch_size - 1);
    EXPECT_EQ(m_buddy.free_frames(), frame_count - batch_size);
    EXPECT_EQ(m_buddy.allocated_frames(), batch_size);

    // The frame handed out is an ordinary allocated order-0 block.
    const PhysicalPage& page = m_pages[frame];
    EXPECT_EQ(page.state, PageState::Allocated);
    EXPECT_TRUE(page.is_block_head);
    EXPECT_EQ(page.order, 0);
    EXPECT_FALSE(page.is_in_page_cache);

    // The rest of the batch waits in the cache, Allocated but marked.
    Core::u64 cached_frames = 0;
    for (const PhysicalPage& candidate : m_pages) {
        if (candidate.is_in_page_cache) {
            ++cached_frames;
            EXPECT_EQ(candidate.state, PageState::Allocated);
        }
    }
    EXPECT_EQ(cached_frames, batch_size - 1);

    // The next batch_size - 1 allocations do not touch the buddy allocator.
    for (Core::u64 index = 0; index + 1 < batch_size; ++index)
        allocate_from(m_cache);
    EXPECT_EQ(m_buddy.free_frames(), frame_count - batch_size);
    EXPECT_EQ(m_cache.count(), 0u);
    allocate_from(m_cache);
    EXPECT_EQ(m_buddy.free_frames(), frame_count - 2 * batch_size);
    EXPECT_EQ(m_cache.count(), batch_size - 1);
}

TEST_F(PageCacheTest, FramesAreDistinct)
{
    std::set<Core::u64> frames;
    for (int index = 0; index < 200; ++index)
        EXPECT_TRUE(frames.insert(allocate_from(m_cache)).second);
    EXPECT_EQ(m_buddy.allocated_frames(), 200u + m_cache.count());
}

TEST_F(PageCacheTest, FreeKeepsFramesUntilFullThenDrainsTheOldestBatch)
{
    std::vector<Core::u64> frames;
    for (Core::u64 index = 0; index < capacity + 1; ++index) {
        auto result = m_buddy.allocate(0);
        ASSERT_FALSE(result.is_error());
        frames.push_back(result.value());
    }
    Core::u64 free_before = m_buddy.free_frames();
    for (Core::u64 index = 0; index < capacity; ++index)
        m_cache.free(frames[index], m_buddy);
    EXPECT_EQ(m_cache.count(), capacity);
    EXPECT_TRUE(m_cache.is_full());
    EXPECT_EQ(m_buddy.free_frames(), free_before);
    EXPECT_TRUE(m_pages[frames[0]].is_in_page_cache);

    m_cache.free(frames[capacity], m_buddy);
    EXPECT_EQ(m_cache.count(), capacity - batch_size + 1);
    EXPECT_EQ(m_buddy.free_frames(), free_before + batch_size);
    for (Core::u64 index = 0; index < batch_size; ++index) {
        EXPECT_EQ(m_pages[frames[index]].state, PageState::Free) << index;
        EXPECT_FALSE(m_pages[frames[index]].is_in_page_cache) << index;
    }
    EXPECT_TRUE(m_pages[frames[batch_size]].is_in_page_cache);
    EXPECT_TRUE(m_pages[frames[capacity]].is_in_page_cache);

    // Most recently freed comes back first.
    EXPECT_EQ(allocate_from(m_cache), frames[capacity]);
    EXPECT_EQ(allocate_from(m_cache), frames[capacity - 1]);
    EXPECT_TRUE(s_recorded_reports.empty());
}

TEST_F(PageCacheTest, DrainReturnsEverythingAndTheBuddyMergesIt)
{
    std::vector<Core::u64> frames;
    for (int index = 0; index < 40; ++index)
        frames.push_back(allocate_from(m_cache));
    std::shuffle(frames.begin(), frames.end(), std::mt19937(3));
    for (Core::u64 frame : frames)
        m_cache.free(frame, m_buddy);
    EXPECT_GT(m_cache.count(), 0u);
    m_cache.drain(m_buddy);
    EXPECT_EQ(m_cache.count(), 0u);
    EXPECT_EQ(m_buddy.free_frames(), frame_count);
    EXPECT_EQ(m_buddy.allocated_frames(), 0u);
    EXPECT_EQ(m_buddy.free_blocks(BuddyAllocator::max_order), 1u);
    for (const PhysicalPage& page : m_pages)
        EXPECT_FALSE(page.is_in_page_cache);
    // Draining an empty cache is harmless.
    m_cache.drain(m_buddy);
    EXPECT_EQ(m_buddy.free_frames(), frame_count);
}

TEST_F(PageCacheTest, FreeClearsTheUse)
{
    Core::u64 frame = allocate_from(m_cache);
    m_pages[frame].use = PageUse::PageTable;
    m_cache.free(frame, m_buddy);
    EXPECT_EQ(m_pages[frame].use, PageUse::None);
}

TEST_F(PageCacheTest, DoubleFreeIntoTheCacheIsReported)
{
    Core::u64 frame = allocate_from(m_cache);
    m_cache.free(frame, m_buddy);
    Core::u64 count_before = m_cache.count();
    m_cache.free(frame, m_buddy);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "double free");
    EXPECT_EQ(s_recorded_reports[0].allocator, "page cache");
    EXPECT_EQ(s_recorded_reports[0].address, frame * page_size);
    EXPECT_EQ(m_cache.count(), count_before);
}

TEST_F(PageCacheTest, DoubleFreeAcrossCachesAndTheBuddyIsReported)
{
    PageCache other_cpu_cache;
    Core::u64 frame = allocate_from(m_cache);
    m_cache.free(frame, m_buddy);
    other_cpu_cache.free(frame, m_buddy);
    m_buddy.free(frame, 0);
    ASSERT_EQ(s_recorded_reports.size(), 2u);
    EXPECT_EQ(s_recorded_reports[0].kind, "double free");
    EXPECT_EQ(s_recorded_reports[0].allocator, "page cache");
    EXPECT_EQ(s_recorded_reports[1].kind, "double free");
    EXPECT_EQ(s_recorded_reports[1].allocator, "buddy");
    EXPECT_EQ(other_cpu_cache.count(), 0u);
    EXPECT_TRUE(m_pages[frame].is_in_page_cache);

    // Freed to the buddy first, then to a cache.
    auto direct = m_buddy.allocate(0);
    ASSERT_FALSE(direct.is_error());
    m_buddy.free(direct.value(), 0);
    m_cache.free(direct.value(), m_buddy);
    ASSERT_EQ(s_recorded_reports.size(), 3u);
    EXPECT_EQ(s_recorded_reports[2].kind, "double free");
}

TEST_F(PageCacheTest, FreeOfWhatIsNotAnOrderZeroBlockIsReported)
{
    auto block = m_buddy.allocate(2);
    ASSERT_FALSE(block.is_error());
    m_cache.free(block.value(), m_buddy);
    m_cache.free(block.value() + 1, m_buddy);
    m_cache.free(frame_count + 5, m_buddy);
    ASSERT_EQ(s_recorded_reports.size(), 3u);
    EXPECT_EQ(s_recorded_reports[0].kind, "free with wrong order");
    EXPECT_EQ(s_recorded_reports[1].kind, "misaligned free");
    EXPECT_EQ(s_recorded_reports[2].kind, "free of unallocated frame");
    EXPECT_EQ(m_cache.count(), 0u);
}

TEST_F(PageCacheTest, FramesMoveFreelyBetweenCacheAndBuddy)
{
    auto direct = m_buddy.allocate(0);
    ASSERT_FALSE(direct.is_error());
    m_cache.free(direct.value(), m_buddy);
    Core::u64 cached = allocate_from(m_cache);
    EXPECT_EQ(cached, direct.value());
    m_buddy.free(cached, 0);
    EXPECT_TRUE(s_recorded_reports.empty());
    EXPECT_EQ(m_buddy.allocated_frames(), 0u);
}

TEST_F(PageCacheTest, PartialRefillAndExhaustion)
{
    // Leave fewer than a batch in the buddy allocator.
    std::vector<Core::u64> blocks;
    for (int index = 0; index < 63; ++index) {
        auto block = m_buddy.allocate(4);
        ASSERT_FALSE(block.is_error());
        blocks.push_back(block.value());
    }
    for (int index = 0; index < 6; ++index)
        ASSERT_FALSE(m_buddy.allocate(0).is_error());
    ASSERT_EQ(m_buddy.free_frames(), 10u);

    for (int index = 0; index < 10; ++index)
        allocate_from(m_cache);
    EXPECT_EQ(m_buddy.free_frames(), 0u);
    auto exhausted = m_cache.allocate(m_buddy);
    ASSERT_TRUE(exhausted.is_error());
    EXPECT_EQ(exhausted.error().code(), ErrorCode::OutOfMemory);
    EXPECT_EQ(m_cache.count(), 0u);

    m_buddy.free(blocks[0], 4);
    allocate_from(m_cache);
    EXPECT_EQ(m_cache.count(), 15u);
}

class PageCachePoisoningTest : public PageCacheTest {
protected:
    void SetUp() override
    {
        PageCacheTest::SetUp();
        m_buddy.enable_poisoning(m_memory);
    }

    BufferFrameMemory m_memory { frame_count };
};

TEST_F(PageCachePoisoningTest, CachedFramesArePoisonedAndChecked)
{
    Core::u64 frame = allocate_from(m_cache);
    m_memory.byte(frame, 7) = 1;
    m_cache.free(frame, m_buddy);
    EXPECT_TRUE(m_memory.frame_is_poisoned(frame));
    m_memory.byte(frame, 99) = 0;
    EXPECT_EQ(allocate_from(m_cache), frame);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "write after free");
    EXPECT_EQ(s_recorded_reports[0].allocator, "page cache");
    EXPECT_EQ(s_recorded_reports[0].address, frame * page_size);
    EXPECT_EQ(s_recorded_reports[0].offset, 99u);
}

TEST_F(PageCachePoisoningTest, WriteWhileCachedIsCaughtWhenDrained)
{
    Core::u64 frame = allocate_from(m_cache);
    m_cache.free(frame, m_buddy);
    m_memory.byte(frame, 4095) = 0;
    m_cache.drain(m_buddy);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "write after free");
    EXPECT_EQ(s_recorded_reports[0].offset, 4095u);
}

TEST_F(PageCachePoisoningTest, WriteToAFreeFrameIsCaughtWhenItLeavesTheCache)
{
    // Frames that go straight from the free lists into the cache are checked on the way
    // out of the cache. Frame 5 is freed once with poisoning on, then written.
    std::vector<Core::u64> warm_up;
    for (Core::u64 index = 0; index < batch_size; ++index) {
        auto frame = m_buddy.allocate(0);
        ASSERT_FALSE(frame.is_error());
        warm_up.push_back(frame.value());
    }
    for (Core::u64 frame : warm_up)
        m_buddy.free(frame, 0);
    m_memory.byte(5, 10) = 0;
    std::vector<Core::u64> frames;
    for (Core::u64 index = 0; index < batch_size; ++index)
        frames.push_back(allocate_from(m_cache));
    ASSERT_NE(std::find(frames.begin(), frames.end(), 5u), frames.end());
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].address, 5 * page_size);
    EXPECT_EQ(s_recorded_reports[0].offset, 10u);
}

TEST_F(PageCacheTest, FramesCachedBeforePoisoningDrainQuietly)
{
    BufferFrameMemory memory(frame_count);
    Core::u64 frame = allocate_from(m_cache);
    m_cache.free(frame, m_buddy);
    m_buddy.enable_poisoning(memory);
    // Nothing was written when poisoning was turned on, and a frame cached before that
    // holds no pattern, so draining it reports nothing; freed afterwards, frames are poisoned.
    EXPECT_FALSE(memory.frame_is_poisoned(frame));
    m_cache.drain(m_buddy);
    EXPECT_TRUE(s_recorded_reports.empty());
    Core::u64 again = allocate_from(m_cache);
    m_cache.free(again, m_buddy);
    EXPECT_TRUE(memory.frame_is_poisoned(again));
}

} // namespace
