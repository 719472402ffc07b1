#include <ABI/Memory.h>
#include <Core/Assertions.h>
#include <Core/NoThrow.h>
#include <Kernel/Iommu/Iommu.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/Heap.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Memory/MemoryObject.h>
#include <Kernel/Memory/UserCopy.h>

namespace Kernel::Memory {

namespace {

// Frames held by all memory objects, for tests and statistics.
Core::u64 s_owned_frames = 0;

// Reads a page as zero when no object in the chain has it. Constant, so it lives in the
// kernel's read-only data.
alignas(4096) const Core::u8 s_zero_page[4096] = {};

bool is_page_aligned(Core::u64 value)
{
    return (value & (ABI::memory_page_size - 1)) == 0;
}

// A zeroed slot per page; OutOfMemory when the heap has no room for them.
Core::Result<Core::u64*> allocate_frame_slots(Core::u64 page_count)
{
    void* storage = TRY(allocate(page_count * sizeof(Core::u64)));
    auto* slots = static_cast<Core::u64*>(storage);
    for (Core::u64 index = 0; index < page_count; ++index)
        slots[index] = 0;
    return slots;
}

// Whether [offset, offset + length) lies inside an object of `size` bytes, without the sum
// wrapping.
bool is_inside(Core::u64 offset, Core::u64 length, Core::u64 size)
{
    return offset <= size && length <= size - offset;
}

} // namespace

Core::Result<Core::RefPtr<MemoryObject>> MemoryObject::create_anonymous(Core::u64 size)
{
    if (size == 0 || !is_page_aligned(size))
        return Core::ErrorCode::InvalidArgument;
    if (size > ABI::memory_object_maximum_size)
        return Core::ErrorCode::OutOfRange;
    Core::u64* frames = TRY(allocate_frame_slots(size / page_bytes));
    auto* object = new (Core::nothrow) MemoryObject(Kind::Anonymous, size, frames);
    if (!object) {
        free(frames);
        return Core::ErrorCode::OutOfMemory;
    }
    return Core::RefPtr<MemoryObject>::adopt(object);
}

Core::Result<Core::RefPtr<MemoryObject>> MemoryObject::create_child(
    Core::RefPtr<MemoryObject> parent, Core::u64 offset, Core::u64 size)
{
    VERIFY(parent);
    if (size == 0 || !is_page_aligned(size) || !is_page_aligned(offset))
        return Core::ErrorCode::InvalidArgument;
    if (parent->kind() == Kind::Physical)
        return Core::ErrorCode::NotSupported;
    if (!is_inside(offset, size, parent->size()) || parent->m_depth >= max_child_depth)
        return Core::ErrorCode::OutOfRange;
    Core::u64* frames = TRY(allocate_frame_slots(size / page_bytes));
    auto* object = new (Core::nothrow) MemoryObject(Kind::CopyOnWriteChild, size, frames);
    if (!object) {
        free(frames);
        return Core::ErrorCode::OutOfMemory;
    }
    object->m_depth = parent->m_depth + 1;
    object->m_parent_offset = offset;
    object->m_parent = Core::move(parent);
    return Core::RefPtr<MemoryObject>::adopt(object);
}

Core::Result<Core::RefPtr<MemoryObject>> MemoryObject::create_physical(
    Core::u64 physical_base, Core::u64 size, Arch::CacheMode cache)
{
    if (size == 0 || size > maximum_physical_size || !is_page_aligned(size)
        || !is_page_aligned(physical_base))
        return Core::ErrorCode::InvalidArgument;
    TRY(check_device_memory(physical_base, size));
    auto* object = new (Core::nothrow) MemoryObject(Kind::Physical, size, nullptr);
    if (!object)
        return Core::ErrorCode::OutOfMemory;
    object->m_physical_base = physical_base;
    object->m_cache = cache;
    return Core::RefPtr<MemoryObject>::adopt(object);
}

Core::Result<Core::RefPtr<MemoryObject>> MemoryObject::create_contiguous(Core::u64 size)
{
    if (size == 0 || !is_page_aligned(size))
        return Core::ErrorCode::InvalidArgument;
    if (size > maximum_contiguous_size)
        return Core::ErrorCode::OutOfRange;
    Core::u64 pages = size / page_bytes;
    int order = 0;
    while ((1ull << order) < pages)
        ++order;
    Core::u64* frames = TRY(allocate_frame_slots(pages));
    auto* object = new (Core::nothrow) MemoryObject(Kind::Anonymous, size, frames);
    if (!object) {
        free(frames);
        return Core::ErrorCode::OutOfMemory;
    }
    auto reference = Core::RefPtr<MemoryObject>::adopt(object);
    auto block = allocate_physical_pages(static_cast<Core::u32>(order), PageUse::MemoryObject);
    if (block.is_error())
        return block.error();
    Core::u64 base = block.value();
    object->m_contiguous_order = order;
    // Every frame of the block is the object's, zeroed, and present before anyone maps it.
    for (Core::u64 index = 0; index < (1ull << order); ++index) {
        Core::u64 frame = base + index * page_bytes;
        PhysicalPage* page = physical_page(frame);
        page->use = PageUse::MemoryObject;
        page->owner = object;
        __builtin_memset(physical_to_virtual(frame), 0, page_bytes);
        if (index < pages)
            frames[index] = frame;
    }
    __atomic_add_fetch(&s_owned_frames, 1ull << order, __ATOMIC_RELAXED);
    return reference;
}

MemoryObject::MemoryObject(Kind kind, Core::u64 size, Core::u64* frames)
    : m_kind(kind)
    , m_size(size)
    , m_frames(frames)
{
}

Core::Result<void> MemoryObject::map_for_device(Core::RefPtr<Iommu::Domain> domain)
{
    if (m_contiguous_order < 0 || m_dma_domain || !domain)
        return Core::ErrorCode::InvalidArgument;
    TRY(domain->map(m_frames[0], m_size, true));
    m_dma_domain = Core::move(domain);
    return {};
}

MemoryObject::~MemoryObject()
{
    if (!m_frames)
        return;
    // The device must lose its way to the frames before anyone else can get them. If the
    // IOMMU cannot confirm it has, the frames are never reused (leaked, not freed).
    if (m_dma_domain && !m_dma_domain->unmap(m_frames[0], m_size)) {
        Log::error(
            "memory: DMA memory at {:#x} kept forever: the IOMMU did not confirm its unmapping", m_frames[0]);
        free(m_frames);
        return;
    }
    if (m_contiguous_order >= 0) {
        // The whole block goes back at once (frames[0] is its first); until then every
        // frame in it was this object's.
        Core::u64 base = m_frames[0];
        Core::u64 block_frames = 1ull << m_contiguous_order;
        if (base != 0) {
            for (Core::u64 index = 0; index < block_frames; ++index) {
                PhysicalPage* page = physical_page(base + index * page_bytes);
                VERIFY(page && page->use == PageUse::MemoryObject && page->owner == this);
                page->owner = nullptr;
            }
            free_physical_pages(base, static_cast<Core::u32>(m_contiguous_order));
            __atomic_sub_fetch(&s_owned_frames, block_frames, __ATOMIC_RELAXED);
        }
        free(m_frames);
        return;
    }
    // The last reference is gone: no mapping maps these frames any more (each holds a
    // reference), and no child reads them (each holds one too).
    Core::u64 freed = 0;
    for (Core::u64 index = 0; index < page_count(); ++index) {
        Core::u64 frame = m_frames[index];
        if (frame == 0)
            continue;
        PhysicalPage* page = physical_page(frame);
        // Each frame was allocated by this object and recorded as its own; anything else
        // means the slot table was corrupted, and freeing would hand out a frame in use.
        VERIFY(page && page->use == PageUse::MemoryObject && page->owner == this);
        page->owner = nullptr;
        free_physical_page(frame);
        ++freed;
    }
    __atomic_sub_fetch(&s_owned_frames, freed, __ATOMIC_RELAXED);
    free(m_frames);
}

Core::u64 MemoryObject::visible_frame(Core::u64 page_index) const
{
    const MemoryObject* object = this;
    // The chain is at most max_child_depth long, and every child's window lies inside its
    // parent, so the index stays inside each object it is used on.
    while (object) {
        Core::u64 frame = __atomic_load_n(&object->m_frames[page_index], __ATOMIC_ACQUIRE);
        if (frame != 0 || !object->m_parent)
            return frame;
        page_index += object->m_parent_offset / page_bytes;
        object = object->m_parent.get();
    }
    return 0;
}

Core::Result<Core::u64> MemoryObject::own_frame(Core::u64 page_index)
{
    Core::u64 existing = __atomic_load_n(&m_frames[page_index], __ATOMIC_ACQUIRE);
    if (existing != 0)
        return existing;
    Core::u64 frame = TRY(allocate_physical_page(PageUse::MemoryObject));
    physical_page(frame)->owner = this;
    // Fresh RAM, reached through the direct map. A page is exposed only once it holds what
    // the object means it to: zeros, or the parent chain's content.
    auto* destination = static_cast<Core::u8*>(physical_to_virtual(frame));
    Core::u64 source_frame
        = m_parent ? m_parent->visible_frame(page_index + m_parent_offset / page_bytes) : 0;
    const auto* source
        = source_frame ? static_cast<const Core::u8*>(physical_to_virtual(source_frame)) : s_zero_page;
    __builtin_memcpy(destination, source, page_bytes);
    Core::u64 expected = 0;
    // Release: whoever sees the slot set also sees the page's content.
    if (!__atomic_compare_exchange_n(
            &m_frames[page_index], &expected, frame, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        // Another CPU published its frame first; that one is the page.
        physical_page(frame)->owner = nullptr;
        free_physical_page(frame);
        return expected;
    }
    __atomic_add_fetch(&s_owned_frames, 1, __ATOMIC_RELAXED);
    return frame;
}

Core::Result<Core::u64> MemoryObject::frame_for_mapping(Core::u64 page_index)
{
    VERIFY(page_index < page_count());
    if (m_kind == Kind::Physical)
        return m_physical_base + page_index * page_bytes;
    return own_frame(page_index);
}

template<typename CopyChunk>
Core::Result<void> MemoryObject::read_chunks(Core::u64 offset, Core::u64 length, CopyChunk copy_chunk)
{
    if (m_kind == Kind::Physical)
        return Core::ErrorCode::NotSupported;
    if (!is_inside(offset, length, m_size))
        return Core::ErrorCode::OutOfRange;
    Core::u64 done = 0;
    while (done < length) {
        Core::u64 position = offset + done;
        Core::u64 in_page = position % page_bytes;
        Core::u64 chunk = Core::min<Core::u64>(length - done, page_bytes - in_page);
        Core::u64 frame = visible_frame(position / page_bytes);
        // A frame of this object or one of its parents, kept alive by the reference the
        // caller holds (no lock is held, so a copy to user memory may fault and have the
        // fault resolved); the chunk stays inside that page.
        const auto* source = frame ? static_cast<const Core::u8*>(physical_to_virtual(frame)) : s_zero_page;
        TRY(copy_chunk(source + in_page, done, chunk));
        done += chunk;
    }
    return {};
}

template<typename CopyChunk>
Core::Result<void> MemoryObject::write_chunks(Core::u64 offset, Core::u64 length, CopyChunk copy_chunk)
{
    if (m_kind == Kind::Physical)
        return Core::ErrorCode::NotSupported;
    if (!is_inside(offset, length, m_size))
        return Core::ErrorCode::OutOfRange;
    Core::u64 done = 0;
    while (done < length) {
        Core::u64 position = offset + done;
        Core::u64 in_page = position % page_bytes;
        Core::u64 chunk = Core::min<Core::u64>(length - done, page_bytes - in_page);
        Core::u64 frame = TRY(own_frame(position / page_bytes));
        // This object's own frame (RAM, direct-mapped); the chunk stays inside the page.
        auto* destination = static_cast<Core::u8*>(physical_to_virtual(frame));
        TRY(copy_chunk(destination + in_page, done, chunk));
        done += chunk;
    }
    return {};
}

Core::Result<void> MemoryObject::read(Core::u64 offset, Core::Bytes destination)
{
    return read_chunks(
        offset, destination.size(), [&](const Core::u8* source, Core::u64 done, Core::u64 chunk) {
            __builtin_memcpy(destination.data() + done, source, chunk);
            return Core::Result<void> {};
        });
}

Core::Result<void> MemoryObject::write(Core::u64 offset, Core::ReadonlyBytes source)
{
    return write_chunks(offset, source.size(), [&](Core::u8* destination, Core::u64 done, Core::u64 chunk) {
        __builtin_memcpy(destination, source.data() + done, chunk);
        return Core::Result<void> {};
    });
}

Core::Result<void> MemoryObject::read_to_user(Core::u64 offset, Core::u64 user_buffer, Core::u64 length)
{
    return read_chunks(offset, length, [&](const Core::u8* source, Core::u64 done, Core::u64 chunk) {
        return copy_to_user(user_buffer + done, source, chunk);
    });
}

Core::Result<void> MemoryObject::write_from_user(Core::u64 offset, Core::u64 user_buffer, Core::u64 length)
{
    // copy_from_user checks the user side.
    return write_chunks(offset, length, [&](Core::u8* destination, Core::u64 done, Core::u64 chunk) {
        return copy_from_user(destination, user_buffer + done, chunk);
    });
}

Core::u64 MemoryObject::owned_frame_count() const
{
    if (!m_frames)
        return 0;
    Core::u64 count = 0;
    for (Core::u64 index = 0; index < page_count(); ++index)
        count += __atomic_load_n(&m_frames[index], __ATOMIC_ACQUIRE) != 0 ? 1 : 0;
    return count;
}

Core::u64 MemoryObject::total_owned_frames()
{
    return __atomic_load_n(&s_owned_frames, __ATOMIC_RELAXED);
}

} // namespace Kernel::Memory
