#pragma once

// Finding and validating ACPI system description tables (ACPI 6.5, chapter 5.2): the Root System
// Description Pointer, the common 36-byte table header, and the RSDT/XSDT that lists every other
// table.
//
// Everything here is firmware input and is treated as untrusted: a table may sit at any
// alignment, declare any length and hold any bytes. The functions read only inside what the
// PhysicalMemoryReader maps, never overflow, and never VERIFY on input; a defective structure is
// rejected with an ErrorCode for the caller to log. Nothing here touches hardware or global state,
// so it runs unchanged in host tests and under libFuzzer.

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/StaticVector.h>
#include <Core/StringView.h>
#include <Core/Types.h>
#include <Kernel/ACPI/PhysicalMemoryReader.h>

namespace Kernel::ACPI {

// Every system description table starts with this many header bytes.
constexpr Core::usize table_header_length = 36;

// The longest table load_table() accepts. ACPI sets no limit, but real tables stay far below this
// (the largest DSDTs are a few hundred KiB); the cap keeps a corrupted length field from making
// the kernel checksum, or map, gigabytes.
constexpr Core::u32 maximum_table_length = 4 * 1024 * 1024;

// How many table addresses a TableDirectory keeps. Real root tables list a few dozen at most.
constexpr Core::usize table_directory_capacity = 64;

// Fixed-width text from a table (signature, OEM ID, ...), copied so that it outlives the mapping.
// Bytes outside printable ASCII are replaced by '?' on copy, so the text is always safe to log.
template<Core::usize Length> struct TableText {
    char characters[Length] {};

    // The text without the trailing spaces or NULs firmware pads these fields with.
    [[nodiscard]] constexpr Core::StringView view() const
    {
        Core::usize length = Length;
        while (length > 0 && (characters[length - 1] == ' ' || characters[length - 1] == '\0'))
            --length;
        return { characters, length };
    }
};

// Address spaces of a Generic Address Structure (ACPI 6.5, section 5.2.3.2). Other values (OEM-defined
// or reserved) can appear; they are kept as they are and callers reject what they cannot use.
enum class AddressSpace : Core::u8 {
    SystemMemory = 0x00,
    SystemIo = 0x01,
    PciConfiguration = 0x02,
    EmbeddedController = 0x03,
    SmBus = 0x04,
    SystemCmos = 0x05,
    PciBarTarget = 0x06,
    Ipmi = 0x07,
    GeneralPurposeIo = 0x08,
    GenericSerialBus = 0x09,
    PlatformCommunicationsChannel = 0x0A,
    FunctionalFixedHardware = 0x7F,
};

// A Generic Address Structure (ACPI 6.5, section 5.2.3.2): where a register lives.
struct GenericAddress {
    AddressSpace address_space { AddressSpace::SystemMemory };
    // 0 when the firmware does not say (the legacy FADT fields converted by parse_fadt() may
    // also leave it 0, see Fadt.h).
    Core::u8 register_bit_width { 0 };
    Core::u8 register_bit_offset { 0 };
    // 0 undefined, 1 byte, 2 word, 3 dword, 4 qword access.
    Core::u8 access_size { 0 };
    Core::u64 address { 0 };

