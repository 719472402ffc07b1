// Host tests for the buddy allocator of physical frames: splitting and merging, natural
// alignment, exhaustion, free ranges with odd edges, every kind of misuse it must report
// instead of corrupting itself, write-after-free detection through poisoning, and a
// randomized run against a simple model. After most operations the whole frame database is
// checked against the allocator's invariants (see expect_consistent).

#include <Kernel/Memory/BuddyAllocator.h>
#include <Tests/Host/MemoryTestSupport.h>
#include <algorithm>
#include <cstdint>
#include <gtest/gtest.h>
#include <map>
#include <random>
#include <string>
#include <vector>

using Core::ErrorCode;
using Kernel::Memory::BuddyAllocator;
using Kernel::Memory::page_size;
using Kernel::Memory::PageState;
using Kernel::Memory::PhysicalPage;
using MemoryTestSupport::BufferFrameMemory;
using MemoryTestSupport::record_report;
using MemoryTestSupport::reported_kinds;
using MemoryTestSupport::s_recorded_reports;

namespace {

constexpr Core::u32 max_order = BuddyAllocator::max_order;
constexpr Core::u64 max_block_frames = Core::u64 { 1 } << max_order;

Core::u64 frames_in_order(Core::u32 order)
{
    return Core::u64 { 1 } << order;
}

// Checks everything the allocator promises about the frame database: free blocks are
// naturally aligned runs of Free pages headed by the only head in the run, allocated
// blocks likewise, no two free buddies were left unmerged, and the counters agree.
void expect_consistent(const BuddyAllocator& allocator, const std::vector<PhysicalPage>& pages)
{
    ASSERT_EQ(allocator.total_frames(), pages.size());
    std::vector<Core::u64> free_heads_per_order(max_order + 1, 0);
    Core::u64 free_count = 0;
    Core::u64 allocated_count = 0;
    Core::u64 reserved_count = 0;
    Core::u64 frame = 0;
    while (frame < pages.size()) {
        const PhysicalPage& page = pages[frame];
        if (page.state == PageState::Reserved) {
            EXPECT_FALSE(page.is_block_head) << "reserved frame " << frame;
            ++reserved_count;
            ++frame;
            continue;
        }
        ASSERT_TRUE(page.is_block_head) << "frame " << frame << " is in no block";
        Core::u32 order = page.order;
        ASSERT_LE(order, max_order);
        Core::u64 block_frames = frames_in_order(order);
        EXPECT_EQ(frame % block_frames, 0u) << "block at " << frame << " of order " << order;
        ASSERT_LE(frame + block_frames, pages.size());
        for (Core::u64 inner = frame + 1; inner < frame + block_frames; ++inner) {
            EXPECT_EQ(pages[inner].state, page.state) << "frame " << inner;
            EXPECT_FALSE(pages[inner].is_block_head) << "frame " << inner;
        }
        if (page.state == PageState::Free) {
            ++free_heads_per_order[order];
            free_count += block_frames;
            if (order < max_order) {
                Core::u64 buddy = frame ^ block_frames;
                if (buddy < pages.size()) {
                    bool buddy_is_free_block_of_same_order = pages[buddy].state == PageState::Free
                        && pages[buddy].is_block_head && pages[buddy].order == order;
                    EXPECT_FALSE(buddy_is_free_block_of_same_order) << "unmerged buddies at " << frame;
                }
            }
        } else {
            allocated_count += block_frames;
        }
        frame += block_frames;
    }
    EXPECT_EQ(allocator.free_frames(), free_count);
    EXPECT_EQ(allocator.allocated_frames(), allocated_count);
    EXPECT_EQ(allocator.reserved_frames(), reserved_count);
    for (Core::u32 order = 0; order <= max_order; ++order)
        EXPECT_EQ(allocator.free_blocks(order), free_heads_per_order[order]) << "order " << order;
}

class BuddyAllocatorTest : public ::testing::Test {
protected:
    void SetUp() override { s_recorded_reports.clear(); }

    void create(Core::u64 frame_count)
    {
        m_pages.assign(frame_count, PhysicalPage {});
        m_allocator = BuddyAllocator({ m_pages.data(), m_pages.size() });
        m_allocator.set_corruption_handler(record_report);
    }

