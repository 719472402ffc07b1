// Host tests for the hardened slab cache (Kernel/Memory/SlabCache). Slabs come from
// aligned_alloc through a page source that counts them and can be told to fail, so that
// AddressSanitizer sees every byte the cache touches outside the slabs it was given and
// LeakSanitizer sees every slab it forgets to give back. Corruption is provoked on purpose
// and must arrive at a recording handler with the right kind, object and offset.

#include <Kernel/Memory/SlabCache.h>
#include <Tests/Host/MemoryTestSupport.h>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

using Core::ErrorCode;
using Kernel::Memory::page_size;
using Kernel::Memory::SlabCache;
using Kernel::Memory::SlabDebugOptions;
using Kernel::Memory::TypedSlabCache;
using MemoryTestSupport::HostSlabPageSource;
using MemoryTestSupport::record_report;
using MemoryTestSupport::s_recorded_reports;

namespace {

constexpr SlabDebugOptions debug_off { false, false };
constexpr SlabDebugOptions debug_on { true, true };
constexpr uint64_t test_secret = 0x1F2E3D4C5B6A7988ULL;

std::uintptr_t address_of(const void* pointer)
{
    return reinterpret_cast<std::uintptr_t>(pointer);
}

// What HostSlabPageSource calls when a cache gives back a slab wrongly.
void fail_test_on_misuse(const std::string& problem)
{
    ADD_FAILURE() << problem;
}

void* allocate_or_fail(SlabCache& cache)
{
    auto result = cache.allocate();
    EXPECT_FALSE(result.is_error());
    if (result.is_error())
        return nullptr;
    return result.value();
}

uint64_t negative_offset(uint64_t distance)
{
    return uint64_t(0) - distance;
}

class SlabCacheTest : public ::testing::Test {
protected:
    void SetUp() override { s_recorded_reports.clear(); }
    void TearDown() override { s_recorded_reports.clear(); }

