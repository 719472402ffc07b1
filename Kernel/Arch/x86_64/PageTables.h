#pragma once

// One x86_64 4-level page-table hierarchy: map, unmap, protect, translate and walk.
//
// Pure logic: the tables' memory comes from a PageTableMemory, which the kernel backs with
// physical frames seen through the direct map and host tests back with ordinary memory.
// Nothing here loads CR3 or flushes the TLB; the memory manager does that after a change
// (Kernel/Memory/MemoryManager.cpp), so there is one place for TLB invalidation.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/Types.h>
#include <Kernel/Arch/x86_64/PageTableEntry.h>

namespace Kernel::Arch {

class PageTableMemory {
public:
    // A zeroed 4 KiB frame for a new table; returns its physical address.
    virtual Core::Result<Core::u64> allocate_table() = 0;
    virtual void free_table(Core::u64 physical_address) = 0;
    // Where software reads and writes the table at `physical_address`.
    virtual Core::u64* table_at(Core::u64 physical_address) = 0;

protected:
    ~PageTableMemory() = default;
};

struct Translation {
    Core::u64 physical_address; // of the byte asked about
    Core::u64 page_size; // 4 KiB, 2 MiB or 1 GiB
    Core::u64 page_virtual_base;
    PageProtection protection;
};

class PageTables {
public:
    // Allocates an empty top-level table.
    static Core::Result<PageTables> create(PageTableMemory& memory, bool no_execute_supported);
    // Adopts an existing hierarchy (for example one built by the boot code).
    static PageTables adopt(
        PageTableMemory& memory, Core::u64 root_physical_address, bool no_execute_supported);

    [[nodiscard]] Core::u64 root() const { return m_root; }

    // Maps one page of `page_size` (4 KiB, 2 MiB or 1 GiB). Both addresses must be aligned to
    // it and `virtual_address` canonical (InvalidArgument); an existing mapping anywhere in
    // the range is AlreadyExists; running out of table frames is OutOfMemory, with nothing
    // half-mapped left behind except empty intermediate tables.
    Core::Result<void> map(Core::u64 virtual_address, Core::u64 physical_address, Core::u64 page_size,
        PageProtection protection);
    // Maps [virtual, virtual + length) to [physical, ...), using 2 MiB (and 1 GiB when
    // allowed) pages where both sides are aligned, 4 KiB pages elsewhere. Length must be a
    // multiple of 4 KiB.
    Core::Result<void> map_range(Core::u64 virtual_address, Core::u64 physical_address, Core::u64 length,
        PageProtection protection, bool allow_1g_pages);
    // Removes the page mapped at `virtual_address` (which must be the page's base) and
    // returns its translation. NotFound when nothing is mapped there.
    Core::Result<Translation> unmap(Core::u64 virtual_address);
    // Changes the protection of the page whose base is `virtual_address`.
    Core::Result<void> protect(Core::u64 virtual_address, PageProtection protection);

    [[nodiscard]] Core::Optional<Translation> translate(Core::u64 virtual_address) const;

    // Calls callback(const Translation&) for every mapped page, in address order.
    template<typename Callback> void for_each_page(Callback callback) const { walk(m_root, 4, 0, callback); }
    // The same for the pages that have a byte in [start, end) of the lower (user) half,
    // in address order. Only tables that exist are visited, so the cost follows what is
    // mapped, not how long the range is. The callback may unmap or protect the page it is
    // given (the walk reads each entry before calling it).
    template<typename Callback> void for_each_page_in(Core::u64 start, Core::u64 end, Callback callback) const
    {
        if (start < end)
            walk_range(m_root, 4, 0, start, end, callback);
    }

    // Lets go of every table frame of the hierarchy (not of the mapped pages).
    void destroy();

    // Top-level entries [first_index, end_index) (of 512; 256 and up are the kernel half).
    //  - populate: gives every empty one an empty next-level table, so that from then on
    //    those entries never change and another hierarchy can share them by copying.
    //    OutOfMemory leaves the ones already populated in place.
    //  - share_from: copies them from `other` (which must have populated them), making this
    //    hierarchy use the same tables below them.
    //  - forget: clears them, so that destroy() leaves shared tables alone.
    Core::Result<void> populate_top_level(Core::u32 first_index, Core::u32 end_index);
    void share_top_level_from(const PageTables& other, Core::u32 first_index, Core::u32 end_index);
    void forget_top_level(Core::u32 first_index, Core::u32 end_index);

private:
    PageTables(PageTableMemory& memory, Core::u64 root, bool no_execute_supported)
        : m_memory(&memory)
        , m_root(root)
        , m_no_execute_supported(no_execute_supported)
    {
    }

    // Returns the entry slot for `virtual_address` at `level`, creating missing tables on
    // the way. Fails with AlreadyExists if a huge page is in the way.
    Core::Result<Core::u64*> entry_slot(Core::u64 virtual_address, Core::u32 level);
    Core::u64* find_leaf(Core::u64 virtual_address, Core::u64& page_size) const;
    void destroy_table(Core::u64 table_physical, Core::u32 level);

    template<typename Callback>
    void walk(Core::u64 table_physical, Core::u32 level, Core::u64 virtual_base, Callback& callback) const
    {
        const Core::u64* table = m_memory->table_at(table_physical);
        for (Core::u32 index = 0; index < entries_per_table; ++index) {
            Core::u64 entry = table[index];
            if (!(entry & PageBits::present))
                continue;
            Core::u64 address = virtual_base | (static_cast<Core::u64>(index) << (12 + 9 * (level - 1)));
            // Addresses in the upper half are sign-extended from bit 47.
            if (level == 4 && index >= 256)
                address |= 0xFFFF000000000000ull;
            bool is_leaf = level == 1 || (level <= 3 && (entry & PageBits::huge));
            if (is_leaf) {
                Core::u64 size = level == 1 ? page_size_4k : (level == 2 ? page_size_2m : page_size_1g);
                callback(
                    Translation { entry_address(entry) & ~(size - 1), size, address, decode_leaf(entry) });
            } else {
                walk(entry_address(entry), level - 1, address, callback);
            }
        }
    }

    template<typename Callback>
    void walk_range(Core::u64 table_physical, Core::u32 level, Core::u64 virtual_base, Core::u64 start,
        Core::u64 end, Callback& callback) const
    {
        const Core::u64* table = m_memory->table_at(table_physical);
        Core::u32 shift = 12 + 9 * (level - 1);
        Core::u64 span = 1ull << shift;
        // Only the lower half: entries 256 and up of the top level are the kernel's.
        Core::u32 index_limit = level == 4 ? entries_per_table / 2 : entries_per_table;
        Core::u32 first = start > virtual_base ? static_cast<Core::u32>((start - virtual_base) >> shift) : 0;
        for (Core::u32 index = first; index < index_limit; ++index) {
            Core::u64 address = virtual_base + (static_cast<Core::u64>(index) << shift);
            if (address >= end)
                return;
            Core::u64 entry = table[index];
            if (!(entry & PageBits::present))
                continue;
            bool is_leaf = level == 1 || (level <= 3 && (entry & PageBits::huge));
            if (is_leaf)
                callback(
                    Translation { entry_address(entry) & ~(span - 1), span, address, decode_leaf(entry) });
            else
                walk_range(entry_address(entry), level - 1, address, start, end, callback);
        }
    }

    PageTableMemory* m_memory;
    Core::u64 m_root;
    bool m_no_execute_supported;
};

} // namespace Kernel::Arch