    Core::u64 allocate_ok(Core::u32 order)
    {
        auto result = m_allocator.allocate(order);
        EXPECT_FALSE(result.is_error()) << "order " << order;
        return result.is_error() ? ~Core::u64 { 0 } : result.value();
    }

    std::vector<PhysicalPage> m_pages;
    BuddyAllocator m_allocator;
};

TEST_F(BuddyAllocatorTest, EmptyAllocatorHasNothingToGive)
{
    BuddyAllocator empty;
    EXPECT_EQ(empty.total_frames(), 0u);
    EXPECT_EQ(empty.free_frames(), 0u);
    auto result = empty.allocate(0);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ErrorCode::OutOfMemory);
}

TEST_F(BuddyAllocatorTest, NewAllocatorHasEverythingReserved)
{
    create(3000);
    EXPECT_EQ(m_allocator.total_frames(), 3000u);
    EXPECT_EQ(m_allocator.reserved_frames(), 3000u);
    EXPECT_EQ(m_allocator.free_frames(), 0u);
    EXPECT_EQ(m_allocator.allocated_frames(), 0u);
    auto result = m_allocator.allocate(0);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ErrorCode::OutOfMemory);
}

TEST_F(BuddyAllocatorTest, AlignedRangeBecomesMaximalBlocks)
{
    create(4096);
    m_allocator.add_free_range(1024, 2048);
    EXPECT_EQ(m_allocator.free_blocks(max_order), 2u);
    EXPECT_EQ(m_allocator.free_frames(), 2048u);
    EXPECT_EQ(m_allocator.reserved_frames(), 2048u);
    EXPECT_TRUE(m_pages[1024].is_block_head);
    EXPECT_TRUE(m_pages[2048].is_block_head);
    EXPECT_EQ(m_pages[1024].order, max_order);
    EXPECT_EQ(m_pages[1023].state, PageState::Reserved);
    EXPECT_EQ(m_pages[3072].state, PageState::Reserved);
    expect_consistent(m_allocator, m_pages);
    EXPECT_TRUE(s_recorded_reports.empty());
}

TEST_F(BuddyAllocatorTest, SplittingLeavesOneFreeBlockPerLowerOrder)
{
    create(2048);
    m_allocator.add_free_range(1024, 1024);
    ASSERT_EQ(m_allocator.free_blocks(max_order), 1u);

    Core::u64 frame = allocate_ok(0);
    EXPECT_EQ(frame, 1024u);
    for (Core::u32 order = 0; order < max_order; ++order) {
        EXPECT_EQ(m_allocator.free_blocks(order), 1u) << "order " << order;
        // The upper half of each split stays free.
        const PhysicalPage& buddy_head = m_pages[1024 + frames_in_order(order)];
        EXPECT_EQ(buddy_head.state, PageState::Free);
        EXPECT_TRUE(buddy_head.is_block_head);
        EXPECT_EQ(buddy_head.order, order);
    }
    EXPECT_EQ(m_allocator.free_blocks(max_order), 0u);
    EXPECT_EQ(m_allocator.free_frames(), 1023u);
    EXPECT_EQ(m_allocator.allocated_frames(), 1u);
    EXPECT_EQ(m_pages[1024].state, PageState::Allocated);
    EXPECT_TRUE(m_pages[1024].is_block_head);
    expect_consistent(m_allocator, m_pages);
}

TEST_F(BuddyAllocatorTest, AllocatedBlockIsMarkedWholly)
{
    create(1024);
    m_allocator.add_free_range(0, 1024);
    m_pages[0].use = Kernel::Memory::PageUse::Other;
    Core::u64 frame = allocate_ok(3);
    EXPECT_EQ(frame, 0u);
    EXPECT_EQ(m_pages[0].order, 3);
    EXPECT_EQ(m_pages[0].use, Kernel::Memory::PageUse::None);
    for (Core::u64 index = 0; index < 8; ++index)
        EXPECT_EQ(m_pages[index].state, PageState::Allocated) << index;
    EXPECT_EQ(m_pages[8].state, PageState::Free);
    expect_consistent(m_allocator, m_pages);
}

