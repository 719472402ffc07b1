// libFuzzer target for the whole ACPI table chain the kernel runs at boot: RSDP, root table,
// find() of the MADT, HPET, FADT, MCFG, DMAR and SSDTs, each table's parser, and the DSDT's S5 sleep
// type. Nothing may read out of bounds, overflow or VERIFY, and what comes back must keep the
// promises the headers make.
//
// Input layout:
//   byte 0        options: bit 0 set means "fix the checksums" (below); bit 1 set gives the RSDP
//                 as its first 20 bytes only, as a bootloader with only the old tag would;
//   bytes 1..36   the RSDP;
//   the rest      physical memory, starting at physical address memory_base.
// Random bytes almost never have valid checksums, which would stop the chain at the first table.
// With bit 0 set, the harness therefore fills in the checksums of the RSDP, of the root tables it
// names, of the tables they list and of the DSDT each FADT names, before the parsers see them, so
// the fuzzer spends its time on the layouts behind the checksums.

#include <Kernel/ACPI/Dmar.h>
#include <Kernel/ACPI/Fadt.h>
#include <Kernel/ACPI/Hpet.h>
#include <Kernel/ACPI/Madt.h>
#include <Kernel/ACPI/Mcfg.h>
#include <Kernel/ACPI/SleepState.h>
#include <Kernel/ACPI/Tables.h>
#include <stddef.h>
#include <stdint.h>
#include <vector>

namespace {

using namespace Kernel::ACPI;

constexpr uint64_t memory_base = 0x100000;
constexpr size_t rsdp_offset = 1;
constexpr size_t rsdp_length = 36;
constexpr size_t memory_offset = rsdp_offset + rsdp_length;
constexpr uint8_t fix_checksums_option = 1 << 0;
constexpr uint8_t short_rsdp_option = 1 << 1;

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

// Written after every run so that the parsers' results have an observable use.
volatile uint64_t s_checksum_sink;

class FuzzMemory final : public PhysicalMemoryReader {
public:
    explicit FuzzMemory(std::vector<uint8_t>& bytes)
        : m_bytes(bytes)
    {
    }

    Core::Optional<Core::ReadonlyBytes> map(uint64_t address, uint64_t length) override
    {
        if (address < memory_base || address - memory_base > m_bytes.size()
            || length > m_bytes.size() - (address - memory_base))
            return {};
        return Core::ReadonlyBytes(m_bytes.data() + (address - memory_base), length);
    }