    HostSlabPageSource m_source { fail_test_on_misuse };
};

// ---- Layout -----------------------------------------------------------------------------

TEST_F(SlabCacheTest, SmallObjectsShareOnePageSlab)
{
    SlabCache cache("small-64", 64, 8, m_source, debug_off, test_secret);
    EXPECT_EQ(cache.slab_order(), 0u);
    EXPECT_EQ(cache.slab_size(), page_size);
    EXPECT_EQ(cache.object_size(), 64u);
    EXPECT_EQ(cache.name().length(), 8u);
    EXPECT_EQ(std::string(cache.name().characters(), cache.name().length()), "small-64");
    // The header takes a little of the page; everything else is 64-byte slots.
    EXPECT_LT(cache.objects_per_slab() * 64u, page_size);
    EXPECT_GE(cache.objects_per_slab() * 64u + 256u, page_size);
    EXPECT_EQ(cache.slab_count(), 0u) << "the constructor must not allocate";
    EXPECT_EQ(m_source.allocation_requests(), 0u);
}

TEST_F(SlabCacheTest, ChoosesTheSmallestOrderHoldingEightObjects)
{
    // Eight 4 KiB slots plus the header need a little more than 32 KiB: order 4.
    SlabCache page_objects("page-objects", 4096, 8, m_source, debug_off, test_secret);
    EXPECT_EQ(page_objects.slab_order(), 4u);
    EXPECT_EQ(page_objects.objects_per_slab(), 15u);

    // 512-byte objects: 8 fit in one page only without the header, so two pages.
    SlabCache half_kib("half-kib", 512, 8, m_source, debug_off, test_secret);
    EXPECT_EQ(half_kib.slab_order(), 1u);
    EXPECT_EQ(half_kib.objects_per_slab(), 15u);

    // Red zones widen each slot of 480 bytes to 512: again two pages.
    SlabCache red_zoned("red-zoned", 480, 8, m_source, debug_on, test_secret);
    EXPECT_EQ(red_zoned.slab_order(), 1u);
    EXPECT_EQ(red_zoned.objects_per_slab(), 15u);

    // The largest, most aligned objects with red zones: a page of left zone, 8 KiB of
    // object and a right zone padded to a page make 16 KiB slots behind a one-page
    // header; eight of them need 132 KiB, so 256 KiB slabs.
    SlabCache largest(
        "largest", SlabCache::max_object_size, SlabCache::max_alignment, m_source, debug_on, test_secret);
    EXPECT_EQ(largest.slab_order(), 6u);
    EXPECT_EQ(largest.objects_per_slab(), 15u);
}

TEST(SlabCacheDeathTest, NonsenseParametersFailVerification)
{
    HostSlabPageSource source(fail_test_on_misuse);
    EXPECT_DEATH(SlabCache("zero", 0, 8, source, debug_off, 0), "VERIFY\\(object_size >= 1");
    EXPECT_DEATH(SlabCache("huge", SlabCache::max_object_size + 1, 8, source, debug_off, 0),
        "VERIFY\\(object_size >= 1");
    EXPECT_DEATH(SlabCache("odd", 64, 12, source, debug_off, 0), "VERIFY\\(Core::is_power_of_two");
    EXPECT_DEATH(SlabCache("tiny", 64, 4, source, debug_off, 0), "VERIFY\\(Core::is_power_of_two");
    EXPECT_DEATH(SlabCache("over-page", 64, 8192, source, debug_off, 0), "VERIFY\\(Core::is_power_of_two");
}

// ---- Allocation over many shapes ----------------------------------------------------------

struct Shape {
    size_t object_size;
    size_t alignment;
    bool debug;
};

// Readable parameter descriptions in test output and ctest names.
void PrintTo(const Shape& shape, std::ostream* output)
{
    *output << shape.object_size << " bytes, alignment " << shape.alignment << (shape.debug ? ", debug" : "");
}

class SlabCacheShapeTest : public SlabCacheTest, public ::testing::WithParamInterface<Shape> { };

TEST_P(SlabCacheShapeTest, FillsSlabsWithDistinctAlignedWritableObjects)
{
    Shape shape = GetParam();
    SlabCache cache("shape", shape.object_size, shape.alignment, m_source, shape.debug ? debug_on : debug_off,
        test_secret);
    cache.set_corruption_handler(record_report);
    size_t per_slab = cache.objects_per_slab();
    ASSERT_GE(per_slab, SlabCache::min_objects_per_slab);

    std::vector<uint8_t*> objects;
    for (size_t index = 0; index < per_slab; ++index)
        objects.push_back(static_cast<uint8_t*>(allocate_or_fail(cache)));
    EXPECT_EQ(cache.slab_count(), 1u);
    EXPECT_EQ(m_source.live_slab_count(), 1u);
    EXPECT_EQ(m_source.last_requesting_cache(), &cache);

    // One more object needs a second slab.
    objects.push_back(static_cast<uint8_t*>(allocate_or_fail(cache)));
    EXPECT_EQ(cache.slab_count(), 2u);
    EXPECT_EQ(cache.objects_in_use(), per_slab + 1);

    std::set<uint8_t*> distinct(objects.begin(), objects.end());
    EXPECT_EQ(distinct.size(), objects.size());
    for (size_t index = 0; index < objects.size(); ++index) {
        EXPECT_EQ(address_of(objects[index]) % shape.alignment, 0u) << "object " << index;
        EXPECT_TRUE(cache.owns(objects[index]));
        EXPECT_TRUE(cache.is_live_object(objects[index]));
        std::memset(objects[index], int(index & 0xFF), shape.object_size);
    }
    // Any two objects overlapping would have overwritten each other's pattern.
    for (size_t index = 0; index < objects.size(); ++index) {
        for (size_t byte = 0; byte < shape.object_size; ++byte)
            ASSERT_EQ(objects[index][byte], uint8_t(index & 0xFF)) << "object " << index << " byte " << byte;
    }

    for (uint8_t* object : objects)
        cache.free(object);
    EXPECT_EQ(cache.objects_in_use(), 0u);
    EXPECT_EQ(cache.empty_slab_count(), 2u);
    EXPECT_TRUE(s_recorded_reports.empty()) << s_recorded_reports.front().kind;
}

INSTANTIATE_TEST_SUITE_P(Shapes, SlabCacheShapeTest,
    ::testing::Values(Shape { 1, 8, false }, Shape { 1, 8, true }, Shape { 5, 8, true },
        Shape { 24, 8, false }, Shape { 24, 8, true }, Shape { 64, 64, false }, Shape { 64, 64, true },
        Shape { 100, 16, true }, Shape { 512, 8, false }, Shape { 512, 8, true }, Shape { 4096, 4096, false },
        Shape { 4096, 4096, true }, Shape { 8192, 4096, true }),
    [](const ::testing::TestParamInfo<Shape>& info) {
        return "size" + std::to_string(info.param.object_size) + "_align"
            + std::to_string(info.param.alignment) + (info.param.debug ? "_debug" : "_plain");
    });

class SlabCacheDebugModeTest : public SlabCacheTest, public ::testing::WithParamInterface<bool> {
protected:
    SlabDebugOptions debug() const { return GetParam() ? debug_on : debug_off; }
};

TEST_P(SlabCacheDebugModeTest, FreedObjectIsReusedFirst)
{
    SlabCache cache("reuse", 48, 16, m_source, debug(), test_secret);
    cache.set_corruption_handler(record_report);
    void* first = allocate_or_fail(cache);
    void* second = allocate_or_fail(cache);
    void* third = allocate_or_fail(cache);
    EXPECT_EQ(cache.objects_in_use(), 3u);

    cache.free(second);
    EXPECT_FALSE(cache.is_live_object(second));
    EXPECT_TRUE(cache.owns(second)) << "a free object is still inside the cache's slab";
    EXPECT_EQ(cache.objects_in_use(), 2u);
    EXPECT_EQ(allocate_or_fail(cache), second);
    EXPECT_EQ(cache.objects_in_use(), 3u);
    EXPECT_EQ(cache.slab_count(), 1u);

    cache.free(first);
    cache.free(third);
    // Last freed, first reused: the most recently touched memory is the warmest.
    EXPECT_EQ(allocate_or_fail(cache), third);
    EXPECT_EQ(allocate_or_fail(cache), first);
    EXPECT_TRUE(s_recorded_reports.empty());
    for (void* object : { first, second, third })
        cache.free(object);
}

TEST_P(SlabCacheDebugModeTest, EmptySlabsAreReleasedKeepingOne)
{
    SlabCache cache("release", 256, 8, m_source, debug(), test_secret);
    cache.set_corruption_handler(record_report);
    std::vector<void*> objects;
    for (size_t index = 0; index < 3 * size_t(cache.objects_per_slab()); ++index)
        objects.push_back(allocate_or_fail(cache));
    EXPECT_EQ(cache.slab_count(), 3u);

    // Free all but one object of the first slab: that slab stays, the others empty out.
    void* survivor = objects.front();
    for (size_t index = 1; index < objects.size(); ++index)
        cache.free(objects[index]);
    EXPECT_EQ(cache.empty_slab_count(), 2u);
    EXPECT_EQ(m_source.live_slab_count(), 3u) << "free() must not release slabs itself";

    cache.release_empty_slabs();
    EXPECT_EQ(cache.slab_count(), 2u);
    EXPECT_EQ(cache.empty_slab_count(), 1u);
    EXPECT_EQ(m_source.live_slab_count(), 2u);
    EXPECT_EQ(m_source.slabs_freed(), 1u);

    cache.free(survivor);
    cache.release_empty_slabs();
    EXPECT_EQ(cache.slab_count(), 1u);
    EXPECT_EQ(m_source.live_slab_count(), 1u);
    EXPECT_EQ(cache.objects_in_use(), 0u);

    // The kept slab serves the next allocations without asking the page source.
    size_t requests = m_source.allocation_requests();
    for (size_t index = 0; index < cache.objects_per_slab(); ++index)
        objects[index] = allocate_or_fail(cache);
    EXPECT_EQ(m_source.allocation_requests(), requests);
    for (size_t index = 0; index < cache.objects_per_slab(); ++index)
        cache.free(objects[index]);
    EXPECT_TRUE(s_recorded_reports.empty());
}

TEST_P(SlabCacheDebugModeTest, OutOfMemoryPropagatesAndTheCacheRecovers)
{
    SlabCache cache("oom", 128, 8, m_source, debug(), test_secret);
    cache.set_corruption_handler(record_report);
    m_source.fail_after(1);
    std::vector<void*> objects;
    for (size_t index = 0; index < cache.objects_per_slab(); ++index)
        objects.push_back(allocate_or_fail(cache));

    auto failed = cache.allocate();
    ASSERT_TRUE(failed.is_error());
    EXPECT_EQ(failed.error().code(), ErrorCode::OutOfMemory);
    EXPECT_EQ(cache.slab_count(), 1u);
    EXPECT_EQ(cache.objects_in_use(), objects.size());

    // Freed space is still served while the page source is dry.
    cache.free(objects.back());
    auto reused = cache.allocate();
    ASSERT_FALSE(reused.is_error());
    EXPECT_EQ(reused.value(), objects.back());
    EXPECT_TRUE(cache.allocate().is_error());

    m_source.stop_failing();
    void* grown = allocate_or_fail(cache);
    EXPECT_EQ(cache.slab_count(), 2u);
    EXPECT_TRUE(cache.is_live_object(grown));
    objects.push_back(grown);
    for (void* object : objects)
        cache.free(object);
    EXPECT_EQ(cache.objects_in_use(), 0u);
    EXPECT_TRUE(s_recorded_reports.empty());
}

TEST_P(SlabCacheDebugModeTest, DoubleFreeIsReportedAndIgnored)
{
    SlabCache cache("double", 32, 8, m_source, debug(), test_secret);
    cache.set_corruption_handler(record_report);
    void* object = allocate_or_fail(cache);
    void* other = allocate_or_fail(cache);
    cache.free(object);
    cache.free(object);

    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "double free");
    EXPECT_EQ(s_recorded_reports[0].allocator, "double");
    EXPECT_EQ(s_recorded_reports[0].address, address_of(object));
    EXPECT_EQ(s_recorded_reports[0].offset, 0u);
    EXPECT_EQ(cache.objects_in_use(), 1u);

