#pragma once

// The binary buddy allocator of physical page frames. It hands out naturally aligned
// blocks of 2^order frames (order 0..max_order) and keeps all of its bookkeeping in the
// frame database (PhysicalPage): free blocks are linked through their head page's
// next_free/previous_free, so nothing is ever written into the frames themselves, which
// need not be mapped. Every operation costs O(2^order + max_order): the pages of a block
// are marked one by one, and splitting or merging touches only block heads.
//
// The allocator is not locked; the kernel wraps its instance in a lock, and the per-CPU
// PageCache in front of it takes that lock only to refill or drain a batch.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Core/Types.h>
#include <Kernel/Memory/MemoryCorruption.h>
#include <Kernel/Memory/PhysicalPage.h>

namespace Kernel::Memory {

// Gives the allocator access to the contents of frames, for poisoning. The kernel
// implements it with the direct physical map; host tests with a buffer.
class FrameMemory {
public:
    // The page_size bytes of `frame`, or nullptr when the frame cannot be reached (the
    // allocator then neither poisons nor checks it).
    virtual Core::u8* frame_bytes(Core::u64 frame) = 0;

protected:
    ~FrameMemory() = default;
};

class PageCache;

class BuddyAllocator {
public:
    // Blocks hold 1 (order 0) up to 1024 (order 10) frames: 4 KiB to 4 MiB.
    static constexpr Core::u32 max_order = 10;
    // What a free frame is filled with while poisoning is enabled.
    static constexpr Core::u8 poison_byte = 0x5A;

    // An allocator of no frames: every allocation fails with OutOfMemory. This is what
    // the kernel's global instance holds until boot has built the frame database; the
    // real allocator is then constructed whole and moved in, so there is no moment at
    // which the global is half set up.
    constexpr BuddyAllocator() = default;

    // An allocator over the frame database `pages`, where pages[index] describes frame
    // `index` (frame 0 is physical address 0). Every entry must still be Reserved, as a
    // freshly built database is; nothing is free until add_free_range() says so. The
    // allocator keeps pointers into `pages`, which must outlive it.
    explicit BuddyAllocator(Core::Span<PhysicalPage> pages);

    BuddyAllocator(const BuddyAllocator&) = delete;
    BuddyAllocator& operator=(const BuddyAllocator&) = delete;
    // The free lists live in the pages, not in the allocator, so moving one only moves
    // the list heads; the source is left empty.
    BuddyAllocator(BuddyAllocator&& other);
    BuddyAllocator& operator=(BuddyAllocator&& other);

    // Turns the Reserved frames [first_frame, first_frame + frame_count) into free blocks,
    // merging them with free neighbours. Frames beyond the database or not Reserved are a
    // kernel bug: they are reported ("bad free range", one report per run of bad frames,
    // address = the run's first frame) and skipped.
    void add_free_range(Core::u64 first_frame, Core::u64 frame_count);

    // The first frame of a naturally aligned block of 2^order frames, now Allocated and
    // with PageUse::None (the caller sets the use). InvalidArgument for order > max_order;
    // OutOfMemory when no block is large enough.
    [[nodiscard]] Core::Result<Core::u64> allocate(Core::u32 order);

    // Returns the block allocate(order) gave out at first_frame. Anything else (a double
    // free, a frame that was never allocated, the wrong order, a frame that does not start
    // its block) is reported and the allocator's state is left untouched.
    void free(Core::u64 first_frame, Core::u32 order);

    // From now on, freed frames are filled with poison_byte (and marked is_poisoned) and
    // allocate() checks that marked frames still hold it before handing them out
    // (reporting "write after free" otherwise). Frames already free are left as they are
    // and not checked, so enabling costs nothing at boot. `memory` must outlive the
    // allocator.
    void enable_poisoning(FrameMemory& memory);
    [[nodiscard]] bool is_poisoning_enabled() const { return m_frame_memory != nullptr; }

    // Where corruption is reported. Without a handler, corruption is fatal.
    void set_corruption_handler(CorruptionHandler handler) { m_corruption_handler = handler; }

    [[nodiscard]] Core::u64 total_frames() const { return m_pages.size(); }
    [[nodiscard]] Core::u64 free_frames() const { return m_free_frames; }
    // Includes the frames sitting in PageCaches, which are Allocated from this view (each
    // cache's count() says how many it holds).
    [[nodiscard]] Core::u64 allocated_frames() const { return m_allocated_frames; }
    [[nodiscard]] Core::u64 reserved_frames() const
    {
        return total_frames() - m_free_frames - m_allocated_frames;
    }
    // How many free blocks of exactly 2^order frames there are; order <= max_order.
    [[nodiscard]] Core::u64 free_blocks(Core::u32 order) const;

private:
    // PageCache keeps frames Allocated here but marks them cached, and hands them back
    // through the same internal steps as free() (see PageCache.h).
    friend class PageCache;

    void report_corruption(
        Core::StringView kind, Core::StringView allocator, Core::u64 frame, Core::u64 offset = 0) const;
    // True when (first_frame, order) is a block allocate() handed out and nobody has freed
    // since; otherwise reports why not, naming `allocator`.
    [[nodiscard]] bool check_allocated_block(
        Core::u64 first_frame, Core::u32 order, Core::StringView allocator);

    // Takes a block of exactly 2^order frames, splitting a larger one if needed, and marks
    // it Allocated. Does not look at poison.
    [[nodiscard]] Core::Result<Core::u64> take_block(Core::u32 order);
    // Marks the allocated block Free and puts it in the free lists, merging it with its
    // buddies. Does not poison.
    void release_block(Core::u64 first_frame, Core::u32 order);
    // Links an already Free block into the free lists, merging it with free buddies first.
    void insert_and_merge(Core::u64 first_frame, Core::u32 order);

    void push_free_block(Core::u64 first_frame, Core::u32 order);
    void remove_free_block(PhysicalPage& head, Core::u32 order);

    void poison_frames(Core::u64 first_frame, Core::u64 frame_count);
    // Reports every frame of the block whose bytes are no longer all poison_byte.
    void check_poison(Core::u64 first_frame, Core::u64 frame_count, Core::StringView allocator);

    [[nodiscard]] Core::u64 frame_index(const PhysicalPage& page) const;

    Core::Span<PhysicalPage> m_pages;
    // Head page of the first free block of each order; the lists continue through
    // PhysicalPage::next_free and the first block's previous_free is nullptr.
    PhysicalPage* m_free_lists[max_order + 1] {};
    Core::u64 m_free_block_counts[max_order + 1] {};
    Core::u64 m_free_frames { 0 };
    Core::u64 m_allocated_frames { 0 };
    FrameMemory* m_frame_memory { nullptr };
    CorruptionHandler m_corruption_handler { nullptr };
};

} // namespace Kernel::Memory
