#pragma once

// Helpers shared by the ACPI table parsers (internal to Kernel/ACPI; not part of the public
// API). Little-endian field reads come from Core/ByteReading.h.
//
// Firmware places tables at any byte address and structures inside them are packed, so a field
// may be misaligned. Casting to a wider pointer type would then be undefined behaviour (and, with
// alignment-assuming instructions, a fault); assembling the value from single bytes never is.

#include <Core/Assertions.h>
#include <Core/ByteReading.h>
#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/StringView.h>
#include <Core/Types.h>

namespace Kernel::ACPI::Detail {

using Core::has_bytes;
using Core::read_little_endian;

// The 8-bit sum of every byte; ACPI structures are valid when it is zero.
constexpr Core::u8 byte_sum(Core::ReadonlyBytes bytes)
{
    Core::u8 sum = 0;
    for (Core::u8 byte : bytes)
        sum = static_cast<Core::u8>(sum + byte);
    return sum;
}

// Whether the bytes at `offset` spell `text` exactly. False when they do not fit.
constexpr bool bytes_match(Core::ReadonlyBytes bytes, Core::usize offset, Core::StringView text)
{
    if (!has_bytes(bytes, offset, text.length()))
        return false;
    for (Core::usize index = 0; index < text.length(); ++index) {
        if (bytes[offset + index] != static_cast<Core::u8>(text[index]))
            return false;
    }
    return true;
}

// Checks the parts of a table's header a parser relies on and returns the table cut to its
// declared length: ErrorCode::WrongType when the 4-byte signature is not `signature`,
// ErrorCode::Malformed when the header is missing or its length is below `minimum_length` or
// beyond `table.size()`. The checksum is load_table()'s job and is not repeated here.
inline Core::Result<Core::ReadonlyBytes> checked_table(
    Core::ReadonlyBytes table, Core::StringView signature, Core::usize minimum_length)
{
    constexpr Core::usize header_length = 36;
    constexpr Core::usize length_offset = 4;
    if (table.size() < header_length)
        return Core::ErrorCode::Malformed;
    if (!bytes_match(table, 0, signature))
        return Core::ErrorCode::WrongType;
    Core::u32 length = read_little_endian<Core::u32>(table, length_offset);
    if (length < header_length || length < minimum_length || length > table.size())
        return Core::ErrorCode::Malformed;
    return table.slice(0, length);
}

} // namespace Kernel::ACPI::Detail
