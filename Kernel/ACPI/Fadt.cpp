#include <Kernel/ACPI/ByteReading.h>
#include <Kernel/ACPI/Fadt.h>

namespace Kernel::ACPI {

using Core::Optional;
using Core::ReadonlyBytes;
using Core::Result;
using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;
using Detail::has_bytes;
using Detail::read_little_endian;

namespace {

// Field offsets (ACPI 6.5, section 5.2.9).
constexpr usize header_revision_offset = 8;
constexpr usize firmware_control_offset = 36;
constexpr usize dsdt_offset = 40;
constexpr usize sci_interrupt_offset = 46;
constexpr usize smi_command_offset = 48;
constexpr usize acpi_enable_offset = 52;
constexpr usize acpi_disable_offset = 53;
constexpr usize pm1a_event_block_offset = 56;
constexpr usize pm1b_event_block_offset = 60;
constexpr usize pm1a_control_block_offset = 64;
constexpr usize pm1b_control_block_offset = 68;
constexpr usize pm_timer_block_offset = 76;
constexpr usize pm1_event_length_offset = 88;
constexpr usize pm1_control_length_offset = 89;
constexpr usize pm_timer_length_offset = 91;
constexpr usize century_offset = 108;
constexpr usize boot_architecture_offset = 109;
constexpr usize flags_offset = 112;
// ACPI 1.0's FADT ends after the flags; every later layout extends it.
constexpr usize version_1_length = 116;
constexpr usize reset_register_offset = 116;
constexpr usize reset_value_offset = 128;
constexpr usize minor_version_offset = 131;
constexpr usize extended_firmware_control_offset = 132;
constexpr usize extended_dsdt_offset = 140;
constexpr usize extended_pm1a_event_block_offset = 148;
constexpr usize extended_pm1b_event_block_offset = 160;
constexpr usize extended_pm1a_control_block_offset = 172;
constexpr usize extended_pm1b_control_block_offset = 184;
constexpr usize extended_pm_timer_block_offset = 208;

// IAPC_BOOT_ARCH was reserved in revision 1 (ACPI 1.0) and defined from revision 2 on.
constexpr u8 first_revision_with_boot_architecture = 2;

// Reads a 64-bit address field, or 0 when the table ends before it.
u64 read_optional_address(ReadonlyBytes table, usize offset)
{
    return has_bytes(table, offset, sizeof(u64)) ? read_little_endian<u64>(table, offset) : 0;
}

// Chooses between a register block's X_ GAS field and its 32-bit port field (see
// FadtInfo::pm1a_event_block). `table` is cut to the table's length, so an X_ field beyond the
// table's end reads as absent.
Optional<GenericAddress> register_block(
    ReadonlyBytes table, usize legacy_offset, usize extended_offset, u8 length_in_bytes)
{
    Optional<GenericAddress> extended = read_generic_address(table, extended_offset);
    if (extended.has_value() && extended->address != 0)
        return extended;

    u32 port = read_little_endian<u32>(table, legacy_offset);
    if (port == 0)
        return {};
    GenericAddress legacy;
    legacy.address_space = AddressSpace::SystemIo;
    // 31 bytes is the longest block whose width in bits still fits the GAS's u8 field.
    legacy.register_bit_width = length_in_bytes <= 31 ? static_cast<u8>(length_in_bytes * 8) : 0;
    legacy.address = port;
    return legacy;
}

bool is_valid_reset_address_space(AddressSpace space)
{
    return space == AddressSpace::SystemMemory || space == AddressSpace::SystemIo
        || space == AddressSpace::PciConfiguration;
}

Optional<ResetRegister> reset_register(ReadonlyBytes table, u32 flags)
{
    if ((flags & FadtFlags::reset_register_supported) == 0 || !has_bytes(table, reset_value_offset, 1))
        return {};
    Optional<GenericAddress> address = read_generic_address(table, reset_register_offset);
    // The reset value sits after the register, so the register is in the table too.
    VERIFY(address.has_value());
    if (address->address == 0 || !is_valid_reset_address_space(address->address_space))
        return {};
    return ResetRegister { *address, table[reset_value_offset] };
}

} // namespace

Result<FadtInfo> parse_fadt(ReadonlyBytes table)
{
    table = TRY(Detail::checked_table(table, "FACP"_sv, version_1_length));

    FadtInfo info;
    info.revision = table[header_revision_offset];
    // checked_table() cut the table to its header's length, a u32.
    info.length = static_cast<u32>(table.size());

    u64 extended_dsdt = read_optional_address(table, extended_dsdt_offset);
    info.dsdt_address = extended_dsdt != 0 ? extended_dsdt : read_little_endian<u32>(table, dsdt_offset);
    u64 extended_firmware_control = read_optional_address(table, extended_firmware_control_offset);
    info.firmware_control_address = extended_firmware_control != 0
        ? extended_firmware_control
        : read_little_endian<u32>(table, firmware_control_offset);

    info.sci_interrupt = read_little_endian<u16>(table, sci_interrupt_offset);
    info.smi_command_port = read_little_endian<u32>(table, smi_command_offset);
    info.acpi_enable_value = table[acpi_enable_offset];
    info.acpi_disable_value = table[acpi_disable_offset];

    info.pm1_event_length = table[pm1_event_length_offset];
    info.pm1_control_length = table[pm1_control_length_offset];
    info.pm_timer_length = table[pm_timer_length_offset];
    info.pm1a_event_block = register_block(
        table, pm1a_event_block_offset, extended_pm1a_event_block_offset, info.pm1_event_length);
    info.pm1b_event_block = register_block(
        table, pm1b_event_block_offset, extended_pm1b_event_block_offset, info.pm1_event_length);
    info.pm1a_control_block = register_block(
        table, pm1a_control_block_offset, extended_pm1a_control_block_offset, info.pm1_control_length);
    info.pm1b_control_block = register_block(
        table, pm1b_control_block_offset, extended_pm1b_control_block_offset, info.pm1_control_length);
    info.pm_timer_block
        = register_block(table, pm_timer_block_offset, extended_pm_timer_block_offset, info.pm_timer_length);

    info.flags = read_little_endian<u32>(table, flags_offset);
    info.reset_register = reset_register(table, info.flags);
    if (info.revision >= first_revision_with_boot_architecture)
        info.boot_architecture_flags = read_little_endian<u16>(table, boot_architecture_offset);
    info.century_register = table[century_offset];
    if (has_bytes(table, minor_version_offset, 1))
        info.minor_version = table[minor_version_offset];
    return info;
}

} // namespace Kernel::ACPI