TEST_F(BuddyAllocatorTest, FreeingEverythingInAnyOrderRestoresTheBlock)
{
    for (unsigned seed = 1; seed <= 5; ++seed) {
        create(1024);
        m_allocator.add_free_range(0, 1024);
        std::vector<Core::u64> frames;
        for (int index = 0; index < 1024; ++index)
            frames.push_back(allocate_ok(0));
        EXPECT_EQ(m_allocator.free_frames(), 0u);
        std::sort(frames.begin(), frames.end());
        EXPECT_EQ(std::unique(frames.begin(), frames.end()), frames.end());
        std::shuffle(frames.begin(), frames.end(), std::mt19937(seed));
        for (Core::u64 frame : frames)
            m_allocator.free(frame, 0);
        EXPECT_EQ(m_allocator.free_blocks(max_order), 1u) << "seed " << seed;
        EXPECT_EQ(m_allocator.free_frames(), 1024u);
        EXPECT_EQ(m_allocator.allocated_frames(), 0u);
        expect_consistent(m_allocator, m_pages);
    }
    EXPECT_TRUE(s_recorded_reports.empty());
}

TEST_F(BuddyAllocatorTest, MixedOrdersMergeBack)
{
    create(1024);
    m_allocator.add_free_range(0, 1024);
    std::vector<std::pair<Core::u64, Core::u32>> blocks;
    for (Core::u32 order : { 0u, 3u, 1u, 9u, 2u, 0u, 5u, 4u })
        blocks.emplace_back(allocate_ok(order), order);
    expect_consistent(m_allocator, m_pages);
    std::reverse(blocks.begin(), blocks.end());
    std::swap(blocks[1], blocks[5]);
    for (auto [frame, order] : blocks)
        m_allocator.free(frame, order);
    EXPECT_EQ(m_allocator.free_blocks(max_order), 1u);
    expect_consistent(m_allocator, m_pages);
    EXPECT_TRUE(s_recorded_reports.empty());
}

TEST_F(BuddyAllocatorTest, ExhaustionReportsOutOfMemoryThenRecovers)
{
    create(64);
    m_allocator.add_free_range(0, 64);
    std::vector<Core::u64> frames;
    for (int index = 0; index < 16; ++index)
        frames.push_back(allocate_ok(2));
    auto exhausted = m_allocator.allocate(0);
    ASSERT_TRUE(exhausted.is_error());
    EXPECT_EQ(exhausted.error().code(), ErrorCode::OutOfMemory);

    m_allocator.free(frames[5], 2);
    auto too_large = m_allocator.allocate(3);
    ASSERT_TRUE(too_large.is_error());
    EXPECT_EQ(too_large.error().code(), ErrorCode::OutOfMemory);
    auto recovered = m_allocator.allocate(1);
    ASSERT_FALSE(recovered.is_error());
    EXPECT_TRUE(recovered.value() == frames[5] || recovered.value() == frames[5] + 2);
    expect_consistent(m_allocator, m_pages);
}

TEST_F(BuddyAllocatorTest, OrderAboveMaximumIsInvalid)
{
    create(2048);
    m_allocator.add_free_range(0, 2048);
    auto result = m_allocator.allocate(max_order + 1);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(m_allocator.free_frames(), 2048u);
    Core::u64 frame = allocate_ok(max_order);
    EXPECT_EQ(frame % max_block_frames, 0u);
}

TEST_F(BuddyAllocatorTest, BlocksAreNaturallyAligned)
{
    create(8192);
    // An unaligned range, so that alignment has to come from the allocator.
    m_allocator.add_free_range(7, 8000);
    std::mt19937 random(42);
    for (int index = 0; index < 200; ++index) {
        Core::u32 order = random() % (max_order + 1);
        auto result = m_allocator.allocate(order);
        if (result.is_error())
            continue;
        Core::u64 frame = result.value();
        EXPECT_EQ(frame % frames_in_order(order), 0u) << "order " << order;
        EXPECT_GE(frame, 7u);
        EXPECT_LE(frame + frames_in_order(order), 8007u);
    }
    expect_consistent(m_allocator, m_pages);
}

