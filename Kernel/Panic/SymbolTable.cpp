#include <Kernel/Panic/SymbolTable.h>

namespace Kernel::Panic {

namespace {

constexpr Core::usize header_size = 16;
constexpr Core::usize entry_size = 16;

// Reads little-endian integers byte by byte, so the blob needs no alignment. Callers pass
// a pointer with at least 4 (read_u32) or 8 (read_u64) readable bytes behind it.
Core::u32 read_u32(const Core::u8* bytes)
{
    return static_cast<Core::u32>(bytes[0]) | (static_cast<Core::u32>(bytes[1]) << 8)
        | (static_cast<Core::u32>(bytes[2]) << 16) | (static_cast<Core::u32>(bytes[3]) << 24);
}

Core::u64 read_u64(const Core::u8* bytes)
{
    // bytes + 4 is the upper half of the 8 readable bytes the caller guarantees.
    return static_cast<Core::u64>(read_u32(bytes)) | (static_cast<Core::u64>(read_u32(bytes + 4)) << 32);
}

} // namespace

Core::Result<SymbolTable> SymbolTable::parse(Core::ReadonlyBytes blob)
{
    if (blob.size() < header_size)
        return Core::ErrorCode::Malformed;
    const Core::u8* bytes = blob.data();
    // The blob holds at least header_size (16) bytes, so all four header fields are readable.
    if (read_u32(bytes) != symbol_table_magic || read_u32(bytes + 4) != symbol_table_version)
        return Core::ErrorCode::Malformed;
    Core::u64 symbol_count = read_u32(bytes + 8);
    Core::u64 strings_size = read_u32(bytes + 12);
    // 64-bit arithmetic: 2^32 entries of 16 bytes cannot overflow it.
    Core::u64 needed = header_size + symbol_count * entry_size + strings_size;
    if (needed > blob.size())
        return Core::ErrorCode::Malformed;

    SymbolTable table;
    // `needed` <= blob.size() was just checked, so the entries and the string table both
    // lie inside the blob. The names are bytes of text, so viewing them as char (same
    // size, alignment 1) is valid at any offset.
    table.m_entries = bytes + header_size;
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
    const Core::u8* raw = m_entries + static_cast<Core::usize>(index) * entry_size;
    return { read_u64(raw), read_u32(raw + 8), read_u32(raw + 12) };
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
