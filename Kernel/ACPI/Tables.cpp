#include <Kernel/ACPI/ByteReading.h>
#include <Kernel/ACPI/Tables.h>

namespace Kernel::ACPI {

using Core::ErrorCode;
using Core::Optional;
using Core::ReadonlyBytes;
using Core::Result;
using Core::StringView;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;
using Detail::byte_sum;
using Detail::bytes_match;
using Detail::has_bytes;
using Detail::read_little_endian;

namespace {

// RSDP layout (ACPI 6.5, section 5.2.5.3).
constexpr StringView rsdp_signature = "RSD PTR "_sv;
constexpr usize rsdp_checksum_length = 20;
constexpr usize rsdp_oem_id_offset = 9;
constexpr usize rsdp_revision_offset = 15;
constexpr usize rsdp_rsdt_address_offset = 16;
constexpr usize rsdp_length_offset = 20;
constexpr usize rsdp_xsdt_address_offset = 24;
constexpr usize rsdp_version_2_length = 36;
constexpr u8 rsdp_first_extended_revision = 2;

// Table header layout (ACPI 6.5, section 5.2.6).
constexpr usize header_signature_offset = 0;
constexpr usize signature_length = 4;
constexpr usize header_length_offset = 4;
constexpr usize header_revision_offset = 8;
constexpr usize header_checksum_offset = 9;
constexpr usize header_oem_id_offset = 10;
constexpr usize header_oem_table_id_offset = 16;
constexpr usize header_oem_revision_offset = 24;
constexpr usize header_creator_id_offset = 28;
constexpr usize header_creator_revision_offset = 32;

constexpr usize rsdt_entry_size = 4;
constexpr usize xsdt_entry_size = 8;

// Generic Address Structure layout (ACPI 6.5, section 5.2.3.2).
constexpr usize address_space_offset = 0;
constexpr usize register_bit_width_offset = 1;
constexpr usize register_bit_offset_offset = 2;
constexpr usize access_size_offset = 3;
constexpr usize address_offset = 4;

// The caller has checked that `Length` bytes exist at `offset`.
template<usize Length> TableText<Length> copy_text(ReadonlyBytes bytes, usize offset)
{
    TableText<Length> text;
    for (usize index = 0; index < Length; ++index) {
        u8 byte = bytes[offset + index];
        // NUL is kept so that view() can trim NUL padding; everything else unprintable is masked.
        bool printable = byte == 0 || (byte >= 0x20 && byte < 0x7F);
        text.characters[index] = printable ? static_cast<char>(byte) : '?';
    }
    return text;
}

// A mapping that is not exactly what was asked for counts as unreadable (see
// PhysicalMemoryReader::map()).
Optional<ReadonlyBytes> map_exactly(PhysicalMemoryReader& reader, u64 physical_address, u64 length)
{
    Optional<ReadonlyBytes> mapping = reader.map(physical_address, length);
    if (!mapping.has_value() || mapping->size() != length)
        return {};
    return mapping;
}

// The root table's entries, read as `entry_size`-byte addresses.
TableDirectory make_directory(RootTableKind kind, u64 root_address, ReadonlyBytes root, usize entry_size)
{
    TableDirectory directory;
    directory.root_kind = kind;
    directory.root_address = root_address;
    ReadonlyBytes entries = root.slice(table_header_length);
    usize entry_count = entries.size() / entry_size;
    // Below maximum_table_length, so it fits in u32.
    directory.trailing_byte_count = static_cast<u32>(entries.size() % entry_size);
    for (usize index = 0; index < entry_count; ++index) {
        usize offset = index * entry_size;
        u64 address = entry_size == xsdt_entry_size ? read_little_endian<u64>(entries, offset)
                                                    : read_little_endian<u32>(entries, offset);
        if (directory.table_addresses.try_append(address).is_error())
            ++directory.dropped_entry_count;
    }
    return directory;
}

} // namespace

Optional<GenericAddress> read_generic_address(ReadonlyBytes bytes, usize offset)
{
    if (!has_bytes(bytes, offset, GenericAddress::encoded_length))
        return {};
    GenericAddress address;
    // Any byte value is representable: AddressSpace has u8 as its fixed underlying type.
    address.address_space = static_cast<AddressSpace>(bytes[offset + address_space_offset]);
    address.register_bit_width = bytes[offset + register_bit_width_offset];
    address.register_bit_offset = bytes[offset + register_bit_offset_offset];
    address.access_size = bytes[offset + access_size_offset];
    address.address = read_little_endian<u64>(bytes, offset + address_offset);
    return address;
}

Result<Rsdp> parse_rsdp(ReadonlyBytes bytes)
{
    if (bytes.size() < rsdp_checksum_length || !bytes_match(bytes, 0, rsdp_signature))
        return ErrorCode::Malformed;
    if (byte_sum(bytes.slice(0, rsdp_checksum_length)) != 0)
        return ErrorCode::Malformed;

    Rsdp rsdp;
    rsdp.revision = bytes[rsdp_revision_offset];
    rsdp.oem_id = copy_text<6>(bytes, rsdp_oem_id_offset);
    rsdp.rsdt_address = read_little_endian<u32>(bytes, rsdp_rsdt_address_offset);
    if (rsdp.revision < rsdp_first_extended_revision || bytes.size() < rsdp_version_2_length)
        return rsdp;

    u32 length = read_little_endian<u32>(bytes, rsdp_length_offset);
    if (length < rsdp_version_2_length || length > bytes.size())
        return ErrorCode::Malformed;
    if (byte_sum(bytes.slice(0, length)) != 0)
        return ErrorCode::Malformed;
    rsdp.xsdt_address = read_little_endian<u64>(bytes, rsdp_xsdt_address_offset);
    return rsdp;
}

Result<TableHeader> parse_table_header(ReadonlyBytes table)
{
    if (table.size() < table_header_length)
        return ErrorCode::Malformed;
    TableHeader header;
    header.signature = copy_text<4>(table, header_signature_offset);
    header.length = read_little_endian<u32>(table, header_length_offset);
    header.revision = table[header_revision_offset];
    header.checksum = table[header_checksum_offset];
    header.oem_id = copy_text<6>(table, header_oem_id_offset);
    header.oem_table_id = copy_text<8>(table, header_oem_table_id_offset);
    header.oem_revision = read_little_endian<u32>(table, header_oem_revision_offset);
    header.creator_id = copy_text<4>(table, header_creator_id_offset);
    header.creator_revision = read_little_endian<u32>(table, header_creator_revision_offset);
    return header;
}

Result<ReadonlyBytes> load_table(
    PhysicalMemoryReader& reader, u64 physical_address, StringView expected_signature)
{
    if (!expected_signature.is_empty() && expected_signature.length() != signature_length)
        return ErrorCode::InvalidArgument;
    if (physical_address == 0)
        return ErrorCode::NotFound;

    Optional<ReadonlyBytes> header = map_exactly(reader, physical_address, table_header_length);
    if (!header.has_value())
        return ErrorCode::OutOfRange;
    if (!expected_signature.is_empty() && !bytes_match(*header, header_signature_offset, expected_signature))
        return ErrorCode::WrongType;
    u32 length = read_little_endian<u32>(*header, header_length_offset);
    if (length < table_header_length || length > maximum_table_length)
        return ErrorCode::Malformed;
    u64 end;
    if (__builtin_add_overflow(physical_address, u64 { length }, &end))
        return ErrorCode::OutOfRange;

    // Mapped again as a whole: the reader promises only the range it was asked for.
    Optional<ReadonlyBytes> table = map_exactly(reader, physical_address, length);
    if (!table.has_value())
        return ErrorCode::OutOfRange;
    // The length is re-read from the second mapping, in case the memory changed between the two
    // (firmware or a device writing it, or a reader returning a different buffer): the bytes that
    // get checksummed and returned must be the ones whose length was checked.
    if (read_little_endian<u32>(*table, header_length_offset) != length)
        return ErrorCode::Malformed;
    if (!expected_signature.is_empty() && !bytes_match(*table, header_signature_offset, expected_signature))
        return ErrorCode::WrongType;
    if (byte_sum(*table) != 0)
        return ErrorCode::Malformed;
    return table.value();
}

void TableDirectory::record_invalid(u32 entry_index, u64 physical_address, ErrorCode reason)
{
    // find() records an entry once and invalid_tables has a slot for every entry, so it is full
    // only if a caller filled it by hand; then the record is dropped rather than overflowing.
    if (invalid_tables.is_full())
        return;
    auto appended = invalid_tables.try_append(InvalidTable { entry_index, physical_address, reason });
    VERIFY(!appended.is_error());
}

Result<ReadonlyBytes> TableDirectory::find(
    StringView signature, PhysicalMemoryReader& reader, usize occurrence)
{
    if (signature.length() != signature_length)
        return ErrorCode::InvalidArgument;
    for (usize index = 0; index < table_addresses.size(); ++index) {
        // Below table_directory_capacity, so it fits in u32.
        auto entry_index = static_cast<u32>(index);
        bool already_invalid = false;
        for (const InvalidTable& invalid : invalid_tables)
            already_invalid = already_invalid || invalid.entry_index == entry_index;
        if (already_invalid)
            continue;

        auto table = load_table(reader, table_addresses[index], ""_sv);
        if (table.is_error()) {
            record_invalid(entry_index, table_addresses[index], table.error().code());
            continue;
        }
        if (!bytes_match(table.value(), header_signature_offset, signature))
            continue;
        if (occurrence == 0)
            return table.value();
        --occurrence;
    }
    return ErrorCode::NotFound;
}

Result<TableDirectory> load_root_table(PhysicalMemoryReader& reader, const Rsdp& rsdp)
{
    Optional<ErrorCode> xsdt_error;
    if (rsdp.revision >= rsdp_first_extended_revision && rsdp.xsdt_address != 0) {
        auto xsdt = load_table(reader, rsdp.xsdt_address, "XSDT"_sv);
        if (!xsdt.is_error())
            return make_directory(RootTableKind::Xsdt, rsdp.xsdt_address, xsdt.value(), xsdt_entry_size);
        if (rsdp.rsdt_address == 0)
            return xsdt.error();
        xsdt_error = xsdt.error().code();
    }
    ReadonlyBytes rsdt = TRY(load_table(reader, rsdp.rsdt_address, "RSDT"_sv));
    TableDirectory directory = make_directory(RootTableKind::Rsdt, rsdp.rsdt_address, rsdt, rsdt_entry_size);
    directory.xsdt_error = xsdt_error;
    return directory;
}

} // namespace Kernel::ACPI
