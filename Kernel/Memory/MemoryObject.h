#pragma once

// A memory object: a page-granular run of bytes that address spaces map (AddressSpace) and
// system calls read and write. docs/memory.md#memory-objects describes the model.
//
// Kinds:
//   - Anonymous (create_anonymous): every page reads as zero until it is first written or
//     touched through a mapping; only then does it get a frame (demand-zero), zeroed first.
//   - Copy-on-write child (create_child): a window [offset, offset + size) onto a parent.
//     A page the child has not taken for itself reads as the parent's page does now (the
//     parent's later writes included). The first write to it (memory_object_write, or a
//     store through a mapping) or the first touch through a mapping of the child copies
//     the page as the parent then holds it into a frame of the child's own; from then on
//     neither side sees the other's writes to it. Chains (a child of a child) resolve
//     through each parent in turn, at most max_child_depth deep.
//   - Physical (create_physical): device memory at a fixed physical address, for drivers.
//     Its frames are never allocated or freed and are never RAM (check_device_memory).
//
// Frames. Every frame an object allocates is its own (PageUse::MemoryObject, with the object
// as the frame's owner), is mapped only at the object's own pages, and goes back when the
// object is destroyed, so each is freed exactly once. A child shares its parent's frames
// without a second owner: it holds a reference to the parent object, which keeps those
// frames alive, and reads them through the parent. Mappings of a child therefore always map
// the child's own frames (a touch through a mapping takes the copy), which is what keeps
// every page-table entry right without a reverse map: an object's frame for a page, once
// there, never changes while the object lives.
//
// Concurrency. A page's frame is published once, with a compare-and-swap of its slot from 0;
// whoever loses the race frees its frame and uses the winner's. No lock is taken, so the
// page-fault path (interrupts off, the address space's lock held) can materialise pages.
// Reads and writes of page contents race with stores through mappings as memory does.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/RefPtr.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/PageTableEntry.h>
#include <Kernel/Objects/KernelObject.h>

namespace Kernel::Iommu {
class Domain;
}

namespace Kernel::Memory {

class MemoryObject final : public Objects::TypedKernelObject<ABI::ObjectType::MemoryObject> {
public:
    enum class Kind : Core::u8 {
        Anonymous,
        CopyOnWriteChild,
        Physical,
    };

    // How many parents a child may have above it; deeper chains are OutOfRange. It bounds
    // the walk each page lookup makes and the nesting of destructors when a chain goes.
    static constexpr Core::u32 max_child_depth = 8;
    // The largest physical object (1 GiB).
    static constexpr Core::u64 maximum_physical_size = 1ull << 30;

    // `size` bytes (a nonzero multiple of 4 KiB, at most ABI::memory_object_maximum_size:
    // InvalidArgument / OutOfRange), reading as zero. OutOfMemory when the page table of
    // the object cannot be allocated.
    [[nodiscard]] static Core::Result<Core::RefPtr<MemoryObject>> create_anonymous(Core::u64 size);
    // A copy-on-write child of [offset, offset + size) of `parent`. Offset and size page
    // aligned, size nonzero (InvalidArgument); the window inside the parent and the chain
    // at most max_child_depth deep (OutOfRange); NotSupported for a physical parent.
    [[nodiscard]] static Core::Result<Core::RefPtr<MemoryObject>> create_child(
        Core::RefPtr<MemoryObject> parent, Core::u64 offset, Core::u64 size);
    // Device memory [physical_base, physical_base + size), mapped with `cache`. Base and
    // size page aligned, size nonzero and at most maximum_physical_size (InvalidArgument);
    // AccessDenied when any of it is RAM (check_device_memory). Kernel API only: drivers get
    // such objects through MMIO range objects.
    [[nodiscard]] static Core::Result<Core::RefPtr<MemoryObject>> create_physical(
        Core::u64 physical_base, Core::u64 size, Arch::CacheMode cache);

    // `size` bytes of RAM in one physically contiguous run, zeroed and present from the
    // start, for a device to reach by DMA (the driver learns physical_base()). At most
    // maximum_contiguous_size (InvalidArgument for a size that is zero or not page
    // aligned, OutOfRange past the maximum); OutOfMemory when no run that long is free. The
    // run is a buddy block of the next power of two pages: the rest of it stays with the
    // object, unused, until the object goes.
    [[nodiscard]] static Core::Result<Core::RefPtr<MemoryObject>> create_contiguous(Core::u64 size);
    static constexpr Core::u64 maximum_contiguous_size = 4ull << 20;