TEST_F(BuddyAllocatorTest, OddRangeIsCarvedIntoMaximalAlignedBlocks)
{
    create(2048);
    m_allocator.add_free_range(3, 1000);
    // [3, 1003): 3 | 4-7 | 8-15 | ... | 256-511 | 512-767 | 768-895 | 896-959 | 960-991
    //            | 992-999 | 1000-1001 | 1002
    std::vector<Core::u64> expected { 2, 1, 1, 2, 1, 2, 2, 2, 2, 0, 0 };
    for (Core::u32 order = 0; order <= max_order; ++order)
        EXPECT_EQ(m_allocator.free_blocks(order), expected[order]) << "order " << order;
    EXPECT_EQ(m_allocator.free_frames(), 1000u);
    EXPECT_EQ(m_pages[2].state, PageState::Reserved);
    EXPECT_EQ(m_pages[1003].state, PageState::Reserved);
    EXPECT_TRUE(m_pages[512].is_block_head);
    EXPECT_EQ(m_pages[512].order, 8);
    expect_consistent(m_allocator, m_pages);
    EXPECT_TRUE(s_recorded_reports.empty());
}

TEST_F(BuddyAllocatorTest, AdjacentRangesMerge)
{
    create(2048);
    m_allocator.add_free_range(512, 512);
    m_allocator.add_free_range(0, 512);
    EXPECT_EQ(m_allocator.free_blocks(max_order), 1u);
    // Frame by frame from the top: every frame merges with what is already there.
    for (Core::u64 frame = 2047; frame >= 1024; --frame)
        m_allocator.add_free_range(frame, 1);
    EXPECT_EQ(m_allocator.free_blocks(max_order), 2u);
    EXPECT_EQ(m_allocator.free_frames(), 2048u);
    expect_consistent(m_allocator, m_pages);
}

TEST_F(BuddyAllocatorTest, DatabaseNotAMultipleOfTheLargestBlock)
{
    create(1500);
    m_allocator.add_free_range(0, 1500);
    std::vector<Core::u64> expected { 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1 };
    for (Core::u32 order = 0; order <= max_order; ++order)
        EXPECT_EQ(m_allocator.free_blocks(order), expected[order]) << "order " << order;
    // Allocate every frame and give them back: merging must never look past the end.
    std::vector<Core::u64> frames;
    while (true) {
        auto result = m_allocator.allocate(0);
        if (result.is_error())
            break;
        frames.push_back(result.value());
    }
    EXPECT_EQ(frames.size(), 1500u);
    std::shuffle(frames.begin(), frames.end(), std::mt19937(7));
    for (Core::u64 frame : frames)
        m_allocator.free(frame, 0);
    for (Core::u32 order = 0; order <= max_order; ++order)
        EXPECT_EQ(m_allocator.free_blocks(order), expected[order]) << "order " << order;
    expect_consistent(m_allocator, m_pages);
}

TEST_F(BuddyAllocatorTest, FreeRangeOverFreeOrAllocatedFramesIsReported)
{
    create(1024);
    m_allocator.add_free_range(96, 8);
    Core::u64 allocated = allocate_ok(1);
    ASSERT_EQ(allocated, 96u);
    ASSERT_EQ(m_allocator.free_frames(), 6u);
    // [92, 108): 92-95 are reserved, 96-97 allocated, 98-103 free, 104-107 reserved. The
    // run 96-103 is one report; the reserved frames on both sides are added.
    m_allocator.add_free_range(92, 16);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "bad free range");
    EXPECT_EQ(s_recorded_reports[0].allocator, "buddy");
    EXPECT_EQ(s_recorded_reports[0].address, 96 * page_size);
    EXPECT_EQ(m_allocator.free_frames(), 6u + 4 + 4);
    EXPECT_EQ(m_pages[96].state, PageState::Allocated);
    EXPECT_EQ(m_pages[92].state, PageState::Free);
    EXPECT_EQ(m_pages[107].state, PageState::Free);
    expect_consistent(m_allocator, m_pages);
}

TEST_F(BuddyAllocatorTest, FreeRangeBeyondTheDatabaseIsReported)
{
    create(1024);
    m_allocator.add_free_range(1000, 100);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "bad free range");
    EXPECT_EQ(s_recorded_reports[0].address, 1024 * page_size);
    EXPECT_EQ(m_allocator.free_frames(), 24u);

    // Wholly outside, and running past 2^64 frames.
    m_allocator.add_free_range(~Core::u64 { 0 } - 5, 100);
    ASSERT_EQ(s_recorded_reports.size(), 2u);
    EXPECT_EQ(s_recorded_reports[1].kind, "bad free range");
    EXPECT_EQ(s_recorded_reports[1].address, ~Core::u64 { 0 });
    m_allocator.add_free_range(2048, 1);
    EXPECT_EQ(s_recorded_reports.size(), 3u);
    EXPECT_EQ(s_recorded_reports[2].address, 2048 * page_size);
    EXPECT_EQ(m_allocator.free_frames(), 24u);

    // An empty range is nothing, not a bug.
    m_allocator.add_free_range(5000, 0);
    EXPECT_EQ(s_recorded_reports.size(), 3u);
    expect_consistent(m_allocator, m_pages);
}

