#include <Core/Assertions.h>
#include <Kernel/Iommu/TranslationTable.h>

namespace Kernel::Iommu {

using Core::u64;
using Core::u8;
using Core::usize;

namespace {

constexpr u64 physical_limit = 1ull << 52;
constexpr usize entries_per_table = 512;

bool is_page_aligned(u64 value)
{
    return (value & (TranslationTable::page_size - 1)) == 0;
}

} // namespace

TranslationTable::TranslationTable(u8 levels, u64 root, TableFrames& frames)
    : m_levels(levels)
    , m_root(root)
    , m_frames(frames)
{
    VERIFY(levels == 3 || levels == 4);
}

TranslationTable::~TranslationTable()
{
    if (!m_abandoned)
        free_level(m_root, m_levels);
}

void TranslationTable::free_level(u64 table, u8 level)
{
    if (level > 1) {
        u64* entries = m_frames.table_entries(table);
        for (usize index = 0; index < entries_per_table; ++index) {
            if ((entries[index] & entry_read) != 0)
                free_level(entries[index] & address_mask, static_cast<u8>(level - 1));
        }
    }
    m_frames.free_table(table);
}

u64* TranslationTable::leaf_entry(u64 dma_address, bool create)
{
    u64 table = m_root;
    for (u8 level = m_levels; level > 1; --level) {
        u64* entry = &m_frames.table_entries(table)[index_at(dma_address, level)];
        if ((*entry & entry_read) == 0) {
            if (!create)
                return nullptr;
            auto frame = m_frames.allocate_table();
            if (frame.is_error())
                return nullptr;
            ++m_table_count;
            // A table entry grants both kinds of access; the leaf decides (VT-d 9.8: an
            // access needs the permission at every level).
            *entry = frame.value() | entry_read | entry_write;
            m_frames.publish(entry, 1);
        }
        table = *entry & address_mask;
    }
    return &m_frames.table_entries(table)[index_at(dma_address, 1)];
}

Core::Result<void> TranslationTable::map(u64 dma_address, u64 physical, u64 size, bool writable)
{
    if (size == 0 || !is_page_aligned(dma_address) || !is_page_aligned(physical) || !is_page_aligned(size))
        return Core::ErrorCode::InvalidArgument;
    if (dma_address >= address_limit() || size > address_limit() - dma_address || physical >= physical_limit
        || size > physical_limit - physical)
        return Core::ErrorCode::OutOfRange;
    for (u64 offset = 0; offset < size; offset += page_size) {
        u64* entry = leaf_entry(dma_address + offset, false);
        if (entry && (*entry & entry_read) != 0)
            return Core::ErrorCode::AlreadyExists;
    }
    for (u64 offset = 0; offset < size; offset += page_size) {
        u64* entry = leaf_entry(dma_address + offset, true);
        if (!entry) {
            unmap(dma_address, offset);
            return Core::ErrorCode::OutOfMemory;
        }
        *entry = (physical + offset) | entry_read | (writable ? entry_write : 0);
        m_frames.publish(entry, 1);
    }
    return {};
}

void TranslationTable::unmap(u64 dma_address, u64 size)
{
    if (!is_page_aligned(dma_address) || !is_page_aligned(size) || dma_address >= address_limit()
        || size > address_limit() - dma_address)
        return;
    for (u64 offset = 0; offset < size; offset += page_size) {
        u64* entry = leaf_entry(dma_address + offset, false);
        if (entry && *entry != 0) {
            *entry = 0;
            m_frames.publish(entry, 1);
        }
    }
}

Core::Optional<TranslationTable::Translation> TranslationTable::translate(u64 dma_address) const
{
    if (dma_address >= address_limit())
        return {};
    // leaf_entry() without creating never changes the table.
    u64* entry = const_cast<TranslationTable*>(this)->leaf_entry(dma_address & ~(page_size - 1), false);
    if (!entry || (*entry & entry_read) == 0)
        return {};
    return Translation { (*entry & address_mask) | (dma_address & (page_size - 1)),
        (*entry & entry_write) != 0 };
}

} // namespace Kernel::Iommu