    // Makes this contiguous object reachable, readable and writable, by the device whose
    // IOMMU domain `domain` is, at its physical addresses, until the object is destroyed;
    // the destructor unmaps it (and the IOMMU forgets it) before its frames are freed. Once
    // per object: InvalidArgument for an object that is not contiguous or already mapped
    // for a device; the domain's mapping errors (OutOfMemory).
    [[nodiscard]] Core::Result<void> map_for_device(Core::RefPtr<Iommu::Domain> domain);

    ~MemoryObject() override;

    // A contiguous object's first byte in physical memory; nothing for other objects.
    [[nodiscard]] Core::Optional<Core::u64> physical_base() const
    {
        if (m_contiguous_order < 0)
            return {};
        return m_frames[0];
    }

    [[nodiscard]] Kind kind() const { return m_kind; }
    [[nodiscard]] Core::u64 size() const { return m_size; }
    [[nodiscard]] Core::u64 page_count() const { return m_size / page_bytes; }
    // The cache mode mappings of the object use: write-back except for physical objects.
    [[nodiscard]] Arch::CacheMode cache_mode() const { return m_cache; }

    // The frame a mapping maps at page `page_index` (below page_count()), creating the
    // object's own (zeroed, or a copy of what the parent chain holds) if it has none yet.
    // OutOfMemory when no frame can be had. Safe with interrupts off and spinlocks of rank
    // below physical-memory held (it takes only the page allocator's).
    [[nodiscard]] Core::Result<Core::u64> frame_for_mapping(Core::u64 page_index);

    // Copies between the object and kernel memory. OutOfRange past the end; NotSupported for
    // physical objects (device registers are not memory to copy). Writes take the pages
    // they touch for the object (OutOfMemory); reads never allocate.
    [[nodiscard]] Core::Result<void> read(Core::u64 offset, Core::Bytes destination);
    [[nodiscard]] Core::Result<void> write(Core::u64 offset, Core::ReadonlyBytes source);
    // The same between the object and user memory (copy_to_user / copy_from_user):
    // BadAddress for a bad user range, as those report it. After an error, part of the
    // data may have been copied.
    [[nodiscard]] Core::Result<void> read_to_user(Core::u64 offset, Core::u64 user_buffer, Core::u64 length);
    [[nodiscard]] Core::Result<void> write_from_user(
        Core::u64 offset, Core::u64 user_buffer, Core::u64 length);

    // How many frames this object has taken for itself (not its parent's).
    [[nodiscard]] Core::u64 owned_frame_count() const;
    // Frames all memory objects hold right now, for tests and statistics.
    [[nodiscard]] static Core::u64 total_owned_frames();

private:
    // The page walk of read()/read_to_user() and write()/write_from_user():
    // copy_chunk(page_pointer, bytes_done, chunk_bytes) copies one chunk inside one page.
    template<typename CopyChunk>
    [[nodiscard]] Core::Result<void> read_chunks(Core::u64 offset, Core::u64 length, CopyChunk copy_chunk);
    template<typename CopyChunk>
    [[nodiscard]] Core::Result<void> write_chunks(Core::u64 offset, Core::u64 length, CopyChunk copy_chunk);

    static constexpr Core::u64 page_bytes = 4096;

    // Out of line: its members include a reference to an Iommu::Domain, complete only there.
    MemoryObject(Kind kind, Core::u64 size, Core::u64* frames);

    // The frame that holds page `page_index` as this object sees it: its own, or (for a
    // child without its own) the parent chain's; 0 for a page nobody has (reads as zero).
    [[nodiscard]] Core::u64 visible_frame(Core::u64 page_index) const;
    // This object's own frame for the page, taking one if it has none.
    [[nodiscard]] Core::Result<Core::u64> own_frame(Core::u64 page_index);

    Kind m_kind;
    Core::u64 m_size;
    // Anonymous and child objects: one slot per page, the physical address of the object's
    // own frame or 0. Written only from 0 to a frame (compare-and-swap), read atomically.
    Core::u64* m_frames { nullptr };
    // Children: the parent and where this object's first page lies in it.
    Core::RefPtr<MemoryObject> m_parent;
    Core::u64 m_parent_offset { 0 };
    Core::u32 m_depth { 0 };
    // Physical objects: where the device memory starts.
    // A contiguous object's buddy block order (its frames are freed as that one block);
    // -1 for every other object.
    int m_contiguous_order { -1 };
    // The IOMMU domain this contiguous object is mapped in (map_for_device), if any.
    Core::RefPtr<Iommu::Domain> m_dma_domain;
    Core::u64 m_physical_base { 0 };
    Arch::CacheMode m_cache { Arch::CacheMode::WriteBack };
};

} // namespace Kernel::Memory