TEST_F(BuddyAllocatorTest, DoubleFreeIsReportedAndIgnored)
{
    create(1024);
    m_allocator.add_free_range(0, 1024);
    Core::u64 first = allocate_ok(2);
    Core::u64 second = allocate_ok(2);
    m_allocator.free(first, 2);
    Core::u64 free_before = m_allocator.free_frames();
    m_allocator.free(first, 2);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "double free");
    EXPECT_EQ(s_recorded_reports[0].address, first * page_size);
    EXPECT_EQ(m_allocator.free_frames(), free_before);

    // Once merged into a larger free block, the frame is not a block head any more; it
    // is still a double free.
    m_allocator.free(second, 2);
    EXPECT_EQ(m_allocator.free_blocks(max_order), 1u);
    m_allocator.free(second, 2);
    EXPECT_EQ(reported_kinds(), (std::vector<std::string> { "double free", "double free" }));
    EXPECT_EQ(m_allocator.free_frames(), 1024u);
    expect_consistent(m_allocator, m_pages);
}

TEST_F(BuddyAllocatorTest, WrongOrderIsReportedAndIgnored)
{
    create(1024);
    m_allocator.add_free_range(0, 1024);
    Core::u64 frame = allocate_ok(3);
    m_allocator.free(frame, 2);
    m_allocator.free(frame, 4);
    m_allocator.free(frame, max_order + 1);
    EXPECT_EQ(reported_kinds(),
        (std::vector<std::string> {
            "free with wrong order", "free with wrong order", "free with wrong order" }));
    EXPECT_EQ(m_allocator.allocated_frames(), 8u);
    expect_consistent(m_allocator, m_pages);
    m_allocator.free(frame, 3);
    EXPECT_EQ(s_recorded_reports.size(), 3u);
    EXPECT_EQ(m_allocator.free_frames(), 1024u);
}

TEST_F(BuddyAllocatorTest, MisalignedFreeIsReportedAndIgnored)
{
    create(1024);
    m_allocator.add_free_range(0, 1024);
    Core::u64 frame = allocate_ok(2);
    ASSERT_EQ(frame, 0u);
    // Not aligned to the order given.
    m_allocator.free(frame + 1, 2);
    // Aligned for its order, but inside the block rather than at its start.
    m_allocator.free(frame + 2, 1);
    m_allocator.free(frame + 3, 0);
    EXPECT_EQ(reported_kinds(),
        (std::vector<std::string> { "misaligned free", "misaligned free", "misaligned free" }));
    EXPECT_EQ(s_recorded_reports[1].address, 2 * page_size);
    EXPECT_EQ(m_allocator.allocated_frames(), 4u);
    expect_consistent(m_allocator, m_pages);
}

TEST_F(BuddyAllocatorTest, FreeingReservedOrUnknownFramesIsReported)
{
    create(1024);
    m_allocator.add_free_range(512, 512);
    m_allocator.free(3, 0);
    m_allocator.free(1024, 0);
    m_allocator.free(~Core::u64 { 0 }, 0);
    EXPECT_EQ(reported_kinds(),
        (std::vector<std::string> {
            "free of unallocated frame", "free of unallocated frame", "free of unallocated frame" }));
    EXPECT_EQ(s_recorded_reports[0].address, 3 * page_size);
    EXPECT_EQ(s_recorded_reports[2].address, ~Core::u64 { 0 });
    EXPECT_EQ(m_allocator.free_frames(), 512u);
    EXPECT_EQ(m_pages[3].state, PageState::Reserved);
    expect_consistent(m_allocator, m_pages);
}

TEST_F(BuddyAllocatorTest, CorruptionWithoutAHandlerIsFatal)
{
    create(16);
    m_allocator.add_free_range(0, 16);
    m_allocator.set_corruption_handler(nullptr);
    EXPECT_DEATH(m_allocator.free(0, 0), "VERIFY\\(not reached\\) failed");
}

