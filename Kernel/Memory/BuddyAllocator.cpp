#include <Core/Utility.h>
#include <Kernel/Memory/BuddyAllocator.h>

namespace Kernel::Memory {

namespace {

constexpr Core::StringView buddy_allocator_name = "buddy";

// poison_byte in every byte of a word.
constexpr Core::u64 poison_word = BuddyAllocator::poison_byte * 0x0101010101010101ull;

constexpr Core::u64 frames_in_order(Core::u32 order)
{
    return Core::u64 { 1 } << order;
}

// The physical address of `frame` for a report. Frame numbers from a buggy caller can be
// too large to have one; those saturate instead of wrapping to a plausible-looking address.
constexpr Core::u64 frame_address(Core::u64 frame)
{
    if (frame > (~Core::u64 { 0 } >> page_shift))
        return ~Core::u64 { 0 };
    return frame << page_shift;
}

// The largest order whose block can start at `first_frame` (natural alignment) and still
// fit in `frame_count` frames; frame_count is not zero.
Core::u32 largest_fitting_order(Core::u64 first_frame, Core::u64 frame_count)
{
    Core::u32 order = BuddyAllocator::max_order;
    if (first_frame != 0)
        order = Core::min(order, static_cast<Core::u32>(__builtin_ctzll(first_frame)));
    Core::u32 size_order = 63 - static_cast<Core::u32>(__builtin_clzll(frame_count));
    return Core::min(order, size_order);
}

} // namespace

BuddyAllocator::BuddyAllocator(Core::Span<PhysicalPage> pages)
    : m_pages(pages)
{
    // The free lists and counters start empty, which is only true of a database in which
    // nothing has been freed yet.
    for (const PhysicalPage& page : pages)
        VERIFY(page.state == PageState::Reserved);
}

BuddyAllocator::BuddyAllocator(BuddyAllocator&& other)
{
    *this = Core::move(other);
}

BuddyAllocator& BuddyAllocator::operator=(BuddyAllocator&& other)
{
    if (this == &other)
        return *this;
    m_pages = Core::exchange(other.m_pages, Core::Span<PhysicalPage>());
    for (Core::u32 order = 0; order <= max_order; ++order) {
        m_free_lists[order] = Core::exchange(other.m_free_lists[order], nullptr);
        m_free_block_counts[order] = Core::exchange(other.m_free_block_counts[order], 0);
    }
    m_free_frames = Core::exchange(other.m_free_frames, 0);
    m_allocated_frames = Core::exchange(other.m_allocated_frames, 0);
    m_frame_memory = Core::exchange(other.m_frame_memory, nullptr);
    m_corruption_handler = Core::exchange(other.m_corruption_handler, nullptr);
    return *this;
}

void BuddyAllocator::add_free_range(Core::u64 first_frame, Core::u64 frame_count)
{
    if (frame_count == 0)
        return;
    Core::u64 end_frame = 0;
    // A range running past 2^64 frames is past the database anyway; saturating keeps
    // the "beyond the database" report below instead of wrapping to a small number.
    if (__builtin_add_overflow(first_frame, frame_count, &end_frame))
        end_frame = ~Core::u64 { 0 };
    Core::u64 end_in_database = Core::min(end_frame, total_frames());

    Core::u64 frame = first_frame;
    while (frame < end_in_database) {
        if (m_pages[frame].state != PageState::Reserved) {
            report_corruption("bad free range", buddy_allocator_name, frame);
            while (frame < end_in_database && m_pages[frame].state != PageState::Reserved)
                ++frame;
            continue;
        }
        Core::u64 run_end = frame;
        while (run_end < end_in_database && m_pages[run_end].state == PageState::Reserved)
            ++run_end;
        while (frame < run_end) {
            Core::u32 order = largest_fitting_order(frame, run_end - frame);
            Core::u64 block_frames = frames_in_order(order);
            for (Core::u64 index = frame; index < frame + block_frames; ++index)
                m_pages[index] = PhysicalPage { .state = PageState::Free };
            m_free_frames += block_frames;
            insert_and_merge(frame, order);
            frame += block_frames;
        }
    }
    if (end_frame > total_frames())
        report_corruption("bad free range", buddy_allocator_name, Core::max(first_frame, total_frames()));
}

Core::Result<Core::u64> BuddyAllocator::allocate(Core::u32 order)
{
    if (order > max_order)
        return Core::ErrorCode::InvalidArgument;
    Core::u64 first_frame = TRY(take_block(order));
    if (m_frame_memory != nullptr)
        check_poison(first_frame, frames_in_order(order), buddy_allocator_name);
    return first_frame;
}

void BuddyAllocator::free(Core::u64 first_frame, Core::u32 order)
{
    if (!check_allocated_block(first_frame, order, buddy_allocator_name))
        return;
    if (m_frame_memory != nullptr)
        poison_frames(first_frame, frames_in_order(order));
    release_block(first_frame, order);
}

void BuddyAllocator::enable_poisoning(FrameMemory& memory)
{
    // Lazy: frames already free are not written now (that would touch all of memory at
    // boot); each frame is poisoned when it is next freed and checked only then.
    m_frame_memory = &memory;
}

Core::u64 BuddyAllocator::free_blocks(Core::u32 order) const
{
    VERIFY(order <= max_order);
    return m_free_block_counts[order];
}

void BuddyAllocator::report_corruption(
    Core::StringView kind, Core::StringView allocator, Core::u64 frame, Core::u64 offset) const
{
    CorruptionReport report {
        .kind = kind, .allocator = allocator, .address = frame_address(frame), .offset = offset
    };
    if (m_corruption_handler == nullptr)
        VERIFY_NOT_REACHED();
    m_corruption_handler(report);
}

bool BuddyAllocator::check_allocated_block(Core::u64 first_frame, Core::u32 order, Core::StringView allocator)
{
    if (order > max_order) {
        report_corruption("free with wrong order", allocator, first_frame);
        return false;
    }
    if (first_frame >= total_frames()) {
        report_corruption("free of unallocated frame", allocator, first_frame);
        return false;
    }
    if ((first_frame & (frames_in_order(order) - 1)) != 0) {
        report_corruption("misaligned free", allocator, first_frame);
        return false;
    }
    const PhysicalPage& head = m_pages[first_frame];
    switch (head.state) {
    case PageState::Reserved:
        report_corruption("free of unallocated frame", allocator, first_frame);
        return false;
    case PageState::Free:
        // The frame is in the free lists already, as a block of its own or inside the
        // block it was merged into.
        report_corruption("double free", allocator, first_frame);
        return false;
    case PageState::Allocated:
        break;
    }
    if (head.is_in_page_cache) {
        report_corruption("double free", allocator, first_frame);
        return false;
    }
    // A frame inside an allocated block: the caller's pointer does not start the block.
    if (!head.is_block_head) {
        report_corruption("misaligned free", allocator, first_frame);
        return false;
    }
    if (head.order != order) {
        report_corruption("free with wrong order", allocator, first_frame);
        return false;
    }
    return true;
}

Core::Result<Core::u64> BuddyAllocator::take_block(Core::u32 order)
{
    VERIFY(order <= max_order);
    Core::u32 found_order = order;
    while (found_order <= max_order && m_free_lists[found_order] == nullptr)
        ++found_order;
    if (found_order > max_order)
        return Core::ErrorCode::OutOfMemory;

    PhysicalPage& head = *m_free_lists[found_order];
    remove_free_block(head, found_order);
    Core::u64 first_frame = frame_index(head);
    // Keep the lower half each time and give the upper half back as a free block.
    while (found_order > order) {
        --found_order;
        push_free_block(first_frame + frames_in_order(found_order), found_order);
    }

    Core::u64 block_frames = frames_in_order(order);
    // Fresh entries, except for the poison mark, which allocate() still has to check.
    for (Core::u64 frame = first_frame; frame < first_frame + block_frames; ++frame)
        m_pages[frame]
            = PhysicalPage { .state = PageState::Allocated, .is_poisoned = m_pages[frame].is_poisoned };
    m_pages[first_frame].is_block_head = true;
    m_pages[first_frame].order = static_cast<Core::u8>(order);
    m_free_frames -= block_frames;
    m_allocated_frames += block_frames;
    return first_frame;
}

void BuddyAllocator::release_block(Core::u64 first_frame, Core::u32 order)
{
    Core::u64 block_frames = frames_in_order(order);
    for (Core::u64 frame = first_frame; frame < first_frame + block_frames; ++frame)
        m_pages[frame] = PhysicalPage { .state = PageState::Free, .is_poisoned = m_pages[frame].is_poisoned };
    m_allocated_frames -= block_frames;
    m_free_frames += block_frames;
    insert_and_merge(first_frame, order);
}

void BuddyAllocator::insert_and_merge(Core::u64 first_frame, Core::u32 order)
{
    while (order < max_order) {
        Core::u64 buddy_frame = first_frame ^ frames_in_order(order);
        if (buddy_frame >= total_frames())
            break;
        PhysicalPage& buddy = m_pages[buddy_frame];
        // Only a whole free block of the same order can merge: a larger free block
        // containing the buddy would contain this block too, and a smaller one means part
        // of the buddy is still in use.
        if (buddy.state != PageState::Free || !buddy.is_block_head || buddy.order != order)
            break;
        remove_free_block(buddy, order);
        PhysicalPage& upper_head = m_pages[Core::max(first_frame, buddy_frame)];
        upper_head.is_block_head = false;
        upper_head.order = 0;
        first_frame = Core::min(first_frame, buddy_frame);
        ++order;
    }
    push_free_block(first_frame, order);
}

void BuddyAllocator::push_free_block(Core::u64 first_frame, Core::u32 order)
{
    PhysicalPage& head = m_pages[first_frame];
    head.is_block_head = true;
    head.order = static_cast<Core::u8>(order);
    head.previous_free = nullptr;
    head.next_free = m_free_lists[order];
    if (head.next_free != nullptr)
        head.next_free->previous_free = &head;
    m_free_lists[order] = &head;
    ++m_free_block_counts[order];
}

void BuddyAllocator::remove_free_block(PhysicalPage& head, Core::u32 order)
{
    if (head.previous_free != nullptr) {
        head.previous_free->next_free = head.next_free;
    } else {
        // Only the first block of a list has no predecessor.
        VERIFY(m_free_lists[order] == &head);
        m_free_lists[order] = head.next_free;
    }
    if (head.next_free != nullptr)
        head.next_free->previous_free = head.previous_free;
    head.next_free = nullptr;
    head.previous_free = nullptr;
    --m_free_block_counts[order];
}

void BuddyAllocator::poison_frames(Core::u64 first_frame, Core::u64 frame_count)
{
    for (Core::u64 frame = first_frame; frame < first_frame + frame_count; ++frame) {
        Core::u8* bytes = m_frame_memory->frame_bytes(frame);
        if (bytes == nullptr)
            continue;
        // FrameMemory hands back the frame's page_size mapped bytes, and the frame is being
        // freed, so no one else may be using them.
        __builtin_memset(bytes, poison_byte, page_size);
        m_pages[frame].is_poisoned = true;
    }
}

void BuddyAllocator::check_poison(Core::u64 first_frame, Core::u64 frame_count, Core::StringView allocator)
{
    for (Core::u64 frame = first_frame; frame < first_frame + frame_count; ++frame) {
        if (!m_pages[frame].is_poisoned)
            continue;
        m_pages[frame].is_poisoned = false;
        const Core::u8* bytes = m_frame_memory->frame_bytes(frame);
        if (bytes == nullptr)
            continue;
        // Accumulating whole words without an early exit lets the common, intact case run
        // as one straight loop (the kernel has no vector registers to do bytes quickly);
        // only a damaged frame pays for finding the offset. memcpy makes no alignment
        // assumption and compiles to a plain load. `bytes` spans the frame's page_size
        // mapped bytes, and offset + 8 <= page_size keeps every load inside it.
        Core::u64 difference = 0;
        for (Core::u64 offset = 0; offset < page_size; offset += sizeof(Core::u64)) {
            Core::u64 word = 0;
            __builtin_memcpy(&word, bytes + offset, sizeof(word));
            difference |= word ^ poison_word;
        }
        if (difference == 0)
            continue;
        for (Core::u64 offset = 0; offset < page_size; ++offset) {
            if (bytes[offset] != poison_byte) {
                report_corruption("write after free", allocator, frame, offset);
                break;
            }
        }
    }
}

Core::u64 BuddyAllocator::frame_index(const PhysicalPage& page) const
{
    VERIFY(&page >= m_pages.begin() && &page < m_pages.end());
    // The VERIFY placed `page` inside m_pages, so the subtraction is within one array.
    return static_cast<Core::u64>(&page - m_pages.begin());
}

} // namespace Kernel::Memory