    // Ignored means the object is on the free list once: it is handed out once, and the
    // next allocation is a different object.
    void* again = allocate_or_fail(cache);
    void* next = allocate_or_fail(cache);
    EXPECT_EQ(again, object);
    EXPECT_NE(next, object);
    EXPECT_NE(next, other);
    EXPECT_EQ(s_recorded_reports.size(), 1u);
    for (void* live : { again, next, other })
        cache.free(live);
}

TEST_P(SlabCacheDebugModeTest, InteriorPointerIsAnInvalidFree)
{
    SlabCache cache("interior", 64, 8, m_source, debug(), test_secret);
    cache.set_corruption_handler(record_report);
    auto* object = static_cast<uint8_t*>(allocate_or_fail(cache));
    EXPECT_TRUE(cache.owns(object + 10));
    EXPECT_FALSE(cache.is_live_object(object + 10));
    cache.free(object + 10);

    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "invalid free");
    EXPECT_EQ(s_recorded_reports[0].address, address_of(object));
    EXPECT_EQ(s_recorded_reports[0].offset, 10u);
    EXPECT_TRUE(cache.is_live_object(object)) << "the invalid free must not free the object";
    EXPECT_EQ(cache.objects_in_use(), 1u);

    // A pointer into the slab header names the slab and how far into it.
    uint8_t* slab = object - (address_of(object) % cache.slab_size());
    cache.free(slab + 8);
    ASSERT_EQ(s_recorded_reports.size(), 2u);
    EXPECT_EQ(s_recorded_reports[1].kind, "invalid free");
    EXPECT_EQ(s_recorded_reports[1].address, address_of(slab));
    EXPECT_EQ(s_recorded_reports[1].offset, 8u);

    cache.free(object);
    EXPECT_EQ(cache.objects_in_use(), 0u);
    EXPECT_EQ(s_recorded_reports.size(), 2u);
}

