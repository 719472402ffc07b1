#include <Core/ByteReading.h>
#include <Kernel/Panic/SymbolTable.h>

namespace Kernel::Panic {

namespace {

constexpr Core::usize header_size = 16;
constexpr Core::usize entry_size = 16;

} // namespace

Core::Result<SymbolTable> SymbolTable::parse(Core::ReadonlyBytes blob)
{
    if (blob.size() < header_size)
        return Core::ErrorCode::Malformed;
    const Core::u8* bytes = blob.data();
    // The blob holds at least header_size (16) bytes, so all four header fields are readable.
    if (Core::read_little_endian<Core::u32>(blob, 0) != symbol_table_magic
        || Core::read_little_endian<Core::u32>(blob, 4) != symbol_table_version)
        return Core::ErrorCode::Malformed;
    Core::u64 symbol_count = Core::read_little_endian<Core::u32>(blob, 8);
    Core::u64 strings_size = Core::read_little_endian<Core::u32>(blob, 12);
    // 64-bit arithmetic: 2^32 entries of 16 bytes cannot overflow it.
    Core::u64 needed = header_size + symbol_count * entry_size + strings_size;
    if (needed > blob.size())
        return Core::ErrorCode::Malformed;

    SymbolTable table;
    // `needed` <= blob.size() was just checked, so the entries and the string table both
    // lie inside the blob. The names are bytes of text, so viewing them as char (same
    // size, alignment 1) is valid at any offset.
    table.m_entries = blob.slice(header_size, symbol_count * entry_size);
    table.m_symbol_count = static_cast<Core::u32>(symbol_count);
    table.m_strings = reinterpret_cast<const char*>(bytes + header_size + symbol_count * entry_size);
    table.m_strings_size = static_cast<Core::u32>(strings_size);

    // Binary search relies on the order; names must point inside the string table.
    for (Core::u32 index = 0; index < table.m_symbol_count; ++index) {
        Entry current = table.entry(index);
        if (current.name_offset >= table.m_strings_size)
            return Core::ErrorCode::Malformed;
        if (index > 0 && table.entry(index - 1).address > current.address)
            return Core::ErrorCode::Malformed;
    }
    return table;
}

SymbolTable::Entry SymbolTable::entry(Core::u32 index) const
{
    // Callers pass index < m_symbol_count, and parse() checked that many entries fit in
    // the blob, so all entry_size bytes at `raw` are readable.
    Core::usize offset = static_cast<Core::usize>(index) * entry_size;
    return { Core::read_little_endian<Core::u64>(m_entries, offset),
        Core::read_little_endian<Core::u32>(m_entries, offset + 8),
        Core::read_little_endian<Core::u32>(m_entries, offset + 12) };
}

Core::StringView SymbolTable::name_at(Core::u32 offset) const
{
    // parse() checked offset < m_strings_size; the name ends at its NUL or at the end
    // of the string table, whichever comes first.
    Core::usize length = 0;
    while (offset + length < m_strings_size && m_strings[offset + length] != '\0')
        ++length;
    return { m_strings + offset, length };
}

Core::Optional<SymbolMatch> SymbolTable::lookup(Core::u64 address) const
{
    // Find the last entry whose address is <= the target.
    Core::u32 low = 0;
    Core::u32 high = m_symbol_count;
    while (low < high) {
        Core::u32 middle = low + (high - low) / 2;
        if (entry(middle).address <= address)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == 0)
        return {};
    Entry found = entry(low - 1);
    Core::u64 offset = address - found.address;
    if (found.size != 0 && offset >= found.size)
        return {};
    return SymbolMatch { name_at(found.name_offset), found.address, offset };
}

Core::Optional<Core::u64> SymbolTable::address_of(Core::StringView name) const
{
    for (Core::u32 index = 0; index < m_symbol_count; ++index) {
        Entry current = entry(index);
        if (name_at(current.name_offset) == name)
            return current.address;
    }
    return {};
}

} // namespace Kernel::Panic
