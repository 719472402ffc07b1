#pragma once

// The PCI Express memory-mapped configuration space table, signature "MCFG" (PCI Firmware
// Specification 3.2, section 4.1.2): where each PCI segment group's ECAM window is.
//
// Untrusted firmware input, like everything in Kernel/ACPI.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/StaticVector.h>
#include <Core/Types.h>

namespace Kernel::ACPI {

struct EcamSegment {
    // Physical address of bus 0's configuration space in this segment group (even when
    // start_bus is higher): bus B, device D, function F sits at
    // base_address + (B << 20 | D << 15 | F << 12).
    Core::u64 base_address { 0 };
    Core::u16 segment_group { 0 };
    // start_bus <= end_bus, and the window up to end_bus does not wrap the address space.
    Core::u8 start_bus { 0 };
    Core::u8 end_bus { 0 };
};

struct McfgInfo {
    Core::StaticVector<EcamSegment, 16> segments;
    // Well-formed entries beyond the capacity of `segments`.
    Core::u32 dropped_segments { 0 };
    // Entries left out because they are nonsense: start bus after end bus, a zero base address,
    // or a window that would wrap the 64-bit address space.
    Core::u32 rejected_segments { 0 };
    // Bytes after the last whole 16-byte entry; ignored.
    Core::u32 trailing_byte_count { 0 };
};

// Parses an MCFG as load_table() returned it (checksum already verified). Errors: WrongType when
// the signature is not "MCFG"; Malformed when the table is shorter than its 44-byte fixed part or
// its header's length exceeds table.size(). A table with no entries is valid and yields none.
[[nodiscard]] Core::Result<McfgInfo> parse_mcfg(Core::ReadonlyBytes table);

} // namespace Kernel::ACPI
