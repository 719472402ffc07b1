#include <Kernel/ACPI/ByteReading.h>
#include <Kernel/ACPI/Hpet.h>
#include <Kernel/ACPI/Tables.h>

namespace Kernel::ACPI {

using Core::ErrorCode;
using Core::Optional;
using Core::ReadonlyBytes;
using Core::Result;
using Core::u32;
using Core::u8;
using Core::usize;
using Detail::read_little_endian;

namespace {

// Table layout (IA-PC HPET Specification 1.0a, section 3.2.4).
constexpr usize event_timer_block_id_offset = 36;
constexpr usize base_address_offset = 40;
constexpr usize hpet_number_offset = 52;
constexpr usize minimum_tick_offset = 53;
constexpr usize page_protection_offset = 55;
constexpr usize table_length = 56;

// Event timer block ID fields.
constexpr u32 hardware_revision_mask = 0xFF;
constexpr u32 last_comparator_shift = 8;
constexpr u32 last_comparator_mask = 0x1F;
constexpr u32 counter_size_flag = 1u << 13;
constexpr u32 legacy_replacement_flag = 1u << 15;
constexpr u32 pci_vendor_id_shift = 16;

} // namespace

Result<HpetInfo> parse_hpet_table(ReadonlyBytes table)
{
    table = TRY(Detail::checked_table(table, "HPET"_sv, table_length));

    // checked_table() guarantees table_length bytes, so the structure is there.
    Optional<GenericAddress> base = read_generic_address(table, base_address_offset);
    VERIFY(base.has_value());
    if (base->address_space != AddressSpace::SystemMemory)
        return ErrorCode::NotSupported;
    if (base->address == 0)
        return ErrorCode::Malformed;

    HpetInfo info;
    info.base_address = base->address;
    info.register_bit_width = base->register_bit_width;
    info.register_bit_offset = base->register_bit_offset;
    u32 block_id = read_little_endian<u32>(table, event_timer_block_id_offset);
    info.event_timer_block_id = block_id;
    info.hardware_revision = static_cast<u8>(block_id & hardware_revision_mask);
    // At most 31 + 1, so it fits in u8.
    info.comparator_count = static_cast<u8>(((block_id >> last_comparator_shift) & last_comparator_mask) + 1);
    info.counter_is_64_bit = (block_id & counter_size_flag) != 0;
    info.legacy_replacement_capable = (block_id & legacy_replacement_flag) != 0;
    info.pci_vendor_id = static_cast<Core::u16>(block_id >> pci_vendor_id_shift);
    info.hpet_number = table[hpet_number_offset];
    info.minimum_tick = read_little_endian<Core::u16>(table, minimum_tick_offset);
    info.page_protection_and_oem_attribute = table[page_protection_offset];
    return info;
}

} // namespace Kernel::ACPI
