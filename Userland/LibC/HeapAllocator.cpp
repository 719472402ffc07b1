#include <Userland/LibC/HeapAllocator.h>
#include <Userland/LibC/Strings.h>

namespace LibC {

namespace {

// The payload sizes of the classes: steps of about a half, so that no block wastes more
// than a third of itself.
constexpr size_t class_sizes[HeapAllocator::class_count]
    = { 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048 };

} // namespace

size_t HeapAllocator::class_of(size_t size)
{
    for (size_t size_class = 0; size_class < class_count; ++size_class) {
        if (size <= class_sizes[size_class])
            return size_class;
    }
    return class_count;
}

size_t HeapAllocator::block_size_of(size_t size_class)
{
    return header_size + class_sizes[size_class];
}

bool HeapAllocator::refill(size_t size_class)
{
    auto* chunk = static_cast<unsigned char*>(m_source.map(chunk_size));
    if (!chunk)
        return false;
    m_mapped_bytes += chunk_size;
    size_t block_size = block_size_of(size_class);
    // The chunk's blocks onto the class's free list, first block first.
    size_t block_count = chunk_size / block_size;
    for (size_t index = block_count; index > 0; --index) {
        unsigned char* block = chunk + (index - 1) * block_size;
        auto* header = reinterpret_cast<Header*>(block);
        header->kind = size_class;
        header->mapping_length = 0;
        auto* free_block = reinterpret_cast<FreeBlock*>(block + header_size);
        free_block->next = m_free[size_class];
        m_free[size_class] = free_block;
    }
    return true;
}

void* HeapAllocator::allocate(size_t size)
{
    size_t size_class = class_of(size == 0 ? 1 : size);
    if (size_class < class_count) {
        if (!m_free[size_class] && !refill(size_class))
            return nullptr;
        FreeBlock* block = m_free[size_class];
        m_free[size_class] = block->next;
        return block;
    }
    // A large block: its own mapping, whole pages, the header first.
    if (size > SIZE_MAX - header_size - page_size)
        return nullptr;
    size_t length = (size + header_size + page_size - 1) / page_size * page_size;
    auto* mapping = static_cast<unsigned char*>(m_source.map(length));
    if (!mapping)
        return nullptr;
    m_mapped_bytes += length;
    auto* header = reinterpret_cast<Header*>(mapping);
    header->kind = large_marker;
    header->mapping_length = length;
    return mapping + header_size;
}

void* HeapAllocator::allocate_aligned(size_t alignment, size_t size)
{
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        return nullptr;
    if (alignment <= header_size)
        return allocate(size);
    // Room for the size, the worst misalignment, and a header before the aligned address.
    if (size > SIZE_MAX - alignment - header_size)
        return nullptr;
    auto* block = static_cast<unsigned char*>(allocate(size + alignment + header_size));
    if (!block)
        return nullptr;
    uintptr_t first = reinterpret_cast<uintptr_t>(block) + header_size;
    uintptr_t aligned = (first + alignment - 1) & ~(uintptr_t(alignment) - 1);
    // The header lies inside the block (aligned is at least header_size past its start).
    auto* header = reinterpret_cast<Header*>(aligned - header_size);
    header->kind = offset_marker;
    header->mapping_length = aligned - reinterpret_cast<uintptr_t>(block);
    return reinterpret_cast<void*>(aligned);
}

void HeapAllocator::free(void* block)
{
    if (!block)
        return;
    // The header sits right before every block this allocator handed out.
    auto* header = reinterpret_cast<Header*>(static_cast<unsigned char*>(block) - header_size);
    if (header->kind == offset_marker) {
        free(static_cast<unsigned char*>(block) - header->mapping_length);
        return;
    }
    if (header->kind == large_marker) {
        m_mapped_bytes -= header->mapping_length;
        m_source.unmap(header, header->mapping_length);
        return;
    }
    auto* free_block = static_cast<FreeBlock*>(block);
    free_block->next = m_free[header->kind];
    m_free[header->kind] = free_block;
}

size_t HeapAllocator::usable_size(const void* block) const
{
    const auto* header
        = reinterpret_cast<const Header*>(static_cast<const unsigned char*>(block) - header_size);
    if (header->kind == offset_marker)
        return usable_size(static_cast<const unsigned char*>(block) - header->mapping_length)
            - header->mapping_length;
    if (header->kind == large_marker)
        return header->mapping_length - header_size;
    return class_sizes[header->kind];
}

void* HeapAllocator::reallocate(void* block, size_t size)
{
    if (!block)
        return allocate(size);
    size_t usable = usable_size(block);
    const auto* header = reinterpret_cast<const Header*>(static_cast<unsigned char*>(block) - header_size);
    if (header->kind == offset_marker) {
        // An aligned block moves to a plain one (C's realloc keeps no alignment).
        void* moved = allocate(size);
        if (!moved)
            return nullptr;
        LibC::memcpy(moved, block, size < usable ? size : usable);
        free(block);
        return moved;
    }
    // Still fits, and not so much smaller that a smaller block would do (another class, or
    // for a large block less than half its mapping): keep it.
    bool is_large = usable > largest_small_block;
    bool keeps = is_large ? size > largest_small_block && size >= usable / 2
                          : class_of(size == 0 ? 1 : size) == class_of(usable);
    if (size <= usable && keeps)
        return block;
    void* moved = allocate(size);
    if (!moved)
        return nullptr;
    LibC::memcpy(moved, block, size < usable ? size : usable);
    free(block);
    return moved;
}

} // namespace LibC
