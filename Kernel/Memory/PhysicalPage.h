#pragma once

// The frame database: one PhysicalPage per 4 KiB physical frame, from frame 0 up to the
// highest usable address. It records what every frame is used for, links free blocks for
// the buddy allocator, and lets the heap find which slab cache owns a page.

#include <Core/StringView.h>
#include <Core/Types.h>

namespace Kernel::Memory {

inline constexpr Core::u64 page_size = 4096;
inline constexpr Core::u32 page_shift = 12;

enum class PageState : Core::u8 {
    // Not RAM, or RAM the kernel must never hand out (firmware, ACPI, the kernel image,
    // boot modules, the frame database itself). The initial state of every entry.
    Reserved,
    // In the buddy allocator's free lists (or inside a free block).
    Free,
    // Handed out by the buddy allocator.
    Allocated,
};

constexpr Core::StringView page_state_name(PageState state)
{
    switch (state) {
    case PageState::Reserved:
        return "reserved";
    case PageState::Free:
        return "free";
    case PageState::Allocated:
        return "allocated";
    }
    return "?";
}

// How an allocated page is used, for accounting and for the heap's pointer-to-owner
// lookup. Set by whoever allocated the page.
enum class PageUse : Core::u8 {
    None,
    PageTable,
    KernelStack,
    HeapSlab,
    HeapLarge,
    FrameDatabase,
    Other,
    // A page of a memory object (MemoryObject.h), freed with it; `owner` names the object.
    MemoryObject,
};

struct PhysicalPage {
    // Doubly linked free list of the buddy allocator; only meaningful on the first page of
    // a free block.
    PhysicalPage* next_free { nullptr };
    PhysicalPage* previous_free { nullptr };
    // For HeapSlab pages: the SlabCache that owns the slab containing this page. For
    // MemoryObject pages: the object whose page it is (checked when the object frees it).
    void* owner { nullptr };
    PageState state { PageState::Reserved };
    // Order of the block this page heads (free or allocated); 0 on pages inside a block.
    Core::u8 order { 0 };
    PageUse use { PageUse::None };
    // True on the first page of a free or allocated block.
    bool is_block_head { false };
    // True while the frame sits in a per-CPU PageCache: Allocated from the buddy
    // allocator's view, but free from everyone else's, so freeing it again is a double free.
    bool is_in_page_cache { false };
    // True while the frame holds the allocator's poison pattern (it was freed with
    // poisoning on); only such frames are checked when they are handed out again.
    bool is_poisoned { false };
};

} // namespace Kernel::Memory