TEST_P(SlabCacheDebugModeTest, ForeignPointerIsAnInvalidFree)
{
    HostSlabPageSource other_source(fail_test_on_misuse);
    SlabCache cache("mine", 64, 8, m_source, debug(), test_secret);
    SlabCache other("theirs", 64, 8, other_source, debug(), test_secret);
    cache.set_corruption_handler(record_report);
    other.set_corruption_handler(record_report);
    void* mine = allocate_or_fail(cache);
    void* theirs = allocate_or_fail(other);
    EXPECT_FALSE(cache.owns(theirs));
    EXPECT_FALSE(cache.owns(nullptr));

    cache.free(theirs);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "invalid free");
    EXPECT_EQ(s_recorded_reports[0].allocator, "mine");
    EXPECT_EQ(s_recorded_reports[0].address, address_of(theirs));
    EXPECT_EQ(s_recorded_reports[0].offset, 0u);
    EXPECT_TRUE(other.is_live_object(theirs));

    // Memory that never was a slab: a zeroed, slab-aligned block.
    void* block = std::aligned_alloc(page_size, page_size);
    ASSERT_NE(block, nullptr);
    std::memset(block, 0, page_size);
    auto* inside_block = static_cast<uint8_t*>(block) + 256;
    EXPECT_FALSE(cache.owns(inside_block));
    cache.free(inside_block);
    ASSERT_EQ(s_recorded_reports.size(), 2u);
    EXPECT_EQ(s_recorded_reports[1].kind, "invalid free");
    EXPECT_EQ(s_recorded_reports[1].address, address_of(inside_block));
    std::free(block);

    // Freeing null is allowed and does nothing.
    cache.free(nullptr);
    EXPECT_EQ(s_recorded_reports.size(), 2u);
    EXPECT_EQ(cache.objects_in_use(), 1u);
    cache.free(mine);
    other.free(theirs);
    EXPECT_EQ(s_recorded_reports.size(), 2u);
}