TEST_F(BuddyAllocatorTest, MovingTransfersEverything)
{
    create(2048);
    m_allocator.add_free_range(0, 2048);
    Core::u64 frame = allocate_ok(0);

    BuddyAllocator moved(Core::move(m_allocator));
    EXPECT_EQ(m_allocator.total_frames(), 0u);
    EXPECT_EQ(m_allocator.free_frames(), 0u);
    EXPECT_TRUE(m_allocator.allocate(0).is_error());
    EXPECT_EQ(moved.free_frames(), 2047u);

    BuddyAllocator global;
    global = Core::move(moved);
    EXPECT_EQ(moved.total_frames(), 0u);
    global.free(frame, 0);
    EXPECT_EQ(global.free_blocks(max_order), 2u);
    expect_consistent(global, m_pages);
    // The handler moved along.
    global.free(frame, 0);
    EXPECT_EQ(reported_kinds(), (std::vector<std::string> { "double free" }));
}

class BuddyAllocatorPoisoningTest : public BuddyAllocatorTest {
protected:
    static constexpr Core::u64 frame_count = 64;

    void SetUp() override
    {
        BuddyAllocatorTest::SetUp();
        create(frame_count);
        m_allocator.add_free_range(0, frame_count);
    }

    BufferFrameMemory m_memory { frame_count };
};

TEST_F(BuddyAllocatorPoisoningTest, EnablingWritesNothingAndChecksOnlyFramesFreedSince)
{
    Core::u64 allocated = allocate_ok(0);
    m_memory.byte(allocated, 0) = 0x11;
    m_allocator.enable_poisoning(m_memory);
    EXPECT_TRUE(m_allocator.is_poisoning_enabled());
    EXPECT_EQ(m_memory.byte(allocated, 0), 0x11);
    for (Core::u64 frame = 0; frame < frame_count; ++frame)
        EXPECT_FALSE(m_memory.frame_is_poisoned(frame)) << frame;
    // A frame free since before poisoning carries no pattern, so nothing is reported.
    Core::u64 never_poisoned = allocate_ok(0);
    EXPECT_TRUE(s_recorded_reports.empty());
    // Frames freed from now on are poisoned.
    m_allocator.free(allocated, 0);
    m_allocator.free(never_poisoned, 0);
    EXPECT_TRUE(m_memory.frame_is_poisoned(allocated));
    EXPECT_TRUE(m_memory.frame_is_poisoned(never_poisoned));
}

TEST_F(BuddyAllocatorPoisoningTest, FreePoisonsAndCleanReuseIsQuiet)
{
    m_allocator.enable_poisoning(m_memory);
    Core::u64 frame = allocate_ok(2);
    for (Core::u64 index = 0; index < 4; ++index)
        m_memory.byte(frame + index, 100) = 0;
    m_allocator.free(frame, 2);
    for (Core::u64 index = 0; index < 4; ++index)
        EXPECT_TRUE(m_memory.frame_is_poisoned(frame + index));
    EXPECT_EQ(allocate_ok(2), frame);
    EXPECT_TRUE(s_recorded_reports.empty());
}

TEST_F(BuddyAllocatorPoisoningTest, WriteAfterFreeIsReported)
{
    m_allocator.enable_poisoning(m_memory);
    Core::u64 frame = allocate_ok(1);
    m_allocator.free(frame, 1);
    // Two writes in the second frame: only the first offset is reported.
    m_memory.byte(frame + 1, 123) = 0x42;
    m_memory.byte(frame + 1, 4000) = 0x42;
    Core::u64 again = allocate_ok(1);
    ASSERT_EQ(again, frame);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "write after free");
    EXPECT_EQ(s_recorded_reports[0].allocator, "buddy");
    EXPECT_EQ(s_recorded_reports[0].address, (frame + 1) * page_size);
    EXPECT_EQ(s_recorded_reports[0].offset, 123u);
    // The allocation itself went ahead.
    EXPECT_EQ(m_pages[frame].state, PageState::Allocated);
}

