#pragma once

// x86_64 4-level page-table entries and address arithmetic (Intel SDM vol. 3, 4.5). Pure
// functions only: this header is also compiled into host tests.

#include <Core/Types.h>

namespace Kernel::Arch {

inline constexpr Core::u64 page_size_4k = 1ull << 12;
inline constexpr Core::u64 page_size_2m = 1ull << 21;
inline constexpr Core::u64 page_size_1g = 1ull << 30;
inline constexpr Core::u32 entries_per_table = 512;

// Hardware bits of a page-table entry.
namespace PageBits {
inline constexpr Core::u64 present = 1ull << 0;
inline constexpr Core::u64 writable = 1ull << 1;
inline constexpr Core::u64 user = 1ull << 2;
inline constexpr Core::u64 write_through = 1ull << 3; // PWT: selects PAT entry 1 (write-combining)
inline constexpr Core::u64 cache_disable = 1ull << 4; // PCD
inline constexpr Core::u64 accessed = 1ull << 5;
inline constexpr Core::u64 dirty = 1ull << 6;
inline constexpr Core::u64 huge = 1ull << 7; // PS in a PDPT or PD entry
inline constexpr Core::u64 global = 1ull << 8;
inline constexpr Core::u64 no_execute = 1ull << 63;
inline constexpr Core::u64 address_mask = 0x000FFFFFFFFFF000ull;
} // namespace PageBits

enum class CacheMode : Core::u8 {
    WriteBack,
    WriteCombining,
    Uncached,
};

// What a mapping allows, independent of the hardware encoding.
struct PageProtection {
    bool writable { false };
    bool executable { false };
    bool user { false };
    bool global { false };
    CacheMode cache { CacheMode::WriteBack };

    constexpr bool operator==(const PageProtection&) const = default;
};

// Level of a table in the walk: 4 = PML4 ... 1 = page table.
constexpr Core::u32 table_index(Core::u64 virtual_address, Core::u32 level)
{
    return static_cast<Core::u32>((virtual_address >> (12 + 9 * (level - 1))) & 0x1FF);
}

// Canonical: bits 63..47 all equal (48-bit virtual addresses).
constexpr bool is_canonical(Core::u64 virtual_address)
{
    Core::u64 upper = virtual_address >> 47;
    return upper == 0 || upper == 0x1FFFF;
}

constexpr bool is_user_half(Core::u64 virtual_address)
{
    return (virtual_address >> 47) == 0;
}

// Encodes a leaf entry. `no_execute_supported` must reflect EFER.NXE: without NX the bit is
// reserved and setting it would make every access fault.
constexpr Core::u64 encode_leaf(
    Core::u64 physical_address, PageProtection protection, bool huge, bool no_execute_supported)
{
    Core::u64 entry = (physical_address & PageBits::address_mask) | PageBits::present;
    if (protection.writable)
        entry |= PageBits::writable;
    if (protection.user)
        entry |= PageBits::user;
    if (protection.global)
        entry |= PageBits::global;
    if (!protection.executable && no_execute_supported)
        entry |= PageBits::no_execute;
    if (huge)
        entry |= PageBits::huge;
    switch (protection.cache) {
    case CacheMode::WriteBack:
        break;
    case CacheMode::WriteCombining:
        entry |= PageBits::write_through;
        break;
    case CacheMode::Uncached:
        entry |= PageBits::write_through | PageBits::cache_disable;
        break;
    }
    return entry;
}

// Decodes the protection of a leaf entry.
constexpr PageProtection decode_leaf(Core::u64 entry)
{
    PageProtection protection;
    protection.writable = entry & PageBits::writable;
    protection.user = entry & PageBits::user;
    protection.global = entry & PageBits::global;
    protection.executable = !(entry & PageBits::no_execute);
    bool write_through = entry & PageBits::write_through;
    bool cache_disable = entry & PageBits::cache_disable;
    if (cache_disable)
        protection.cache = CacheMode::Uncached;
    else if (write_through)
        protection.cache = CacheMode::WriteCombining;
    return protection;
}

// Entries of intermediate tables grant everything; the leaf decides. (Permissions are
// the intersection along the walk, so a restrictive intermediate entry would hide the
// leaf's own settings.)
constexpr Core::u64 encode_table(Core::u64 table_physical_address, bool user)
{
    return (table_physical_address & PageBits::address_mask) | PageBits::present | PageBits::writable
        | (user ? PageBits::user : 0);
}

constexpr Core::u64 entry_address(Core::u64 entry)
{
    return entry & PageBits::address_mask;
}

} // namespace Kernel::Arch
