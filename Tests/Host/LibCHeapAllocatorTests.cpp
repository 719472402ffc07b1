// LibC's malloc engine (Userland/LibC/HeapAllocator.cpp) over pages from the host: random
// allocations, frees and reallocations of every size keep every block's contents, never
// overlap, stay 16-byte aligned, and give large blocks' memory back when freed.

#include <Userland/LibC/HeapAllocator.h>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <map>
#include <random>
#include <vector>

namespace {

// Page-aligned, zeroed memory from the host, counted.
class HostPages final : public LibC::PageSource {
public:
    ~HostPages()
    {
        for (auto& [memory, bytes] : m_live)
            std::free(memory);
    }
    void* map(size_t bytes) override
    {
        if (m_limit != 0 && m_total + bytes > m_limit)
            return nullptr;
        void* memory = std::aligned_alloc(LibC::HeapAllocator::page_size, bytes);
        std::memset(memory, 0, bytes);
        m_live[memory] = bytes;
        m_total += bytes;
        return memory;
    }
    void unmap(void* memory, size_t bytes) override
    {
        EXPECT_EQ(m_live.at(memory), bytes);
        m_live.erase(memory);
        m_total -= bytes;
        std::free(memory);
    }
    size_t total() const { return m_total; }
    void set_limit(size_t limit) { m_limit = limit; }

private:
    std::map<void*, size_t> m_live;
    size_t m_total { 0 };
    size_t m_limit { 0 };
};

struct Live {
    unsigned char* pointer;
    size_t size;
    unsigned char pattern;
};

void fill(const Live& block)
{
    std::memset(block.pointer, block.pattern, block.size);
}

bool intact(const Live& block)
{
    for (size_t index = 0; index < block.size; ++index) {
        if (block.pointer[index] != block.pattern)
            return false;
    }
    return true;
}

TEST(LibCHeapAllocator, random_work_keeps_every_block_intact_and_apart)
{
    HostPages pages;
    LibC::HeapAllocator heap(pages);
    std::mt19937 random(29);
    std::vector<Live> live;
    for (int step = 0; step < 20000; ++step) {
        unsigned choice = random() % 10;
        if (choice < 5 || live.empty()) {
            // Mostly small sizes, some around the classes' edges, some large.
            size_t size = random() % 4 == 0 ? random() % 20000 : random() % 2100;
            auto* pointer = static_cast<unsigned char*>(heap.allocate(size));
            ASSERT_NE(pointer, nullptr);
            EXPECT_EQ(reinterpret_cast<uintptr_t>(pointer) % 16, 0u);
            EXPECT_GE(heap.usable_size(pointer), size);
            Live block { pointer, size, static_cast<unsigned char>(random()) };
            fill(block);
            live.push_back(block);
        } else if (choice < 8) {
            size_t index = random() % live.size();
            ASSERT_TRUE(intact(live[index])) << "block of " << live[index].size;
            heap.free(live[index].pointer);
            live[index] = live.back();
            live.pop_back();
        } else {
            size_t index = random() % live.size();
            Live& block = live[index];
            size_t size = random() % 2 == 0 ? random() % 3000 : random() % 30000;
            auto* moved = static_cast<unsigned char*>(heap.reallocate(block.pointer, size));
            ASSERT_NE(moved, nullptr);
            // The contents up to the smaller size came along.
            size_t kept = size < block.size ? size : block.size;
            for (size_t byte = 0; byte < kept; ++byte)
                ASSERT_EQ(moved[byte], block.pattern);
            block = { moved, size, static_cast<unsigned char>(random()) };
            fill(block);
        }
    }
    // No two live blocks overlap.
    std::map<uintptr_t, size_t> ranges;
    for (const Live& block : live) {
        EXPECT_TRUE(intact(block));
        ranges[reinterpret_cast<uintptr_t>(block.pointer)] = block.size;
    }
    uintptr_t end = 0;
    for (auto& [start, size] : ranges) {
        EXPECT_GE(start, end);
        end = start + size;
    }
    for (const Live& block : live)
        heap.free(block.pointer);
    // The chunks of small blocks stay for reuse; every large mapping went back.
    EXPECT_EQ(pages.total(), heap.mapped_bytes());
    EXPECT_EQ(heap.mapped_bytes() % LibC::HeapAllocator::chunk_size, 0u);
}

TEST(LibCHeapAllocator, freed_blocks_are_reused_and_large_ones_unmapped)
{
    HostPages pages;
    LibC::HeapAllocator heap(pages);
    void* first = heap.allocate(100);
    heap.free(first);
    EXPECT_EQ(heap.allocate(100), first);
    size_t before = pages.total();
    void* large = heap.allocate(1 << 20);
    ASSERT_NE(large, nullptr);
    EXPECT_GE(pages.total(), before + (1 << 20));
    heap.free(large);
    EXPECT_EQ(pages.total(), before);
    // Zero bytes is a block of its own; null frees nothing.
    void* empty = heap.allocate(0);
    EXPECT_NE(empty, nullptr);
    EXPECT_NE(heap.allocate(0), empty);
    heap.free(nullptr);
}

TEST(LibCHeapAllocator, reallocation_keeps_a_block_while_it_fits_its_class)
{
    HostPages pages;
    LibC::HeapAllocator heap(pages);
    void* block = heap.allocate(100); // the 128-byte class
    EXPECT_EQ(heap.reallocate(block, 120), block);
    EXPECT_EQ(heap.reallocate(block, 97), block);
    void* smaller = heap.reallocate(block, 10);
    EXPECT_NE(smaller, block);
    EXPECT_EQ(heap.usable_size(smaller), 16u);
    void* large = heap.allocate(100000);
    EXPECT_EQ(heap.reallocate(large, 60000), large);
    EXPECT_NE(heap.reallocate(large, 3000), large);
}

TEST(LibCHeapAllocator, running_out_of_pages_is_a_null_not_a_crash)
{
    HostPages pages;
    pages.set_limit(LibC::HeapAllocator::chunk_size);
    LibC::HeapAllocator heap(pages);
    EXPECT_EQ(heap.allocate(1 << 20), nullptr);
    void* kept = heap.allocate(64);
    ASSERT_NE(kept, nullptr);
    // The one chunk serves its class; another class needs a chunk there is no room for.
    EXPECT_EQ(heap.allocate(1024), nullptr);
    // A failed reallocation leaves the block as it was.
    std::memset(kept, 0x5A, 64);
    EXPECT_EQ(heap.reallocate(kept, 1 << 20), nullptr);
    EXPECT_EQ(static_cast<unsigned char*>(kept)[63], 0x5A);
    EXPECT_EQ(heap.allocate(SIZE_MAX), nullptr);
}

} // namespace

