#pragma once

// A second-level translation table (Intel VT-d 3.7, 9.8): what a device's DMA addresses
// mean in physical memory, walked by the IOMMU for every access the device makes. It has
// the shape of an x86 page table (512 eight-byte entries per 4 KiB level, 3 levels for
// 39-bit DMA addresses or 4 for 48-bit) with its own entry format: bit 0 Read, bit 1 Write,
// bits 12..51 the next level's (or the page's) physical address. An address whose walk
// meets an entry without Read (and Write, for a store) is blocked and reported as a fault.
//
// Pure logic over a TableFrames source, so the walk is tested on the host with fake frames.
// Only 4 KiB pages are used. Not synchronised: the caller (Iommu::Domain) serialises.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/Types.h>

namespace Kernel::Iommu {

// Where a table's frames come from: the kernel's page allocator, or a fake in host tests.
class TableFrames {
public:
    virtual ~TableFrames() = default;
    // A zeroed 4 KiB frame's physical address; OutOfMemory when there is none.
    [[nodiscard]] virtual Core::Result<Core::u64> allocate_table() = 0;
    virtual void free_table(Core::u64 physical) = 0;
    // The frame's 512 entries as the kernel reaches them.
    [[nodiscard]] virtual Core::u64* table_entries(Core::u64 physical) = 0;
    // Makes stores to `count` entries from `first` visible to a unit whose page walks do not
    // snoop the CPU's caches (write-back of the lines); a no-op for coherent units.
    virtual void publish(Core::u64* first, Core::usize count) = 0;
};

class TranslationTable {
public:
    static constexpr Core::u64 page_size = 4096;
    static constexpr Core::u64 entry_read = 1ull << 0;
    static constexpr Core::u64 entry_write = 1ull << 1;
    static constexpr Core::u64 address_mask = 0x000F'FFFF'FFFF'F000ull;

    // Takes `root` (a zeroed frame from `frames`) as the top level; `levels` is 3 or 4.
    TranslationTable(Core::u8 levels, Core::u64 root, TableFrames& frames);
    // Frees every table frame, the root included. The unit must no longer walk it.
    ~TranslationTable();
    TranslationTable(const TranslationTable&) = delete;
    TranslationTable& operator=(const TranslationTable&) = delete;

    // The highest DMA address plus one: 2^39 or 2^48.
    [[nodiscard]] Core::u64 address_limit() const { return 1ull << (12 + 9 * m_levels); }
    [[nodiscard]] Core::u64 root() const { return m_root; }
    [[nodiscard]] Core::u8 levels() const { return m_levels; }

    // Maps [dma_address, dma_address + size) to [physical, physical + size), readable, and
    // writable when `writable`. Addresses and size page aligned and size nonzero
    // (InvalidArgument); the DMA range below address_limit() and the physical one below
    // 2^52 (OutOfRange); AlreadyExists when a page of it is mapped already. OutOfMemory when
    // a table frame cannot be had: then nothing of the range stays mapped.
    [[nodiscard]] Core::Result<void> map(
        Core::u64 dma_address, Core::u64 physical, Core::u64 size, bool writable);
    // Unmaps every mapped page of [dma_address, dma_address + size) (page aligned; a range
    // out of bounds or unaligned is ignored, being nothing map() could have made). Emptied
    // tables stay until destruction. The caller then invalidates the unit's IOTLB before the
    // pages are reused.
    void unmap(Core::u64 dma_address, Core::u64 size);
    // The physical address `dma_address` reaches, and whether a store may; nothing when it
    // is blocked.
    struct Translation {
        Core::u64 physical;
        bool writable;
    };
    [[nodiscard]] Core::Optional<Translation> translate(Core::u64 dma_address) const;
    // Keeps every table frame forever: the destructor then frees none, for a unit that may
    // still walk them.
    void abandon() { m_abandoned = true; }
    // Table frames held, the root included.
    [[nodiscard]] Core::u64 table_count() const { return m_table_count; }

private:
    // The leaf entry for `dma_address`, creating the tables on the way when `create`; null
    // when a table is missing (and not created) or cannot be had.
    Core::u64* leaf_entry(Core::u64 dma_address, bool create);
    [[nodiscard]] static Core::usize index_at(Core::u64 dma_address, Core::u8 level)
    {
        return static_cast<Core::usize>((dma_address >> (12 + 9 * (level - 1))) & 511);
    }
    void free_level(Core::u64 table, Core::u8 level);

    Core::u8 m_levels;
    Core::u64 m_root;
    TableFrames& m_frames;
    Core::u64 m_table_count { 1 };
    bool m_abandoned { false };
};

} // namespace Kernel::Iommu
