#include <Core/Optional.h>
#include <Kernel/ACPI/ByteReading.h>
#include <Kernel/ACPI/SleepState.h>

namespace Kernel::ACPI {

using Core::Error;
using Core::ErrorCode;
using Core::Optional;
using Core::ReadonlyBytes;
using Core::Result;
using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;
using Detail::bytes_match;
using Detail::has_bytes;
using Detail::read_little_endian;

namespace {

// AML encodings (ACPI 6.5, section 20.2).
constexpr u8 zero_op = 0x00;
constexpr u8 one_op = 0x01;
constexpr u8 name_op = 0x08;
constexpr u8 byte_prefix = 0x0A;
constexpr u8 word_prefix = 0x0B;
constexpr u8 dword_prefix = 0x0C;
constexpr u8 qword_prefix = 0x0E;
constexpr u8 package_op = 0x12;
constexpr u8 method_op = 0x14;
constexpr u8 ones_op = 0xFF;
constexpr u8 root_char = '\\';
constexpr u8 parent_prefix_char = '^';
constexpr Core::StringView s5_name_segment = "_S5_"_sv;

constexpr u8 sleep_type_mask = 0x7;
constexpr usize minimum_element_count = 2;

struct PackageLength {
    // How many bytes the PkgLength itself takes: 1 to 4.
    usize encoding_length { 0 };
    // The value, which counts the PkgLength bytes themselves and everything after them up to the
    // end of the package. At most 2^28 - 1.
    u32 value { 0 };
};

// Decodes the PkgLength at `offset` (ACPI 6.5, section 20.2.4): bits 7-6 of the lead byte count
// the bytes that follow. With none, bits 5-0 are the length; otherwise bits 5-4 must be zero, bits
// 3-0 are the low nibble and each following byte adds 8 more significant bits.
Result<PackageLength> decode_package_length(ReadonlyBytes aml, usize offset)
{
    if (!has_bytes(aml, offset, 1))
        return ErrorCode::Malformed;
    u8 lead = aml[offset];
    usize following_bytes = lead >> 6;
    if (!has_bytes(aml, offset, 1 + following_bytes))
        return ErrorCode::Malformed;
    if (following_bytes == 0)
        return PackageLength { 1, static_cast<u32>(lead & 0x3F) };
    if ((lead & 0x30) != 0)
        return ErrorCode::Malformed;
    u32 value = lead & 0x0F;
    for (usize index = 1; index <= following_bytes; ++index)
        value |= static_cast<u32>(aml[offset + index]) << (4 + 8 * (index - 1));
    return PackageLength { 1 + following_bytes, value };
}

// When the NameString at `offset` is `_S5_` with an optional root prefix or parent prefixes,
// returns the offset just past it.
Optional<usize> match_s5_name(ReadonlyBytes aml, usize offset)
{
    if (has_bytes(aml, offset, 1) && aml[offset] == root_char) {
        ++offset;
    } else {
        while (has_bytes(aml, offset, 1) && aml[offset] == parent_prefix_char)
            ++offset;
    }
    if (!bytes_match(aml, offset, s5_name_segment))
        return {};
    return offset + s5_name_segment.length();
}

// Reads `Integer` at `offset` if it lies before `end`.
template<typename Integer> Result<u64> read_constant(ReadonlyBytes aml, usize offset, usize end)
{
    if (offset > end || end - offset < sizeof(Integer))
        return ErrorCode::Malformed;
    return static_cast<u64>(read_little_endian<Integer>(aml, offset));
}

// Decodes the integer constant at `offset`, which must end by `end` (the package's end), and moves
// `offset` past it.
Result<u64> decode_integer(ReadonlyBytes aml, usize& offset, usize end)
{
    if (offset >= end)
        return ErrorCode::Malformed;
    u8 opcode = aml[offset];
    usize data_offset = offset + 1;
    u64 value = 0;
    usize data_length = 0;
    switch (opcode) {
    case zero_op:
        value = 0;
        break;
    case one_op:
        value = 1;
        break;
    case ones_op:
        value = ~u64 { 0 };
        break;
    case byte_prefix:
        value = TRY(read_constant<u8>(aml, data_offset, end));
        data_length = sizeof(u8);
        break;
    case word_prefix:
        value = TRY(read_constant<u16>(aml, data_offset, end));
        data_length = sizeof(u16);
        break;
    case dword_prefix:
        value = TRY(read_constant<u32>(aml, data_offset, end));
        data_length = sizeof(u32);
        break;
    case qword_prefix:
        value = TRY(read_constant<u64>(aml, data_offset, end));
        data_length = sizeof(u64);
        break;
    default:
        return ErrorCode::NotSupported;
    }
    offset = data_offset + data_length;
    return value;
}

// Parses the package whose PkgLength starts at `offset` (just after PackageOp).
Result<SleepType> parse_sleep_package(ReadonlyBytes aml, usize offset)
{
    PackageLength length = TRY(decode_package_length(aml, offset));
    // The package must at least hold its own PkgLength and the NumElements byte.
    if (length.value < length.encoding_length + 1)
        return ErrorCode::Malformed;
    if (length.value > aml.size() - offset)
        return ErrorCode::Malformed;
    usize end = offset + length.value;
    usize cursor = offset + length.encoding_length;
    u8 element_count = aml[cursor++];
    if (element_count < minimum_element_count)
        return ErrorCode::NotSupported;
    u64 type_a = TRY(decode_integer(aml, cursor, end));
    u64 type_b = TRY(decode_integer(aml, cursor, end));
    return SleepType { static_cast<u8>(type_a & sleep_type_mask), static_cast<u8>(type_b & sleep_type_mask) };
}

// Parses the object a `Name (_S5_, ...)` defines; `offset` is just past the name.
Result<SleepType> parse_named_object(ReadonlyBytes aml, usize offset)
{
    if (!has_bytes(aml, offset, 1))
        return ErrorCode::Malformed;
    if (aml[offset] != package_op)
        return ErrorCode::NotSupported;
    return parse_sleep_package(aml, offset + 1);
}

// Whether a `Method (_S5_)` starts at `offset` (at its MethodOp).
bool is_s5_method(ReadonlyBytes aml, usize offset)
{
    auto length = decode_package_length(aml, offset + 1);
    if (length.is_error())
        return false;
    return match_s5_name(aml, offset + 1 + length.value().encoding_length).has_value();
}

} // namespace

Result<SleepType> find_s5_sleep_type(ReadonlyBytes definition_block_body)
{
    ReadonlyBytes aml = definition_block_body;
    Optional<Error> first_candidate_error;
    bool found_method = false;
    for (usize offset = 0; offset < aml.size(); ++offset) {
        if (aml[offset] == method_op) {
            found_method = found_method || is_s5_method(aml, offset);
            continue;
        }
        if (aml[offset] != name_op)
            continue;
        Optional<usize> after_name = match_s5_name(aml, offset + 1);
        if (!after_name.has_value())
            continue;

        Result<SleepType> candidate = parse_named_object(aml, *after_name);
        if (!candidate.is_error())
            return candidate.value();
        if (!first_candidate_error.has_value())
            first_candidate_error = candidate.error();
    }
    if (first_candidate_error.has_value())
        return *first_candidate_error;
    return found_method ? ErrorCode::NotSupported : ErrorCode::NotFound;
}

} // namespace Kernel::ACPI