TEST_P(SlabCacheDebugModeTest, ForgedFreeListPointerIsDetectedAndTheSlabListDropped)
{
    SlabCache cache("forged", 64, 8, m_source, debug(), test_secret);
    cache.set_corruption_handler(record_report);
    auto* victim = static_cast<uint8_t*>(allocate_or_fail(cache));
    auto* neighbour = static_cast<uint8_t*>(allocate_or_fail(cache));
    cache.free(victim);

    // A use-after-free write plants a plain pointer to a live object where the link is.
    uint64_t forged = address_of(neighbour);
    std::memcpy(victim, &forged, sizeof(forged));

    size_t free_in_slab = cache.objects_per_slab() - 1;
    void* replacement = allocate_or_fail(cache);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "free list corrupted");
    EXPECT_EQ(s_recorded_reports[0].address, address_of(victim));
    EXPECT_EQ(s_recorded_reports[0].offset, 0u);

    // Neither the victim nor the forged target is handed out; the rest of that slab's free
    // objects are given up and the object comes from a new slab.
    EXPECT_NE(replacement, victim);
    EXPECT_NE(replacement, neighbour);
    EXPECT_EQ(cache.slab_count(), 2u);
    EXPECT_EQ(cache.leaked_object_count(), free_in_slab);
    EXPECT_TRUE(cache.is_live_object(neighbour));
    EXPECT_FALSE(cache.is_live_object(victim));

    // The damaged slab still takes its live object back, and then serves that one slot.
    cache.free(neighbour);
    EXPECT_EQ(allocate_or_fail(cache), neighbour);
    EXPECT_EQ(s_recorded_reports.size(), 1u);
    cache.free(neighbour);
    cache.free(replacement);
    // A slab that leaked objects is never empty, so never given back to the page source.
    EXPECT_EQ(cache.empty_slab_count(), 1u);
    cache.release_empty_slabs();
    EXPECT_EQ(cache.slab_count(), 2u);
}

TEST_P(SlabCacheDebugModeTest, CorrectlyEncodedLinkToALiveObjectIsStillRejected)
{
    SlabCache cache("encoded", 64, 8, m_source, debug(), test_secret);
    cache.set_corruption_handler(record_report);
    auto* victim = static_cast<uint8_t*>(allocate_or_fail(cache));
    auto* live = static_cast<uint8_t*>(allocate_or_fail(cache));
    cache.free(victim);

    // Even an attacker who knows the secret cannot send the list to an allocated object or
    // to the middle of one.
    uint64_t to_live = address_of(live) ^ test_secret ^ address_of(victim);
    std::memcpy(victim, &to_live, sizeof(to_live));
    void* first = allocate_or_fail(cache);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "free list corrupted");
    EXPECT_NE(first, live);

    auto* second_victim = static_cast<uint8_t*>(allocate_or_fail(cache));
    cache.free(second_victim);
    uint64_t to_middle = (address_of(first) + 8) ^ test_secret ^ address_of(second_victim);
    std::memcpy(second_victim, &to_middle, sizeof(to_middle));
    void* second = allocate_or_fail(cache);
    ASSERT_EQ(s_recorded_reports.size(), 2u);
    EXPECT_EQ(s_recorded_reports[1].kind, "free list corrupted");
    EXPECT_EQ(s_recorded_reports[1].address, address_of(second_victim));
    EXPECT_NE(second, second_victim);
    EXPECT_EQ(cache.slab_count(), 3u);

    // A link pointing back at its own object would hand it out twice.
    auto* looping = static_cast<uint8_t*>(allocate_or_fail(cache));
    cache.free(looping);
    uint64_t to_self = address_of(looping) ^ test_secret ^ address_of(looping);
    std::memcpy(looping, &to_self, sizeof(to_self));
    void* third = allocate_or_fail(cache);
    ASSERT_EQ(s_recorded_reports.size(), 3u);
    EXPECT_EQ(s_recorded_reports[2].kind, "free list corrupted");
    EXPECT_NE(third, looping);

    for (void* object : { static_cast<void*>(live), first, second, third })
        cache.free(object);
    EXPECT_EQ(s_recorded_reports.size(), 3u);
}

TEST_P(SlabCacheDebugModeTest, FreeListLinksAreEncoded)
{
    SlabCache cache("encoding", 64, 8, m_source, debug(), test_secret);
    cache.set_corruption_handler(record_report);
    auto* first = static_cast<uint8_t*>(allocate_or_fail(cache));
    auto* second = static_cast<uint8_t*>(allocate_or_fail(cache));
    cache.free(second);
    cache.free(first);

    uint64_t stored;
    std::memcpy(&stored, first, sizeof(stored));
    EXPECT_NE(stored, address_of(second));
    EXPECT_EQ(stored, address_of(second) ^ test_secret ^ address_of(first));

    // A handed-out object no longer shows its link.
    EXPECT_EQ(allocate_or_fail(cache), first);
    std::memcpy(&stored, first, sizeof(stored));
    EXPECT_NE(stored, address_of(second) ^ test_secret ^ address_of(first));
    cache.free(first);
    EXPECT_TRUE(s_recorded_reports.empty());
}

TEST_P(SlabCacheDebugModeTest, CorruptionWithoutHandlerStops)
{
    SlabCache cache("no-handler", 64, 8, m_source, debug(), test_secret);
    void* object = allocate_or_fail(cache);
    cache.free(object);
    EXPECT_DEATH(cache.free(object), "VERIFY\\(not reached\\) failed");
}

