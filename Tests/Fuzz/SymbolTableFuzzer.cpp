// Fuzzes the panic symbol-table parser. The table is read while the kernel is already
// failing, so a corrupt blob must be rejected or handled without reading out of bounds
// (AddressSanitizer) and lookups must stay consistent (checked below, trapping on a
// broken invariant so that libFuzzer records the input).

#include <Kernel/Panic/SymbolTable.h>
#include <stddef.h>
#include <stdint.h>

namespace {

// Keeps the lookups from being optimised away.
volatile Core::u64 s_observed;

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

// Little-endian reads, as in the blob format; the input has no alignment.
Core::u64 read_little_endian(const uint8_t* bytes, int byte_count)
{
    Core::u64 value = 0;
    for (int byte = byte_count - 1; byte >= 0; --byte)
        value = (value << 8) | bytes[byte];
    return value;
}

void check_lookup(const Kernel::Panic::SymbolTable& table, Core::ReadonlyBytes blob, Core::u64 address)
{
    auto match = table.lookup(address);
    if (!match.has_value())
        return;
    require(match->symbol_address <= address);
    require(match->symbol_address + match->offset == address);
    // The name is a view into the blob, never past it.
    // Only compared as an address, to bound the name; never dereferenced here.
    auto* blob_start = reinterpret_cast<const char*>(blob.data());
    require(match->name.characters() >= blob_start);
    require(match->name.characters() + match->name.length() <= blob_start + blob.size());
    // Any name that lookup returns can be found again by name.
    auto address_by_name = table.address_of(match->name);
    require(address_by_name.has_value());
    s_observed = match->offset + match->name.length() + address_by_name.value();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Core::ReadonlyBytes blob(data, size);
    auto result = Kernel::Panic::SymbolTable::parse(blob);
    if (result.is_error()) {
        require(result.error().code() == Core::ErrorCode::Malformed);
        return 0;
    }
    const auto& table = result.value();

    check_lookup(table, blob, 0);
    check_lookup(table, blob, UINT64_MAX);
    // Addresses near the entries' own addresses reach the interesting cases: exactly at a
    // symbol, one below, and at the end of its size.
    constexpr Core::usize header_size = 16;
    constexpr Core::usize entry_size = 16;
    for (Core::u32 index = 0; index < table.symbol_count() && index < 16; ++index) {
        const uint8_t* entry = data + header_size + index * entry_size;
        Core::u64 address = read_little_endian(entry, 8);
        Core::u64 symbol_size = read_little_endian(entry + 8, 4);
        check_lookup(table, blob, address);
        check_lookup(table, blob, address - 1);
        check_lookup(table, blob, address + symbol_size);
        check_lookup(table, blob, address + symbol_size - 1);
    }
    // And a few arbitrary ones taken from the end of the input.
    for (Core::usize count = 1; count <= 3 && count * 8 <= size; ++count)
        check_lookup(table, blob, read_little_endian(data + size - count * 8, 8));

    // A name cut from the input exercises address_of with names that may or may not exist.
    Core::usize name_length = size > 0 ? data[size - 1] % 32 : 0;
    if (name_length <= size) {
        // The last name_length input bytes, which lie within the `size` bytes libFuzzer owns.
        Core::StringView name(reinterpret_cast<const char*>(data + size - name_length), name_length);
        auto found = table.address_of(name);
        if (found.has_value()) {
            // A symbol starts exactly there, so a lookup there matches at offset 0 (perhaps
            // naming an alias at the same address).
            auto match = table.lookup(found.value());
            require(match.has_value() && match->offset == 0);
            s_observed = match->symbol_address;
        }
    }
    return 0;
}
