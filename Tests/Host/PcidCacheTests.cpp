#include <Kernel/Memory/PcidCache.h>
#include <gtest/gtest.h>

using Kernel::Memory::PcidCache;

TEST(PcidCache, ASpaceKeepsItsPcidAndItsEntriesWhileNothingChanged)
{
    PcidCache cache;
    auto first = cache.activate(7, 0);
    EXPECT_TRUE(first.flush);
    EXPECT_GE(first.pcid, 1u);
    EXPECT_LE(first.pcid, PcidCache::slot_count);
    auto other = cache.activate(8, 0);
    EXPECT_NE(other.pcid, first.pcid);
    auto again = cache.activate(7, 0);
    EXPECT_EQ(again.pcid, first.pcid);
    EXPECT_FALSE(again.flush);
}

TEST(PcidCache, ANewerGenerationFlushesOnce)
{
    PcidCache cache;
    (void)cache.activate(7, 3);
    auto changed = cache.activate(7, 4);
    EXPECT_TRUE(changed.flush);
    EXPECT_FALSE(cache.activate(7, 4).flush);
}

TEST(PcidCache, TheLeastRecentlyUsedSlotIsReusedAndFlushed)
{
    PcidCache cache;
    Core::u16 pcids[PcidCache::slot_count];
    for (Core::u64 index = 0; index < PcidCache::slot_count; ++index)
        pcids[index] = cache.activate(100 + index, 0).pcid;
    // Using 100 again leaves 101 the least recently used.
    EXPECT_FALSE(cache.activate(100, 0).flush);
    auto newcomer = cache.activate(500, 0);
    EXPECT_TRUE(newcomer.flush);
    EXPECT_EQ(newcomer.pcid, pcids[1]);
    // 101 lost its slot: it comes back flushed, in the next oldest one (102's).
    auto evicted = cache.activate(101, 0);
    EXPECT_TRUE(evicted.flush);
    EXPECT_EQ(evicted.pcid, pcids[2]);
    // The others kept theirs.
    EXPECT_FALSE(cache.activate(100, 0).flush);
    EXPECT_FALSE(cache.activate(103, 0).flush);
}

TEST(PcidCache, PcidsStayInTheirRange)
{
    PcidCache cache;
    for (Core::u64 space = 1; space < 1000; ++space) {
        auto decision = cache.activate(space * 7919 % 37 + 1, space % 3);
        EXPECT_GE(decision.pcid, 1u);
        EXPECT_LE(decision.pcid, PcidCache::slot_count);
    }
}
