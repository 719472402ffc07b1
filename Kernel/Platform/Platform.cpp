#include <Kernel/ACPI/Dmar.h>
#include <Kernel/ACPI/Fadt.h>
#include <Kernel/ACPI/Hpet.h>
#include <Kernel/ACPI/Madt.h>
#include <Kernel/ACPI/SleepState.h>
#include <Kernel/ACPI/Tables.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Hpet.h>
#include <Kernel/Arch/x86_64/IoApic.h>
#include <Kernel/Arch/x86_64/LocalApic.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>
#include <Kernel/Arch/x86_64/SmpStartup.h>
#include <Kernel/Devices/KernelDeviceMemory.h>
#include <Kernel/Iommu/Iommu.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Panic/Panic.h>
#include <Kernel/Platform/Platform.h>
#include <Kernel/Platform/Power.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Time/Clock.h>
#include <Kernel/Time/Timers.h>
#include <Kernel/Time/WallClock.h>

namespace Kernel::Platform {

namespace {

constexpr Core::u32 apic_base_msr = 0x1B;

// ACPI tables live in firmware-reserved or ACPI memory: mapped read-through the direct map
// (write-back: it is memory, not registers). Usable RAM is refused by map_device, so a
// table address pointing into kernel memory cannot be read through here.
class KernelAcpiReader final : public ACPI::PhysicalMemoryReader {
public:
    Core::Optional<Core::ReadonlyBytes> map(Core::u64 physical_address, Core::u64 length) override
    {
        auto mapped = Memory::map_device(physical_address, length, Arch::CacheMode::WriteBack);
        if (mapped.is_error())
            return {};
        return Core::ReadonlyBytes(static_cast<const Core::u8*>(mapped.value()), length);
    }
};

KernelAcpiReader s_reader;
ACPI::TableDirectory s_tables;
bool s_have_tables = false;
Core::Optional<ACPI::MadtInfo> s_madt;
// Read once at boot, before any other CPU or user program runs; read-only after.
ACPI::McfgInfo s_mcfg;

void load_acpi_tables(const Boot::BootInfo& boot_info)
{
    if (!boot_info.acpi_rsdp.has_value()) {
        Log::warning("acpi: no RSDP from the boot loader");
        return;
    }
    auto rsdp = ACPI::parse_rsdp(boot_info.acpi_rsdp->data());
    if (rsdp.is_error()) {
        Log::warning("acpi: RSDP rejected: {}", rsdp.error().name());
        return;
    }
    auto root = ACPI::load_root_table(s_reader, rsdp.value());
    if (root.is_error()) {
        Log::warning("acpi: root table rejected: {}", root.error().name());
        return;
    }
    s_tables = root.value();
    s_have_tables = true;
    Log::info("acpi: revision {} root table with {} entries", rsdp.value().revision,
        s_tables.table_addresses.size());
}

// Looks a table up, logging why it is unusable if it is. A table the firmware may leave out
// (`optional`: the MCFG of a machine without PCI Express) is not warned about when absent.
Core::Optional<Core::ReadonlyBytes> find_table(Core::StringView signature, bool optional = false)
{
    if (!s_have_tables)
        return {};
    auto table = s_tables.find(signature, s_reader);
    if (table.is_error()) {
        if (!(optional && table.error().code() == Core::ErrorCode::NotFound))
            Log::warning("acpi: no usable {} table: {}", signature, table.error().name());
        return {};
    }
    return table.value();
}

void log_invalid_tables()
{
    for (const auto& invalid : s_tables.invalid_tables) {
        Log::warning("acpi: table {} at {:#x} rejected: {}", invalid.entry_index, invalid.physical_address,
            Core::Error(invalid.reason).name());
    }
}

Core::Optional<ACPI::MadtInfo> read_madt()
{
    auto table = find_table("APIC");
    if (!table.has_value())
        return {};
    auto madt = ACPI::parse_madt(table.value());
    if (madt.is_error()) {
        Log::warning("acpi: MADT rejected: {}", madt.error().name());
        return {};
    }
    return madt.value();
}

void read_mcfg()
{
    auto table = find_table("MCFG", true);
    if (!table.has_value()) {
        Log::info("pci: no MCFG; only the legacy configuration ports");
        return;
    }
    auto mcfg = ACPI::parse_mcfg(table.value());
    if (mcfg.is_error()) {
        Log::warning("acpi: MCFG rejected: {}", mcfg.error().name());
        return;
    }
    s_mcfg = mcfg.release_value();
    for (const ACPI::EcamSegment& segment : s_mcfg.segments)
        Log::info("pci: segment {} configuration window at {:#x}, buses {} to {}", segment.segment_group,
            segment.base_address, segment.start_bus, segment.end_bus);
}

// Keeps user-space drivers away from registers the kernel drives
// (Devices/KernelDeviceMemory.h).
void reserve_device_registers(const char* what, Core::u64 physical_base, Core::u64 size)
{
    if (!Devices::reserve_kernel_device_memory(physical_base, size))
        Log::warning(
            "platform: no room to reserve the {} at {:#x} from user-space drivers", what, physical_base);
}

// The IOMMU, if the platform has one: its DMA remapping units are started with every
// device blocked (Iommu/Iommu.h), and their registers kept from user-space drivers.
void read_dmar()
{
    auto table = find_table("DMAR", true);
    if (!table.has_value()) {
        Log::info("iommu: none (no DMAR): devices reach all of memory by DMA");
        return;
    }
    auto dmar = ACPI::parse_dmar(table.value());
    if (dmar.is_error()) {
        Log::warning("acpi: DMAR rejected: {}", dmar.error().name());
        return;
    }
    const ACPI::DmarInfo& info = dmar.value();
    Log::info("iommu: DMAR lists {} remapping unit(s) and {} reserved region(s); {}-bit DMA addresses, "
              "interrupt remapping {}",
        info.units.size(), info.reserved_regions.size(), info.host_address_width,
        info.interrupt_remapping ? "supported" : "not supported");
    for (const ACPI::RemappingUnit& unit : info.units) {
        Log::info("iommu: unit at {:#x}, segment {}, for {} ({} scope entries)", unit.register_base,
            unit.segment_group,
            unit.includes_all_devices ? "every device no other unit names" : "the devices it names",
            unit.device_scope_count);
        reserve_device_registers("IOMMU unit", unit.register_base, unit.register_size);
    }
    if (info.rejected_structures + info.dropped_structures + info.dropped_scopes != 0)
        Log::warning("acpi: DMAR: {} structure(s) rejected, {} beyond capacity, {} device scope(s) dropped",
            info.rejected_structures, info.dropped_structures, info.dropped_scopes);
    Iommu::initialize(info);
}

void start_interrupt_controller(const Core::Optional<ACPI::MadtInfo>& madt)
{
    // The MADT's address, else the IA32_APIC_BASE MSR's (bits 12..51).
    Core::u64 local_apic_base
        = madt.has_value() ? madt->local_apic_address : Arch::read_msr(apic_base_msr) & 0x000FFFFFFFFFF000ull;
    auto started = Arch::initialize_local_apic(local_apic_base);
    if (started.is_error() && madt.has_value()) {
        // The MADT's address is firmware input: fall back to the CPU's own MSR.
        Log::warning("platform: MADT local APIC address {:#x} unusable ({}); using the MSR's",
            local_apic_base, started.error().name());
        local_apic_base = Arch::read_msr(apic_base_msr) & 0x000FFFFFFFFFF000ull;
        auto retried = Arch::initialize_local_apic(local_apic_base);
        if (retried.is_error())
            Panic::panic("platform: cannot start the local APIC at {:#x}: {}", local_apic_base,
                retried.error().name());
    } else if (started.is_error()) {
        Panic::panic(
            "platform: cannot start the local APIC at {:#x}: {}", local_apic_base, started.error().name());
    }
    reserve_device_registers("local APIC", local_apic_base, 4096);
    Log::info("platform: local APIC {} at {:#x}, id {}",
        Arch::local_apic_uses_x2apic() ? "(x2APIC)" : "(xAPIC)", local_apic_base, Arch::local_apic_id());
}

void start_io_apics(const Core::Optional<ACPI::MadtInfo>& madt)
{
    if (!madt.has_value() || madt->io_apics.is_empty()) {
        Log::warning("platform: no I/O APIC in the MADT; device interrupts unavailable");
        return;
    }
    for (const auto& io_apic : madt->io_apics) {
        if (auto added = Arch::add_io_apic(io_apic.io_apic_id, io_apic.address, io_apic.gsi_base);
            added.is_error())
            Log::warning("platform: I/O APIC {} at {:#x} unusable: {}", io_apic.io_apic_id, io_apic.address,
                added.error().name());
        else
            reserve_device_registers("I/O APIC", io_apic.address, 4096);
    }
    Log::info("platform: {} I/O APIC(s), {} ISA overrides", Arch::io_apic_count(),
        madt->interrupt_source_overrides.size());
}

void start_reference_clock()
{
    auto table = find_table("HPET");
    if (table.has_value()) {
        auto hpet = ACPI::parse_hpet_table(table.value());
        if (hpet.is_error()) {
            Log::warning("acpi: HPET table rejected: {}", hpet.error().name());
        } else if (auto started = Arch::initialize_hpet(hpet.value().base_address); started.is_error()) {
            Log::warning(
                "time: HPET at {:#x} unusable: {}", hpet.value().base_address, started.error().name());
        } else {
            reserve_device_registers("HPET", hpet.value().base_address, 1024);
            Time::refine_monotonic_clock(Arch::hpet_nanoseconds, 20'000'000);
            Log::info("time: HPET at {:#x}, {} kHz; TSC measured against it: {} kHz",
                hpet.value().base_address, Arch::hpet_frequency_hz() / 1000,
                Time::timestamp_counter_frequency_hz() / 1000);
        }
    }
    if (!Time::timestamp_counter_is_invariant())
        Log::info("time: the CPU does not promise an invariant TSC; time may drift in deep power states");
}

void start_other_processors(const Core::Optional<ACPI::MadtInfo>& madt)
{
    if (!madt.has_value())
        return;
    Core::StaticVector<Core::u32, Arch::max_processors> apic_ids;
    for (const auto& processor : madt->processors) {
        // Online-capable but disabled CPUs are for hot-plug; only enabled ones start now.
        if (processor.enabled) {
            if (apic_ids.try_append(processor.apic_id).is_error())
                Log::warning("smp: more than {} CPUs; APIC id {} left offline", Arch::max_processors,
                    processor.apic_id);
        }
    }
    (void)Arch::start_application_processors(apic_ids.span(), [] {
        // The start-up context becomes this CPU's first thread and ends at once, leaving
        // the CPU to its idle thread and whatever threads are started on it.
        Tasks::Scheduler::initialize_on_this_cpu("cpu start-up");
        Tasks::Scheduler::exit_current();
    });
}

void read_power_control()
{
    PowerControl control;
    auto facp = find_table("FACP");
    if (facp.has_value()) {
        auto fadt = ACPI::parse_fadt(facp.value());
        if (fadt.is_error()) {
            Log::warning("acpi: FADT rejected: {}", fadt.error().name());
        } else {
            control.fadt = fadt.value();
            auto dsdt = ACPI::load_table(s_reader, fadt.value().dsdt_address, "DSDT");
            if (dsdt.is_error()) {
                Log::warning(
                    "acpi: DSDT at {:#x} rejected: {}", fadt.value().dsdt_address, dsdt.error().name());
            } else {
                auto s5 = ACPI::find_s5_sleep_type(ACPI::table_contents_after_header(dsdt.value()));
                if (s5.is_error())
                    Log::warning("acpi: no usable \\_S5 object in the DSDT ({}); power-off unavailable",
                        s5.error().name());
                else
                    control.s5_sleep_type = s5.value();
            }
        }
    }
    set_power_control(control);
}

} // namespace

void initialize_platform(const Boot::BootInfo& boot_info)
{
    load_acpi_tables(boot_info);
    s_madt = read_madt();
    read_mcfg();
    read_dmar();
    const auto& madt = s_madt;
    start_reference_clock();
    if (Time::timestamp_counter_frequency_hz() == 0)
        Panic::panic(
            "platform: no way to measure time (the TSC could not be measured against the PIT or HPET)");
    start_interrupt_controller(madt);
    start_io_apics(madt);
    Arch::initialize_processor_calls();
    Time::initialize_timers();
    // The boot context becomes the boot CPU's first thread ("kernel main").
    Tasks::Scheduler::initialize_on_this_cpu("kernel main");
    start_other_processors(madt);
    if (!Tasks::Scheduler::wait_until_ready_everywhere(1'000'000'000))
        Log::warning("scheduler: not every online CPU started scheduling within a second");
    read_power_control();
    Core::u8 century_register = 0;
    if (auto facp = find_table("FACP"); facp.has_value()) {
        if (auto fadt = ACPI::parse_fadt(facp.value()); !fadt.is_error())
            century_register = fadt.value().century_register;
    }
    Time::initialize_wall_clock(century_register);
    log_invalid_tables();
}

Core::Span<const ACPI::EcamSegment> pci_segments()
{
    return s_mcfg.segments.span();
}

Core::Result<Core::u32> route_isa_irq(Core::u8 isa_irq, Core::u8 vector)
{
    ACPI::InterruptPolarity polarity = ACPI::InterruptPolarity::ActiveHigh;
    ACPI::InterruptTriggerMode trigger = ACPI::InterruptTriggerMode::Edge;
    Core::u32 gsi = isa_irq;
    if (s_madt.has_value())
        gsi = ACPI::isa_irq_to_gsi(s_madt.value(), isa_irq, polarity, trigger);
    TRY(Arch::route_interrupt_line(gsi,
        { .vector = vector,
            .destination_apic_id = Arch::boot_processor().apic_id,
            .active_low = polarity == ACPI::InterruptPolarity::ActiveLow,
            .level_triggered = trigger == ACPI::InterruptTriggerMode::Level }));
    return gsi;
}

IsaInterruptLine isa_interrupt_line(Core::u8 isa_irq)
{
    ACPI::InterruptPolarity polarity = ACPI::InterruptPolarity::ActiveHigh;
    ACPI::InterruptTriggerMode trigger = ACPI::InterruptTriggerMode::Edge;
    Core::u32 gsi
        = s_madt.has_value() ? ACPI::isa_irq_to_gsi(s_madt.value(), isa_irq, polarity, trigger) : isa_irq;
    return { .gsi = gsi,
        .level_triggered = trigger == ACPI::InterruptTriggerMode::Level,
        .active_low = polarity == ACPI::InterruptPolarity::ActiveLow };
}

Core::Result<void> mask_isa_irq(Core::u8 isa_irq)
{
    ACPI::InterruptPolarity polarity = ACPI::InterruptPolarity::ActiveHigh;
    ACPI::InterruptTriggerMode trigger = ACPI::InterruptTriggerMode::Edge;
    Core::u32 gsi
        = s_madt.has_value() ? ACPI::isa_irq_to_gsi(s_madt.value(), isa_irq, polarity, trigger) : isa_irq;
    return Arch::mask_interrupt_line(gsi);
}

} // namespace Kernel::Platform
