#include <Kernel/ACPI/ByteReading.h>
#include <Kernel/ACPI/Dmar.h>

namespace Kernel::ACPI {

using Core::ReadonlyBytes;
using Core::Result;
using Core::u16;
using Core::u32;
using Core::u64;
using Core::usize;
using Detail::read_little_endian;

namespace {

// Layout (VT-d specification, 8.1): the header, the host address width, flags, 10 reserved
// bytes, then remapping structures, each starting with a 16-bit type and a 16-bit length.
constexpr usize host_address_width_offset = 36;
constexpr usize flags_offset = 37;
constexpr usize structures_offset = 48;
constexpr usize structure_header_length = 4;

constexpr u16 type_drhd = 0;
constexpr u16 type_rmrr = 1;
constexpr usize drhd_length = 16;
constexpr usize rmrr_length = 24;
constexpr u64 page_mask = 0xFFF;

// Device scope entries from `offset` to the structure's end (VT-d 8.3.1): type, length
// (at least 6, whole entries), 2 reserved bytes, enumeration id, start bus, then 2-byte
// (device, function) hops. Each is counted; those that fit `scopes` are kept. A scope whose
// length is malformed ends the list (what follows cannot be found).
template<Core::usize capacity>
u32 read_device_scopes(
    ReadonlyBytes structure, usize offset, Core::StaticVector<DeviceScope, capacity>& scopes, u32& dropped)
{
    u32 count = 0;
    while (structure.size() - offset >= 6) {
        u32 length = structure[offset + 1];
        if (length < 6 || length > structure.size() - offset)
            break;
        ++count;
        usize hops = (length - 6) / 2;
        DeviceScope scope;
        scope.type = structure[offset];
        scope.start_bus = structure[offset + 5];
        scope.path_length = static_cast<Core::u8>(hops);
        if (hops == 0 || hops > DeviceScope::maximum_path_length) {
            ++dropped;
        } else {
            for (usize hop = 0; hop < hops; ++hop) {
                scope.path[hop].device = structure[offset + 6 + 2 * hop];
                scope.path[hop].function = structure[offset + 7 + 2 * hop];
            }
            if (scopes.try_append(scope).is_error())
                ++dropped;
        }
        offset += length;
    }
    return count;
}

} // namespace

Result<DmarInfo> parse_dmar(ReadonlyBytes table)
{
    table = TRY(Detail::checked_table(table, "DMAR"_sv, structures_offset));
    DmarInfo info;
    info.host_address_width = static_cast<u16>(table[host_address_width_offset] + 1);
    info.interrupt_remapping = (table[flags_offset] & 1) != 0;
    info.x2apic_opt_out = (table[flags_offset] & 2) != 0;
    for (usize offset = structures_offset; offset < table.size();) {
        if (table.size() - offset < structure_header_length)
            return Core::ErrorCode::Malformed;
        u16 type = read_little_endian<u16>(table, offset);
        u16 length = read_little_endian<u16>(table, offset + 2);
        if (length < structure_header_length || length > table.size() - offset)
            return Core::ErrorCode::Malformed;
        ReadonlyBytes structure = table.slice(offset, length);
        offset += length;
        if (type == type_drhd) {
            if (structure.size() < drhd_length) {
                ++info.rejected_structures;
                continue;
            }
            RemappingUnit unit;
            unit.includes_all_devices = (structure[4] & 1) != 0;
            unit.register_size = u64 { 4096 } << (structure[5] & 0xF);
            unit.segment_group = read_little_endian<u16>(structure, 6);
            unit.register_base = read_little_endian<u64>(structure, 8);
            unit.device_scope_count
                = read_device_scopes(structure, drhd_length, unit.scopes, info.dropped_scopes);
            if (unit.register_base == 0 || (unit.register_base & page_mask) != 0) {
                ++info.rejected_structures;
                continue;
            }
            if (info.units.try_append(unit).is_error())
                ++info.dropped_structures;
        } else if (type == type_rmrr) {
            if (structure.size() < rmrr_length) {
                ++info.rejected_structures;
                continue;
            }
            ReservedRegion region;
            region.segment_group = read_little_endian<u16>(structure, 6);
            region.base = read_little_endian<u64>(structure, 8);
            region.limit = read_little_endian<u64>(structure, 16);
            (void)read_device_scopes(structure, rmrr_length, region.scopes, info.dropped_scopes);
            if (region.base > region.limit || (region.base & page_mask) != 0
                || (region.limit & page_mask) != page_mask) {
                ++info.rejected_structures;
                continue;
            }
            if (info.reserved_regions.try_append(region).is_error())
                ++info.dropped_structures;
        } else {
            ++info.other_structures;
        }
    }
    return info;
}

} // namespace Kernel::ACPI