    // The offset into the memory of a range that lies wholly inside it.
    bool locate(uint64_t address, uint64_t length, size_t& offset) const
    {
        if (address < memory_base || address - memory_base > m_bytes.size()
            || length > m_bytes.size() - (address - memory_base))
            return false;
        offset = static_cast<size_t>(address - memory_base);
        return true;
    }

private:
    std::vector<uint8_t>& m_bytes;
};

uint64_t read_little_endian(const uint8_t* bytes, size_t byte_count)
{
    uint64_t value = 0;
    for (size_t index = 0; index < byte_count; ++index)
        value |= static_cast<uint64_t>(bytes[index]) << (8 * index);
    return value;
}

void fill_checksum(uint8_t* bytes, size_t length, size_t checksum_offset)
{
    bytes[checksum_offset] = 0;
    uint8_t sum = 0;
    for (size_t index = 0; index < length; ++index)
        sum = static_cast<uint8_t>(sum + bytes[index]);
    bytes[checksum_offset] = static_cast<uint8_t>(0x100 - sum);
}

// Fixes the checksum of the table at `address` if its header and declared length lie in memory;
// returns where it is, or false.
bool fix_table(
    std::vector<uint8_t>& memory, FuzzMemory& reader, uint64_t address, size_t& offset, size_t& length)
{
    if (!reader.locate(address, table_header_length, offset))
        return false;
    length = static_cast<size_t>(read_little_endian(&memory[offset + 4], 4));
    if (length < table_header_length || !reader.locate(address, length, offset))
        return false;
    fill_checksum(&memory[offset], length, 9);
    return true;
}

void fix_checksums(uint8_t* rsdp, size_t rsdp_size, std::vector<uint8_t>& memory, FuzzMemory& reader)
{
    fill_checksum(rsdp, 20, 8);
    if (rsdp_size >= rsdp_length)
        fill_checksum(rsdp, rsdp_length, 32);

    struct Root {
        uint64_t address;
        size_t entry_size;
    };
    Root roots[] = { { read_little_endian(rsdp + 16, 4), 4 }, { read_little_endian(rsdp + 24, 8), 8 } };
    for (const Root& root : roots) {
        size_t root_offset;
        size_t root_length;
        if (!fix_table(memory, reader, root.address, root_offset, root_length))
            continue;
        size_t entry_count = (root_length - table_header_length) / root.entry_size;
        for (size_t index = 0; index < entry_count && index < table_directory_capacity; ++index) {
            // Re-read each time: fixing an overlapping table may have changed the root's bytes.
            uint64_t address = read_little_endian(
                &memory[root_offset + table_header_length + index * root.entry_size], root.entry_size);
            size_t table_offset;
            size_t table_length;
            if (!fix_table(memory, reader, address, table_offset, table_length))
                continue;
            const uint8_t* table = &memory[table_offset];
            if (table[0] != 'F' || table[1] != 'A' || table[2] != 'C' || table[3] != 'P' || table_length < 44)
                continue;
            size_t dsdt_offset;
            size_t dsdt_length;
            uint64_t dsdt = read_little_endian(table + 40, 4);
            fix_table(memory, reader, dsdt, dsdt_offset, dsdt_length);
            if (table_length >= 148) {
                uint64_t extended_dsdt = read_little_endian(&memory[table_offset + 140], 8);
                fix_table(memory, reader, extended_dsdt, dsdt_offset, dsdt_length);
            }
        }
    }
}

uint64_t check_sleep_type(Core::ReadonlyBytes table)
{
    auto sleep_type = find_s5_sleep_type(table_contents_after_header(table));
    if (sleep_type.is_error())
        return static_cast<uint64_t>(sleep_type.error().code());
    require(sleep_type.value().type_a <= 7 && sleep_type.value().type_b <= 7);
    return sleep_type.value().type_a * 8u + sleep_type.value().type_b;
}

uint64_t check_madt(Core::ReadonlyBytes table)
{
    auto madt = parse_madt(table);
    if (madt.is_error())
        return static_cast<uint64_t>(madt.error().code());
    const MadtInfo& info = madt.value();
    uint64_t sum = info.local_apic_address + info.ignored_entry_count;
    require(info.has_local_apic_address_override || info.local_apic_address == info.local_apic_address_32);
    for (const MadtProcessor& processor : info.processors)
        sum += processor.apic_id + processor.processor_uid + processor.enabled + processor.online_capable;
    for (const MadtIoApic& io_apic : info.io_apics)
        sum += io_apic.address + io_apic.gsi_base;
    for (const MadtLocalApicNmi& nmi : info.local_apic_nmis)
        sum += nmi.lint + nmi.processor_uid;
    sum += info.nmi_sources.size() + info.dropped_processors + info.dropped_local_apic_nmis;
    if (info.bad_entry.has_value())
        require(info.bad_entry->offset >= 44 && info.bad_entry->offset < table.size());
    for (unsigned irq = 0; irq < 16; ++irq) {
        InterruptPolarity polarity;
        InterruptTriggerMode trigger_mode;
        sum += isa_irq_to_gsi(info, static_cast<uint8_t>(irq), polarity, trigger_mode);
        sum += static_cast<uint64_t>(polarity) + static_cast<uint64_t>(trigger_mode);
    }
    return sum;
}

uint64_t check_fadt(Core::ReadonlyBytes table, PhysicalMemoryReader& reader)
{
    auto fadt = parse_fadt(table);
    if (fadt.is_error())
        return static_cast<uint64_t>(fadt.error().code());
    const FadtInfo& info = fadt.value();
    require(info.length >= 116 && info.length <= table.size());
    uint64_t sum = info.sci_interrupt + info.smi_command_port + info.flags + info.has_8042() + info.has_vga();
    const Core::Optional<GenericAddress>* blocks[] = { &info.pm1a_event_block, &info.pm1b_event_block,
        &info.pm1a_control_block, &info.pm1b_control_block, &info.pm_timer_block };
    for (const auto* block : blocks) {
        if (block->has_value())
            sum += (*block)->address + (*block)->register_bit_width;
    }
    if (info.reset_register.has_value()) {
        require(
            info.has_flag(FadtFlags::reset_register_supported) && info.reset_register->address.address != 0);
        sum += info.reset_register->value;
    }
    auto dsdt = load_table(reader, info.dsdt_address, "DSDT");
    if (dsdt.is_error())
        return sum + static_cast<uint64_t>(dsdt.error().code());
    return sum + check_sleep_type(dsdt.value());
}

uint64_t check_hpet(Core::ReadonlyBytes table)
{
    auto hpet = parse_hpet_table(table);
    if (hpet.is_error())
        return static_cast<uint64_t>(hpet.error().code());
    require(hpet.value().base_address != 0);
    require(hpet.value().comparator_count >= 1 && hpet.value().comparator_count <= 32);
    return hpet.value().base_address + hpet.value().minimum_tick;
}

uint64_t check_mcfg(Core::ReadonlyBytes table)
{
    auto mcfg = parse_mcfg(table);
    if (mcfg.is_error())
        return static_cast<uint64_t>(mcfg.error().code());
    uint64_t sum = mcfg.value().dropped_segments + mcfg.value().rejected_segments;
    for (const EcamSegment& segment : mcfg.value().segments) {
        uint64_t last_byte;
        require(segment.start_bus <= segment.end_bus && segment.base_address != 0);
        require(!__builtin_add_overflow(
            segment.base_address, (uint64_t { segment.end_bus } + 1) * 0x100000 - 1, &last_byte));
        sum += segment.base_address + segment.segment_group;
    }
    return sum;
}

uint64_t check_dmar(Core::ReadonlyBytes table)
{
    auto dmar = parse_dmar(table);
    if (dmar.is_error())
        return static_cast<uint64_t>(dmar.error().code());
    const DmarInfo& info = dmar.value();
    uint64_t sum = info.host_address_width + info.rejected_structures + info.dropped_structures
        + info.other_structures;
    require(info.host_address_width >= 1 && info.host_address_width <= 256);
    for (const RemappingUnit& unit : info.units) {
        require(unit.register_base != 0 && (unit.register_base & 0xFFF) == 0);
        require(unit.register_size >= 4096 && unit.register_size <= (4096ull << 15));
        require(unit.scopes.size() <= unit.device_scope_count);
        for (const DeviceScope& scope : unit.scopes)
            require(scope.path_length >= 1 && scope.path_length <= DeviceScope::maximum_path_length);
        sum += unit.register_base + unit.device_scope_count;
    }
    for (const ReservedRegion& region : info.reserved_regions) {
        require(region.base <= region.limit && (region.base & 0xFFF) == 0 && (region.limit & 0xFFF) == 0xFFF);
        sum += region.limit - region.base;
    }
    return sum;
}

// A table find() returned: whole, checksummed and with the signature asked for.
void check_found(Core::ReadonlyBytes table, const char* signature)
{
    require(table.size() >= table_header_length && table.size() <= maximum_table_length);
    uint8_t sum = 0;
    for (uint8_t byte : table)
        sum = static_cast<uint8_t>(sum + byte);
    require(sum == 0);
    for (size_t index = 0; index < 4; ++index)
        require(table[index] == static_cast<uint8_t>(signature[index]));
    // The kernel logs each table's header; the decoded text must be safe to print.
    auto header = parse_table_header(table);
    require(!header.is_error() && header.value().length == table.size());
    for (char character : header.value().oem_id.view())
        require(character == '\0' || (character >= 0x20 && character < 0x7F));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < memory_offset)
        return 0;
    uint8_t options = data[0];
    uint8_t rsdp[rsdp_length];
    for (size_t index = 0; index < rsdp_length; ++index)
        rsdp[index] = data[rsdp_offset + index];
    size_t rsdp_size = (options & short_rsdp_option) != 0 ? 20 : rsdp_length;
    std::vector<uint8_t> memory(data + memory_offset, data + size);
    FuzzMemory reader(memory);
    if ((options & fix_checksums_option) != 0)
        fix_checksums(rsdp, rsdp_size, memory, reader);

