#pragma once

// The kernel's embedded symbol table, used to name functions in panic backtraces.
//
// Tools/generate_kernel_symbols.py writes it from the first link of the kernel and the
// second link embeds it in the .kernel_symbols section. Layout (little endian):
//
//   u32 magic ("RSYM" = 0x4D595352), u32 version (1), u32 symbol_count, u32 strings_size
//   symbol_count x { u64 address, u32 size, u32 name_offset }, sorted by address
//   strings_size bytes of NUL-terminated names
//
// The blob is built by us, but it is parsed as if it were not: a truncated or corrupt
// table yields an error, never an out-of-bounds read, since it is read during a panic.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Core/Types.h>

namespace Kernel::Panic {

inline constexpr Core::u32 symbol_table_magic = 0x4D595352;
inline constexpr Core::u32 symbol_table_version = 1;

struct SymbolMatch {
    Core::StringView name;
    Core::u64 symbol_address;
    Core::u64 offset;
};

class SymbolTable {
public:
    SymbolTable() = default;
    static Core::Result<SymbolTable> parse(Core::ReadonlyBytes blob);

    // The symbol containing `address`: the last symbol at or below it, provided the
    // address lies within its size (symbols without a size match up to the next one).
    [[nodiscard]] Core::Optional<SymbolMatch> lookup(Core::u64 address) const;
    // The address of the first symbol with exactly this name.
    [[nodiscard]] Core::Optional<Core::u64> address_of(Core::StringView name) const;
    [[nodiscard]] Core::u32 symbol_count() const { return m_symbol_count; }

private:
    struct Entry {
        Core::u64 address;
        Core::u32 size;
        Core::u32 name_offset;
    };
    Entry entry(Core::u32 index) const;
    Core::StringView name_at(Core::u32 offset) const;

    Core::ReadonlyBytes m_entries;
    Core::u32 m_symbol_count { 0 };
    const char* m_strings { nullptr };
    Core::u32 m_strings_size { 0 };
};

} // namespace Kernel::Panic