    static constexpr Core::usize encoded_length = 12;
};

// Reads the 12-byte Generic Address Structure at `offset` of `bytes`; nothing when it does not
// fit.
[[nodiscard]] Core::Optional<GenericAddress> read_generic_address(
    Core::ReadonlyBytes bytes, Core::usize offset);

// ---- Root System Description Pointer (ACPI 6.5, section 5.2.5.3) --------------------------------

struct Rsdp {
    // 0 for ACPI 1.0; 2 or more when the extended (XSDT) fields are valid.
    Core::u8 revision { 0 };
    TableText<6> oem_id;
    Core::u32 rsdt_address { 0 };
    // 0 for revision < 2, and for a revision >= 2 RSDP given as only its first 20 bytes.
    Core::u64 xsdt_address { 0 };
};

// Validates and decodes RSDP bytes (for the kernel, BootInfo::acpi_rsdp->data()). Requires the
// "RSD PTR " signature and a zero sum of the first 20 bytes. For revision >= 2 with at least 36
// bytes given, the length field must be >= 36 and fit in `bytes`, and the sum of that many bytes
// must be zero as well. A revision >= 2 RSDP given as only 20 bytes (the bootloader copied just
// the version 1 part) cannot have its extended fields checked, so it is accepted as version 1:
// xsdt_address is 0 and the RSDT is used. ErrorCode::Malformed for every defect.
[[nodiscard]] Core::Result<Rsdp> parse_rsdp(Core::ReadonlyBytes bytes);

// ---- System description table header (ACPI 6.5, section 5.2.6) ----------------------------------

struct TableHeader {
    TableText<4> signature;
    Core::u32 length { 0 };
    Core::u8 revision { 0 };
    Core::u8 checksum { 0 };
    TableText<6> oem_id;
    TableText<8> oem_table_id;
    Core::u32 oem_revision { 0 };
    TableText<4> creator_id;
    Core::u32 creator_revision { 0 };
};

// Decodes the header at the start of `table`, for logging. It checks only that 36 bytes are
// there (ErrorCode::Malformed otherwise); load_table() is what validates a table.
[[nodiscard]] Core::Result<TableHeader> parse_table_header(Core::ReadonlyBytes table);

// The bytes after the 36-byte header: the AML of a DSDT or SSDT. Empty when `table` is shorter.
[[nodiscard]] constexpr Core::ReadonlyBytes table_contents_after_header(Core::ReadonlyBytes table)
{
    return table.slice(table_header_length);
}

// Maps and validates the table at `physical_address`: the header is mapped first, its length
// must be at least 36 and at most maximum_table_length, then exactly that many bytes are mapped,
// they must sum to zero, and the signature must equal `expected_signature` unless that is empty.
// Returns exactly `length` bytes, valid as long as the reader's mappings are. Errors:
//   NotFound         physical_address is 0 (firmware's "no table");
//   InvalidArgument  expected_signature is neither empty nor 4 characters (a caller bug);
//   OutOfRange       the header or the table is not readable, or address + length wraps;
//   WrongType        the signature differs from expected_signature;
//   Malformed        the length is out of bounds, or the checksum is wrong.
[[nodiscard]] Core::Result<Core::ReadonlyBytes> load_table(
    PhysicalMemoryReader& reader, Core::u64 physical_address, Core::StringView expected_signature);

// ---- Root table: RSDT or XSDT (ACPI 6.5, sections 5.2.7 and 5.2.8) ------------------------------

enum class RootTableKind : Core::u8 {
    Rsdt,
    Xsdt,
};

// A root table entry whose table failed to load, recorded by TableDirectory::find().
struct InvalidTable {
    // Index of the entry in TableDirectory::table_addresses.
    Core::u32 entry_index { 0 };
    Core::u64 physical_address { 0 };
    // What load_table() said about it.
    Core::ErrorCode reason { Core::ErrorCode::Malformed };
};

struct TableDirectory {
    RootTableKind root_kind { RootTableKind::Rsdt };
    Core::u64 root_address { 0 };
    // In the root table's order. May contain 0 or other bad addresses: entries are checked only
    // when find() loads them.
    Core::StaticVector<Core::u64, table_directory_capacity> table_addresses;
    // Entries beyond table_addresses' capacity, left out.
    Core::u32 dropped_entry_count { 0 };
    // Bytes after the last whole entry (the root table's length minus the header is not a
    // multiple of the entry size); ignored.
    Core::u32 trailing_byte_count { 0 };
    // When the RSDP offered an XSDT that failed to load and the RSDT was used instead: why.
    Core::Optional<Core::ErrorCode> xsdt_error;
    // Entries find() could not load, each recorded once however often find() passes it. Holds
    // every entry if need be, so none is ever left out.
    Core::StaticVector<InvalidTable, table_directory_capacity> invalid_tables;

    // Loads the entries in order and returns the `occurrence`-th (0 = first) valid table with
    // this 4-character signature (occurrence > 0 finds later SSDTs, for example). Entries that
    // fail load_table() are skipped and recorded in invalid_tables; an entry already recorded is
    // not loaded again. ErrorCode::NotFound when there is no such table, InvalidArgument when
    // `signature` is not 4 characters long.
    [[nodiscard]] Core::Result<Core::ReadonlyBytes> find(
        Core::StringView signature, PhysicalMemoryReader& reader, Core::usize occurrence = 0);

private:
    void record_invalid(Core::u32 entry_index, Core::u64 physical_address, Core::ErrorCode reason);
};

// Loads the root table the RSDP points at: the XSDT (8-byte entries) when revision >= 2 and
// xsdt_address is non-zero, the RSDT (4-byte entries) otherwise. If the XSDT fails to load and
// the RSDP also names an RSDT, the RSDT is used and the XSDT's error is kept in xsdt_error. The
// error is load_table()'s for the table that was tried last.
[[nodiscard]] Core::Result<TableDirectory> load_root_table(PhysicalMemoryReader& reader, const Rsdp& rsdp);

} // namespace Kernel::ACPI