INSTANTIATE_TEST_SUITE_P(DebugModes, SlabCacheDebugModeTest, ::testing::Values(false, true),
    [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "debug" : "plain"; });

// ---- Poison and red zones ---------------------------------------------------------------

TEST_F(SlabCacheTest, PoisonMarksFreedAndNewObjects)
{
    SlabCache cache("poison", 40, 8, m_source, debug_on, test_secret);
    cache.set_corruption_handler(record_report);
    auto* object = static_cast<uint8_t*>(allocate_or_fail(cache));
    for (size_t byte = 0; byte < 40; ++byte)
        ASSERT_EQ(object[byte], SlabCache::new_object_pattern) << "byte " << byte;
    std::memset(object, 0x11, 40);
    cache.free(object);
    // Everything after the link word is poisoned.
    for (size_t byte = 8; byte < 40; ++byte)
        ASSERT_EQ(object[byte], SlabCache::freed_object_pattern) << "byte " << byte;
    EXPECT_EQ(allocate_or_fail(cache), object);
    for (size_t byte = 0; byte < 40; ++byte)
        ASSERT_EQ(object[byte], SlabCache::new_object_pattern) << "byte " << byte;
    cache.free(object);
    EXPECT_TRUE(s_recorded_reports.empty());
}

TEST_F(SlabCacheTest, WriteAfterFreeIsReportedWhenTheObjectComesBack)
{
    SlabCache cache("uaf", 64, 8, m_source, debug_on, test_secret);
    cache.set_corruption_handler(record_report);
    auto* object = static_cast<uint8_t*>(allocate_or_fail(cache));
    cache.free(object);
    object[20] = 0;
    object[30] = 0;

    void* next = allocate_or_fail(cache);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "write after free");
    EXPECT_EQ(s_recorded_reports[0].allocator, "uaf");
    EXPECT_EQ(s_recorded_reports[0].address, address_of(object));
    EXPECT_EQ(s_recorded_reports[0].offset, 20u) << "the first damaged byte";

    // The damaged object stays out of circulation; the list behind it is intact.
    EXPECT_NE(next, object);
    EXPECT_EQ(cache.slab_count(), 1u);
    EXPECT_EQ(cache.leaked_object_count(), 1u);
    EXPECT_EQ(cache.objects_in_use(), 1u);
    // A stale owner freeing it again is a double free, not a way back in.
    cache.free(object);
    ASSERT_EQ(s_recorded_reports.size(), 2u);
    EXPECT_EQ(s_recorded_reports[1].kind, "double free");
    cache.free(next);
    EXPECT_EQ(cache.objects_in_use(), 0u);
}

TEST_F(SlabCacheTest, WriteAfterFreeOfTheLastByteIsFound)
{
    SlabCache cache("uaf-tail", 100, 8, m_source, debug_on, test_secret);
    cache.set_corruption_handler(record_report);
    auto* object = static_cast<uint8_t*>(allocate_or_fail(cache));
    cache.free(object);
    object[99] ^= 1;
    void* next = allocate_or_fail(cache);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "write after free");
    EXPECT_EQ(s_recorded_reports[0].offset, 99u);
    cache.free(next);
}

TEST_F(SlabCacheTest, WithoutPoisonAWriteAfterFreeGoesUnnoticed)
{
    // The check is a debug feature: this documents its cost/benefit switch actually works.
    SlabCache cache("no-poison", 64, 8, m_source, debug_off, test_secret);
    cache.set_corruption_handler(record_report);
    auto* object = static_cast<uint8_t*>(allocate_or_fail(cache));
    cache.free(object);
    object[20] = 0;
    EXPECT_EQ(allocate_or_fail(cache), object);
    EXPECT_TRUE(s_recorded_reports.empty());
    cache.free(object);
}

struct RedZoneCase {
    size_t object_size;
    size_t alignment;
};

void PrintTo(const RedZoneCase& shape, std::ostream* output)
{
    *output << shape.object_size << " bytes, alignment " << shape.alignment;
}

class SlabCacheRedZoneTest : public SlabCacheTest, public ::testing::WithParamInterface<RedZoneCase> { };