TEST(LibCHeapAllocator, AlignedBlocksAreAlignedUsableAndFreed)
{
    HostPages pages;
    LibC::HeapAllocator heap(pages);
    std::vector<std::pair<void*, size_t>> blocks;
    for (size_t alignment : { 1, 8, 16, 32, 64, 256, 4096, 65536 }) {
        for (size_t size : { 0, 1, 24, 100, 3000, 70000 }) {
            void* block = heap.allocate_aligned(alignment, size);
            ASSERT_NE(block, nullptr) << alignment << " " << size;
            EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % (alignment < 16 ? 16 : alignment), 0u);
            EXPECT_GE(heap.usable_size(block), size);
            std::memset(block, 0x5A, size);
            blocks.emplace_back(block, size);
        }
    }
    // Growing an aligned block keeps its contents.
    void* grown = heap.reallocate(blocks[10].first, 5000);
    ASSERT_NE(grown, nullptr);
    EXPECT_EQ(static_cast<unsigned char*>(grown)[blocks[10].second - 1], 0x5A);
    blocks[10].first = grown;
    for (auto& [block, size] : blocks)
        heap.free(block);
    EXPECT_EQ(heap.allocate_aligned(3, 10), nullptr);
    EXPECT_EQ(heap.allocate_aligned(48, 10), nullptr);
    EXPECT_EQ(heap.allocate_aligned(64, SIZE_MAX - 8), nullptr);
}
