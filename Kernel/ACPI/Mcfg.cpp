#include <Kernel/ACPI/ByteReading.h>
#include <Kernel/ACPI/Mcfg.h>

namespace Kernel::ACPI {

using Core::ReadonlyBytes;
using Core::Result;
using Core::u16;
using Core::u32;
using Core::u64;
using Core::usize;
using Detail::read_little_endian;

namespace {

// Layout (PCI Firmware Specification 3.2, section 4.1.2): the header, 8 reserved bytes,
// then 16-byte entries.
constexpr usize entries_offset = 44;
constexpr usize entry_length = 16;
constexpr usize entry_base_address_offset = 0;
constexpr usize entry_segment_group_offset = 8;
constexpr usize entry_start_bus_offset = 10;
constexpr usize entry_end_bus_offset = 11;

// Each bus has 32 devices of 8 functions with 4 KiB of configuration space each.
constexpr u64 bytes_per_bus = u64 { 1 } << 20;

bool is_sensible(const EcamSegment& segment)
{
    if (segment.base_address == 0 || segment.start_bus > segment.end_bus)
        return false;
    // The last byte, not one past it, must be addressable: a window may end exactly at 2^64.
    u64 last_byte;
    u64 window_length = (u64 { segment.end_bus } + 1) * bytes_per_bus;
    return !__builtin_add_overflow(segment.base_address, window_length - 1, &last_byte);
}

} // namespace

Result<McfgInfo> parse_mcfg(ReadonlyBytes table)
{
    table = TRY(Detail::checked_table(table, "MCFG"_sv, entries_offset));

    McfgInfo info;
    ReadonlyBytes entries = table.slice(entries_offset);
    // Below the header's u32 length, so it fits in u32.
    info.trailing_byte_count = static_cast<u32>(entries.size() % entry_length);
    for (usize offset = 0; entries.size() - offset >= entry_length; offset += entry_length) {
        EcamSegment segment;
        segment.base_address = read_little_endian<u64>(entries, offset + entry_base_address_offset);
        segment.segment_group = read_little_endian<u16>(entries, offset + entry_segment_group_offset);
        segment.start_bus = entries[offset + entry_start_bus_offset];
        segment.end_bus = entries[offset + entry_end_bus_offset];
        if (!is_sensible(segment)) {
            ++info.rejected_segments;
            continue;
        }
        if (info.segments.try_append(segment).is_error())
            ++info.dropped_segments;
    }
    return info;
}

} // namespace Kernel::ACPI