TEST_P(SlabCacheRedZoneTest, UnderflowIntoTheLeftZoneIsReportedWithNegativeOffset)
{
    RedZoneCase shape = GetParam();
    SlabCache cache("left", shape.object_size, shape.alignment, m_source, debug_on, test_secret);
    cache.set_corruption_handler(record_report);
    auto* object = static_cast<uint8_t*>(allocate_or_fail(cache));
    object[-3] = 0;
    object[-1] = 0;
    cache.free(object);

    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "red zone overwritten");
    EXPECT_EQ(s_recorded_reports[0].allocator, "left");
    EXPECT_EQ(s_recorded_reports[0].address, address_of(object));
    EXPECT_EQ(s_recorded_reports[0].offset, negative_offset(3)) << "lowest damaged byte, two's complement";
    EXPECT_EQ(cache.objects_in_use(), 0u) << "the free itself is legitimate";

    // The zone was repainted: the next life of the slot reports nothing old.
    EXPECT_EQ(allocate_or_fail(cache), object);
    cache.free(object);
    EXPECT_EQ(s_recorded_reports.size(), 1u);
}

TEST_P(SlabCacheRedZoneTest, OverflowIntoTheRightZoneIsReported)
{
    RedZoneCase shape = GetParam();
    SlabCache cache("right", shape.object_size, shape.alignment, m_source, debug_on, test_secret);
    cache.set_corruption_handler(record_report);
    auto* object = static_cast<uint8_t*>(allocate_or_fail(cache));
    auto* neighbour = static_cast<uint8_t*>(allocate_or_fail(cache));
    // Writing exactly the object's size is fine; one byte more is not.
    std::memset(object, 0x42, shape.object_size);
    cache.free(object);
    EXPECT_TRUE(s_recorded_reports.empty());

    object = static_cast<uint8_t*>(allocate_or_fail(cache));
    object[shape.object_size] = 0x42;
    object[shape.object_size + 2] = 0x42;
    cache.free(object);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "red zone overwritten");
    EXPECT_EQ(s_recorded_reports[0].address, address_of(object));
    EXPECT_EQ(s_recorded_reports[0].offset, shape.object_size);

    // The far end of the guaranteed red zone counts too.
    object = static_cast<uint8_t*>(allocate_or_fail(cache));
    object[shape.object_size + SlabCache::red_zone_size - 1] = 0;
    cache.free(object);
    ASSERT_EQ(s_recorded_reports.size(), 2u);
    EXPECT_EQ(s_recorded_reports[1].offset, shape.object_size + SlabCache::red_zone_size - 1);

    // Both zones damaged: one report each.
    object = static_cast<uint8_t*>(allocate_or_fail(cache));
    object[-1] = 0;
    object[shape.object_size + 1] = 0;
    cache.free(object);
    ASSERT_EQ(s_recorded_reports.size(), 4u);
    EXPECT_EQ(s_recorded_reports[2].offset, negative_offset(1));
    EXPECT_EQ(s_recorded_reports[3].offset, shape.object_size + 1);
    cache.free(neighbour);
    EXPECT_EQ(s_recorded_reports.size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(RedZoneShapes, SlabCacheRedZoneTest,
    ::testing::Values(RedZoneCase { 3, 8 }, RedZoneCase { 24, 8 }, RedZoneCase { 64, 64 },
        RedZoneCase { 100, 16 }, RedZoneCase { 512, 4096 }),
    [](const ::testing::TestParamInfo<RedZoneCase>& info) {
        return "size" + std::to_string(info.param.object_size) + "_align"
            + std::to_string(info.param.alignment);
    });

TEST_F(SlabCacheTest, WithoutRedZonesObjectsArePackedAndUnchecked)
{
    SlabCache cache("packed", 64, 8, m_source, debug_off, test_secret);
    cache.set_corruption_handler(record_report);
    auto* first = static_cast<uint8_t*>(allocate_or_fail(cache));
    auto* second = static_cast<uint8_t*>(allocate_or_fail(cache));
    EXPECT_EQ(second - first, 64);
    cache.free(second);
    cache.free(first);
    EXPECT_TRUE(s_recorded_reports.empty());
}

// ---- TypedSlabCache ---------------------------------------------------------------------

struct alignas(32) Widget {
    Widget(int* destructions, int identifier, uint64_t payload)
        : destructions(destructions)
        , identifier(identifier)
        , payload(payload)
    {
    }
    ~Widget() { ++*destructions; }

    int* destructions;
    int identifier;
    uint64_t payload;
    char padding[40] {};
};

TEST_F(SlabCacheTest, TypedCacheConstructsAndDestroys)
{
    TypedSlabCache<Widget> widgets("widgets", m_source, debug_on, test_secret);
    widgets.cache().set_corruption_handler(record_report);
    EXPECT_EQ(widgets.cache().object_size(), sizeof(Widget));
    EXPECT_EQ(widgets.cache().alignment(), alignof(Widget));

    int destructions = 0;
    std::vector<Widget*> created;
    for (int identifier = 0; identifier < 100; ++identifier) {
        auto result = widgets.create(&destructions, identifier, uint64_t(identifier) * 1000);
        ASSERT_FALSE(result.is_error());
        created.push_back(result.value());
    }
    for (int identifier = 0; identifier < 100; ++identifier) {
        EXPECT_EQ(address_of(created[identifier]) % alignof(Widget), 0u);
        EXPECT_EQ(created[identifier]->identifier, identifier);
        EXPECT_EQ(created[identifier]->payload, uint64_t(identifier) * 1000);
    }
    EXPECT_EQ(widgets.cache().objects_in_use(), 100u);
    EXPECT_EQ(destructions, 0);

    for (Widget* widget : created)
        widgets.destroy(widget);
    EXPECT_EQ(destructions, 100);
    EXPECT_EQ(widgets.cache().objects_in_use(), 0u);

    // Destroying twice reports the double free and does not run the destructor again.
    auto again = widgets.create(&destructions, 7, 7);
    ASSERT_FALSE(again.is_error());
    Widget* widget = again.value();
    widgets.destroy(widget);
    EXPECT_EQ(destructions, 101);
    widgets.destroy(widget);
    EXPECT_EQ(destructions, 101);
    ASSERT_EQ(s_recorded_reports.size(), 1u);
    EXPECT_EQ(s_recorded_reports[0].kind, "double free");
    EXPECT_EQ(s_recorded_reports[0].allocator, "widgets");

    widgets.destroy(nullptr);
    EXPECT_EQ(destructions, 101);
}

TEST_F(SlabCacheTest, TypedCacheCreatePropagatesOutOfMemory)
{
    TypedSlabCache<uint64_t> numbers("numbers", m_source, debug_off, test_secret);
    EXPECT_EQ(numbers.cache().alignment(), SlabCache::min_alignment);
    m_source.fail_after(0);
    auto result = numbers.create(uint64_t(5));
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ErrorCode::OutOfMemory);
    m_source.stop_failing();
    auto created = numbers.create(uint64_t(5));
    ASSERT_FALSE(created.is_error());
    EXPECT_EQ(*created.value(), 5u);
    numbers.destroy(created.value());
}

