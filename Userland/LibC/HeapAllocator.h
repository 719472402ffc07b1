#pragma once

// malloc's engine (docs/libc.md): blocks of 14 size classes from 16 to 2048 bytes, carved
// from 64 KiB chunks and kept on one free list per class, and larger blocks mapped on
// their own. Pure: the memory comes from a PageSource (memory objects in user space,
// Userland/LibC/CFunctions.cpp; the host's allocator in the host tests). Not thread-safe by
// itself: the C functions hold a lock around it.
//
// Every block has a 16-byte header before it: its size class, or for a large block the
// length of its mapping. So every pointer handed out is 16-byte aligned (the page source
// gives page-aligned memory), as malloc's must be for any fundamental type.

#include <stddef.h>
#include <stdint.h>

namespace LibC {

class PageSource {
public:
    // `bytes` (a multiple of the page size) of zeroed, page-aligned memory, or null.
    virtual void* map(size_t bytes) = 0;
    virtual void unmap(void* memory, size_t bytes) = 0;

protected:
    ~PageSource() = default;
};

class HeapAllocator {
public:
    static constexpr size_t page_size = 4096;
    static constexpr size_t chunk_size = 64 * 1024;
    static constexpr size_t header_size = 16;
    static constexpr size_t largest_small_block = 2048;
    static constexpr size_t class_count = 14;

    // constexpr, so that a global heap is ready before any constructor that allocates runs.
    explicit constexpr HeapAllocator(PageSource& source)
        : m_source(source)
    {
    }

    // At least `size` bytes (a unique block even for 0), or null when the source has none.
    void* allocate(size_t size);
    // The same, aligned to `alignment` (a power of two): a larger block, and the aligned
    // address within it behind a header that leads free() back to the block. Null for an
    // alignment that is not a power of two, or when no memory is left.
    void* allocate_aligned(size_t alignment, size_t size);
    // Gives back a block `allocate` or `reallocate` returned; null does nothing.
    void free(void* block);
    // The block grown or shrunk to `size`, its contents kept up to the smaller size: the
    // same block when its class still fits, else a new one (the old freed). Null when no
    // memory is left, and the old block stays as it was.
    void* reallocate(void* block, size_t size);
    // How many bytes the block can hold (its class, or its mapping less the header).
    [[nodiscard]] size_t usable_size(const void* block) const;

    // What the allocator holds from its source, for tests and diagnostics.
    [[nodiscard]] size_t mapped_bytes() const { return m_mapped_bytes; }

private:
    struct FreeBlock {
        FreeBlock* next;
    };
    struct Header {
        // A size class (below class_count), large_marker for a block mapped on its own, or
        // offset_marker for an aligned address inside another block.
        uint64_t kind;
        // For a large block: the length of its mapping; for an aligned address: how far it
        // lies past the start of its block.
        uint64_t mapping_length;
    };
    static_assert(sizeof(Header) == header_size);
    static constexpr uint64_t large_marker = ~0ull;
    static constexpr uint64_t offset_marker = ~1ull;

    static size_t class_of(size_t size);
    static size_t block_size_of(size_t size_class);
    bool refill(size_t size_class);

    PageSource& m_source;
    FreeBlock* m_free[class_count] {};
    size_t m_mapped_bytes { 0 };
};

} // namespace LibC