TEST_F(BuddyAllocatorPoisoningTest, WriteToTheLastByteIsReported)
{
    m_allocator.enable_poisoning(m_memory);
    m_allocator.free(allocate_ok(1), 1);
    m_memory.byte(0, page_size - 1) = 0;
    m_memory.byte(1, 0) = 0;
    Core::u64 frame = allocate_ok(1);
    ASSERT_EQ(frame, 0u);
    ASSERT_EQ(s_recorded_reports.size(), 2u);
    EXPECT_EQ(s_recorded_reports[0].address, 0u);
    EXPECT_EQ(s_recorded_reports[0].offset, page_size - 1);
    EXPECT_EQ(s_recorded_reports[1].address, page_size);
    EXPECT_EQ(s_recorded_reports[1].offset, 0u);
}

TEST_F(BuddyAllocatorPoisoningTest, UnreachableFramesAreSkipped)
{
    m_memory.set_unreachable_frame(1);
    m_allocator.enable_poisoning(m_memory);
    Core::u64 frame = allocate_ok(1);
    ASSERT_EQ(frame, 0u);
    m_allocator.free(frame, 1);
    EXPECT_TRUE(s_recorded_reports.empty());
    EXPECT_GT(m_memory.calls(), 0u);
    EXPECT_FALSE(m_memory.frame_is_poisoned(1));
}

// A randomized run against a model of which blocks are live. Checks after every step that
// returned blocks are aligned and overlap nothing live, and that the free count matches.
TEST_F(BuddyAllocatorTest, RandomizedAgainstModel)
{
    constexpr Core::u64 frame_count = 5000;
    create(frame_count);
    // Three separate free ranges with odd edges, and a reserved hole between them.
    m_allocator.add_free_range(1, 1200);
    m_allocator.add_free_range(1500, 2222);
    m_allocator.add_free_range(3900, 1099);
    const Core::u64 initial_free = m_allocator.free_frames();
    ASSERT_EQ(initial_free, 1200u + 2222u + 1099u);
    std::vector<Core::u64> initial_blocks;
    for (Core::u32 order = 0; order <= max_order; ++order)
        initial_blocks.push_back(m_allocator.free_blocks(order));

    std::map<Core::u64, Core::u32> live_blocks;
    std::vector<bool> owned(frame_count, false);
    Core::u64 live_frames = 0;
    std::mt19937 random(20240611);
    for (int step = 0; step < 20000; ++step) {
        bool should_allocate = live_blocks.empty() || random() % 100 < 55;
        if (should_allocate) {
            // Mostly small orders, as real workloads ask.
            Core::u32 order = random() % 4 == 0 ? random() % (max_order + 1) : random() % 3;
            auto result = m_allocator.allocate(order);
            if (result.is_error()) {
                EXPECT_EQ(result.error().code(), ErrorCode::OutOfMemory);
                continue;
            }
            Core::u64 frame = result.value();
            ASSERT_EQ(frame % frames_in_order(order), 0u);
            ASSERT_LE(frame + frames_in_order(order), frame_count);
            for (Core::u64 index = frame; index < frame + frames_in_order(order); ++index) {
                ASSERT_FALSE(owned[index]) << "frame " << index << " handed out twice at step " << step;
                owned[index] = true;
            }
            live_blocks[frame] = order;
            live_frames += frames_in_order(order);
        } else {
            auto block = live_blocks.begin();
            std::advance(block, random() % live_blocks.size());
            auto [frame, order] = *block;
            m_allocator.free(frame, order);
            for (Core::u64 index = frame; index < frame + frames_in_order(order); ++index)
                owned[index] = false;
            live_frames -= frames_in_order(order);
            live_blocks.erase(block);
        }
        ASSERT_EQ(m_allocator.free_frames(), initial_free - live_frames) << "step " << step;
        ASSERT_EQ(m_allocator.allocated_frames(), live_frames);
        if (step % 1000 == 0)
            expect_consistent(m_allocator, m_pages);
    }
    for (auto [frame, order] : live_blocks)
        m_allocator.free(frame, order);
    EXPECT_EQ(m_allocator.free_frames(), initial_free);
    for (Core::u32 order = 0; order <= max_order; ++order)
        EXPECT_EQ(m_allocator.free_blocks(order), initial_blocks[order]) << "order " << order;
    expect_consistent(m_allocator, m_pages);
    EXPECT_TRUE(s_recorded_reports.empty());
}

} // namespace