// ---- Randomised stress ------------------------------------------------------------------

class SlabCacheStressTest : public SlabCacheTest, public ::testing::WithParamInterface<bool> { };

TEST_P(SlabCacheStressTest, RandomAllocationsAndFreesKeepEveryObjectIntact)
{
    constexpr size_t object_size = 72;
    SlabCache cache("stress", object_size, 8, m_source, GetParam() ? debug_on : debug_off, test_secret);
    cache.set_corruption_handler(record_report);
    std::mt19937_64 random(20240611);

    struct LiveObject {
        uint8_t* memory;
        uint8_t fill;
    };
    std::vector<LiveObject> live;
    std::set<uint8_t*> live_addresses;
    size_t peak = 0;
    for (int step = 0; step < 30000; ++step) {
        // Drift between growing and shrinking phases so that slabs fill, empty and get
        // released.
        bool growing = (step / 3000) % 2 == 0;
        bool allocate = live.empty() || random() % 100 < (growing ? 65u : 35u);
        if (allocate) {
            auto* memory = static_cast<uint8_t*>(allocate_or_fail(cache));
            ASSERT_NE(memory, nullptr);
            ASSERT_TRUE(live_addresses.insert(memory).second) << "handed out twice at step " << step;
            auto fill = static_cast<uint8_t>(random());
            std::memset(memory, fill, object_size);
            live.push_back({ memory, fill });
        } else {
            size_t victim = random() % live.size();
            LiveObject object = live[victim];
            for (size_t byte = 0; byte < object_size; ++byte)
                ASSERT_EQ(object.memory[byte], object.fill) << "step " << step << " byte " << byte;
            cache.free(object.memory);
            live_addresses.erase(object.memory);
            live[victim] = live.back();
            live.pop_back();
        }
        if (random() % 1000 == 0)
            cache.release_empty_slabs();
        peak = std::max(peak, live.size());
        ASSERT_EQ(cache.objects_in_use(), live.size()) << "step " << step;
        ASSERT_EQ(cache.slab_count(), m_source.live_slab_count()) << "step " << step;
    }
    EXPECT_GT(peak, 4 * size_t(cache.objects_per_slab())) << "the walk should span several slabs";

    for (const LiveObject& object : live)
        cache.free(object.memory);
    cache.release_empty_slabs();
    EXPECT_EQ(cache.objects_in_use(), 0u);
    EXPECT_EQ(cache.slab_count(), 1u);
    EXPECT_EQ(m_source.live_slab_count(), 1u);
    EXPECT_EQ(cache.leaked_object_count(), 0u);
    EXPECT_TRUE(s_recorded_reports.empty());
}

INSTANTIATE_TEST_SUITE_P(DebugModes, SlabCacheStressTest, ::testing::Values(false, true),
    [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "debug" : "plain"; });

} // namespace
