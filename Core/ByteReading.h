#pragma once

// Bounds-checked reading of little-endian fields from untrusted byte buffers (boot
// information, ACPI tables, the embedded symbol table, later file systems and packets).
//
// Such data may sit at any byte address and its structures are packed, so a field may be
// misaligned. Casting to a wider pointer type would then be undefined behaviour (and, with
// alignment-assuming instructions, a fault); assembling the value from single bytes never is.

#include <Core/Assertions.h>
#include <Core/Span.h>
#include <Core/Types.h>

namespace Core {

// Whether `bytes` holds `count` bytes starting at `offset`, computed without overflow.
constexpr bool has_bytes(ReadonlyBytes bytes, usize offset, usize count)
{
    return offset <= bytes.size() && bytes.size() - offset >= count;
}

// Reads the little-endian integer at `offset`. Callers check has_bytes() first: a read past
// the end would be a bug in the parser, never a property of the input, so it is VERIFY'd.
template<typename Integer> Integer read_little_endian(ReadonlyBytes bytes, usize offset)
{
    VERIFY(has_bytes(bytes, offset, sizeof(Integer)));
    Integer value = 0;
    for (usize index = 0; index < sizeof(Integer); ++index)
        value |= static_cast<Integer>(static_cast<Integer>(bytes[offset + index]) << (8 * index));
    return value;
}

} // namespace Core
