#include <Core/Assertions.h>
#include <Kernel/Arch/x86_64/PageTables.h>

namespace Kernel::Arch {

namespace {

constexpr Core::u32 level_for_page_size(Core::u64 page_size)
{
    if (page_size == page_size_4k)
        return 1;
    if (page_size == page_size_2m)
        return 2;
    if (page_size == page_size_1g)
        return 3;
    return 0;
}

constexpr Core::u64 page_size_for_level(Core::u32 level)
{
    return level == 1 ? page_size_4k : (level == 2 ? page_size_2m : page_size_1g);
}

} // namespace

Core::Result<PageTables> PageTables::create(PageTableMemory& memory, bool no_execute_supported)
{
    Core::u64 root = TRY(memory.allocate_table());
    return PageTables(memory, root, no_execute_supported);
}

PageTables PageTables::adopt(
    PageTableMemory& memory, Core::u64 root_physical_address, bool no_execute_supported)
{
    return PageTables(memory, root_physical_address, no_execute_supported);
}

Core::Result<Core::u64*> PageTables::entry_slot(Core::u64 virtual_address, Core::u32 level)
{
    Core::u64 table_physical = m_root;
    for (Core::u32 current = 4; current > level; --current) {
        Core::u64* table = m_memory->table_at(table_physical);
        Core::u64& entry = table[table_index(virtual_address, current)];
        if (!(entry & PageBits::present)) {
            Core::u64 new_table = TRY(m_memory->allocate_table());
            entry = encode_table(new_table, is_user_half(virtual_address));
        } else if (current <= 3 && (entry & PageBits::huge)) {
            // A larger page already covers this address.
            return Core::ErrorCode::AlreadyExists;
        }
        table_physical = entry_address(entry);
    }
    return &m_memory->table_at(table_physical)[table_index(virtual_address, level)];
}

Core::Result<void> PageTables::map(
    Core::u64 virtual_address, Core::u64 physical_address, Core::u64 page_size, PageProtection protection)
{
    Core::u32 level = level_for_page_size(page_size);
    if (level == 0 || !is_canonical(virtual_address) || (virtual_address & (page_size - 1)) != 0
        || (physical_address & (page_size - 1)) != 0 || (physical_address & ~PageBits::address_mask) != 0)
        return Core::ErrorCode::InvalidArgument;
    Core::u64* slot = TRY(entry_slot(virtual_address, level));
    if (*slot & PageBits::present)
        return Core::ErrorCode::AlreadyExists;
    *slot = encode_leaf(physical_address, protection, level > 1, m_no_execute_supported);
    return {};
}

Core::Result<void> PageTables::map_range(Core::u64 virtual_address, Core::u64 physical_address,
    Core::u64 length, PageProtection protection, bool allow_1g_pages)
{
    // The last byte, not one past it, must not wrap: a range may end exactly at 2^64.
    if ((length & (page_size_4k - 1)) != 0
        || (length != 0 && virtual_address + (length - 1) < virtual_address))
        return Core::ErrorCode::InvalidArgument;
    Core::u64 offset = 0;
    while (offset < length) {
        Core::u64 virtual_here = virtual_address + offset;
        Core::u64 physical_here = physical_address + offset;
        Core::u64 remaining = length - offset;
        Core::u64 size = page_size_4k;
        auto fits = [&](Core::u64 candidate) {
            return remaining >= candidate && (virtual_here & (candidate - 1)) == 0
                && (physical_here & (candidate - 1)) == 0;
        };
        if (allow_1g_pages && fits(page_size_1g))
            size = page_size_1g;
        else if (fits(page_size_2m))
            size = page_size_2m;
        TRY(map(virtual_here, physical_here, size, protection));
        offset += size;
    }
    return {};
}

Core::u64* PageTables::find_leaf(Core::u64 virtual_address, Core::u64& page_size) const
{
    if (!is_canonical(virtual_address))
        return nullptr;
    Core::u64 table_physical = m_root;
    for (Core::u32 level = 4; level >= 1; --level) {
        Core::u64* entry = &m_memory->table_at(table_physical)[table_index(virtual_address, level)];
        if (!(*entry & PageBits::present))
            return nullptr;
        if (level == 1 || (level <= 3 && (*entry & PageBits::huge))) {
            page_size = page_size_for_level(level);
            return entry;
        }
        table_physical = entry_address(*entry);
    }
    return nullptr;
}

Core::Result<Translation> PageTables::unmap(Core::u64 virtual_address)
{
    Core::u64 page_size = 0;
    Core::u64* entry = find_leaf(virtual_address, page_size);
    if (!entry)
        return Core::ErrorCode::NotFound;
    if ((virtual_address & (page_size - 1)) != 0)
        return Core::ErrorCode::InvalidArgument;
    Translation removed { entry_address(*entry) & ~(page_size - 1), page_size, virtual_address,
        decode_leaf(*entry) };
    *entry = 0;
    return removed;
}

Core::Result<void> PageTables::protect(Core::u64 virtual_address, PageProtection protection)
{
    Core::u64 page_size = 0;
    Core::u64* entry = find_leaf(virtual_address, page_size);
    if (!entry)
        return Core::ErrorCode::NotFound;
    if ((virtual_address & (page_size - 1)) != 0)
        return Core::ErrorCode::InvalidArgument;
    // The accessed and dirty bits record history the new protection does not change.
    Core::u64 history = *entry & (PageBits::accessed | PageBits::dirty);
    *entry = encode_leaf(entry_address(*entry) & ~(page_size - 1), protection, page_size != page_size_4k,
                 m_no_execute_supported)
        | history;
    return {};
}

Core::Optional<Translation> PageTables::translate(Core::u64 virtual_address) const
{
    Core::u64 page_size = 0;
    Core::u64* entry = find_leaf(virtual_address, page_size);
    if (!entry)
        return {};
    Core::u64 page_base = entry_address(*entry) & ~(page_size - 1);
    return Translation { page_base + (virtual_address & (page_size - 1)), page_size,
        virtual_address & ~(page_size - 1), decode_leaf(*entry) };
}

void PageTables::destroy_table(Core::u64 table_physical, Core::u32 level)
{
    if (level > 1) {
        Core::u64* table = m_memory->table_at(table_physical);
        for (Core::u32 index = 0; index < entries_per_table; ++index) {
            Core::u64 entry = table[index];
            if ((entry & PageBits::present) && !(level <= 3 && (entry & PageBits::huge)))
                destroy_table(entry_address(entry), level - 1);
        }
    }
    m_memory->free_table(table_physical);
}

Core::Result<void> PageTables::populate_top_level(Core::u32 first_index, Core::u32 end_index)
{
    VERIFY(first_index <= end_index && end_index <= entries_per_table);
    Core::u64* root = m_memory->table_at(m_root);
    for (Core::u32 index = first_index; index < end_index; ++index) {
        if (root[index] & PageBits::present)
            continue;
        Core::u64 table = TRY(m_memory->allocate_table());
        // Index 256 and up is the upper (kernel) half of the address space.
        root[index] = encode_table(table, index < entries_per_table / 2);
    }
    return {};
}

void PageTables::share_top_level_from(const PageTables& other, Core::u32 first_index, Core::u32 end_index)
{
    VERIFY(first_index <= end_index && end_index <= entries_per_table);
    Core::u64* root = m_memory->table_at(m_root);
    const Core::u64* other_root = other.m_memory->table_at(other.m_root);
    for (Core::u32 index = first_index; index < end_index; ++index)
        root[index] = other_root[index];
}

void PageTables::forget_top_level(Core::u32 first_index, Core::u32 end_index)
{
    VERIFY(first_index <= end_index && end_index <= entries_per_table);
    Core::u64* root = m_memory->table_at(m_root);
    for (Core::u32 index = first_index; index < end_index; ++index)
        root[index] = 0;
}

void PageTables::destroy()
{
    destroy_table(m_root, 4);
    m_root = 0;
}

} // namespace Kernel::Arch