    auto parsed_rsdp = parse_rsdp(Core::ReadonlyBytes(rsdp, rsdp_size));
    if (parsed_rsdp.is_error()) {
        s_checksum_sink = static_cast<uint64_t>(parsed_rsdp.error().code());
        return 0;
    }
    auto loaded_directory = load_root_table(reader, parsed_rsdp.value());
    if (loaded_directory.is_error()) {
        s_checksum_sink = static_cast<uint64_t>(loaded_directory.error().code());
        return 0;
    }
    TableDirectory& directory = loaded_directory.value();
    uint64_t sum = directory.root_address + directory.dropped_entry_count + directory.trailing_byte_count;

    const char* signatures[] = { "APIC", "HPET", "FACP", "MCFG", "SSDT", "DMAR" };
    for (const char* signature : signatures) {
        for (size_t occurrence = 0; occurrence < 2; ++occurrence) {
            auto table = directory.find(signature, reader, occurrence);
            if (table.is_error()) {
                require(table.error().code() == Core::ErrorCode::NotFound);
                break;
            }
            check_found(table.value(), signature);
            switch (signature[0]) {
            case 'A':
                sum += check_madt(table.value());
                break;
            case 'H':
                sum += check_hpet(table.value());
                break;
            case 'F':
                sum += check_fadt(table.value(), reader);
                break;
            case 'M':
                sum += check_mcfg(table.value());
                break;
            case 'D':
                sum += check_dmar(table.value());
                break;
            default:
                sum += check_sleep_type(table.value());
                break;
            }
        }
    }

    // Every invalid entry is recorded once, with an index that exists.
    for (size_t index = 0; index < directory.invalid_tables.size(); ++index) {
        const InvalidTable& invalid = directory.invalid_tables[index];
        require(invalid.entry_index < directory.table_addresses.size());
        require(directory.table_addresses[invalid.entry_index] == invalid.physical_address);
        for (size_t other = index + 1; other < directory.invalid_tables.size(); ++other)
            require(directory.invalid_tables[other].entry_index != invalid.entry_index);
        sum += static_cast<uint64_t>(invalid.reason);
    }
    s_checksum_sink = sum;
    return 0;
}
