#include <Core/NoThrow.h>
#include <Kernel/Iommu/Iommu.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Platform/Platform.h>

namespace Kernel::Iommu {

using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;
using Core::usize;

namespace {

// ---- Registers (VT-d 11.4) -------------------------------------------------------------------
constexpr usize capability_register = 0x08;
constexpr usize extended_capability_register = 0x10;
constexpr usize global_command_register = 0x18;
constexpr usize global_status_register = 0x1C;
constexpr usize root_table_address_register = 0x20;
constexpr usize context_command_register = 0x28;
constexpr usize fault_status_register = 0x34;
constexpr usize fault_event_control_register = 0x38;
constexpr usize protected_memory_enable_register = 0x64;

constexpr u32 translation_enable = 1u << 31; // TE / TES
constexpr u32 set_root_table_pointer = 1u << 30; // SRTP / RTPS
constexpr u32 write_buffer_flush = 1u << 27; // WBF / WBFS
constexpr u32 queued_invalidation_enable = 1u << 26; // QIE / QIES
constexpr u32 interrupt_remapping_enable = 1u << 25; // IRE / IRES
constexpr u32 enable_protected_memory = 1u << 31; // PMEN.EPM
constexpr u32 protected_region_status = 1u << 0; // PMEN.PRS
// The status bits that stay set across commands (VT-d 11.4.4: mask for read-modify-write):
// everything but the one-shot ones (SRTP, SFL, WBF, SIRTP).
constexpr u32 persistent_status_bits = 0x96FF'FFFF;

constexpr u64 invalidate_context_cache = 1ull << 63; // ICC
constexpr u64 global_context_invalidation = 1ull << 61; // CIRG = 01
constexpr u64 invalidate_iotlb = 1ull << 63; // IVT
constexpr u64 global_iotlb_invalidation = 1ull << 60; // IIRG = 01
constexpr u64 drain_reads_and_writes = (1ull << 49) | (1ull << 48); // DR, DW

constexpr u32 fault_interrupt_mask = 1u << 31; // FECTL.IM
constexpr u32 primary_fault_overflow = 1u << 0; // FSTS.PFO
constexpr u64 fault_recorded = 1ull << 63; // F in a fault recording register's high half

// How long a command may take before the unit is given up on: far beyond the microseconds
// hardware needs, so only a unit that is broken (or not there) reaches it.
constexpr u32 command_spin_limit = 10'000'000;

constexpr usize maximum_units = 8;
constexpr usize maximum_domains = 256;
// The most of a unit's register set mapped (its DRHD may declare up to 128 MiB).
constexpr u64 maximum_register_bytes = 64 * 1024;
// Reserved regions larger than this are refused as implausible: mapping them would run
// long with the lock held, for memory no device of a sane platform needs.
constexpr u64 maximum_reserved_region = 64ull << 20;
// Domains kept from boot for the functions firmware's reserved regions name.
constexpr usize maximum_firmware_domains = 16;
constexpr u32 domain_id_capacity = 256;

struct Unit {
    // Invariant: maps the unit's 4 KiB register page uncached; registers are read and
    // written at their natural width and alignment.
    volatile u8* registers { nullptr };
    ACPI::RemappingUnit description;
    u8 levels { 0 };
    bool coherent { false };
    bool caching_mode { false };
    bool needs_write_buffer_flush { false };
    bool active { false };
    // A command or invalidation never completed: the unit may be translating with tables
    // the kernel no longer trusts it to have forgotten. Nothing more is attached to it, and
    // frames it may still walk are never freed.
    bool broken { false };
    u64 register_bytes { 4096 };
    usize iotlb_offset { 0 };
    usize fault_offset { 0 };
    u32 fault_record_count { 0 };
    u32 domain_id_limit { 0 };
    u64 root_table { 0 };
    u64 domain_ids_used[domain_id_capacity / 64] {};
};

Unit s_units[maximum_units];
usize s_unit_count = 0;
bool s_active = false;
ACPI::DmarInfo* s_dmar = nullptr;
ACPI::DmarInfo s_dmar_copy;

// The domain registry: live domains by function, for sharing. A domain leaves it in its
// destructor under the lock, so a lookup under the lock finds it intact and try_ref()
// tells whether it may still be used.
Domain* s_domains[maximum_domains] {};

Locking::Spinlock s_lock("iommu", Locking::LockRank::Iommu);

u32 read32(const Unit& unit, usize offset)
{
    return *reinterpret_cast<volatile u32*>(unit.registers + offset);
}
void write32(const Unit& unit, usize offset, u32 value)
{
    *reinterpret_cast<volatile u32*>(unit.registers + offset) = value;
}
u64 read64(const Unit& unit, usize offset)
{
    return *reinterpret_cast<volatile u64*>(unit.registers + offset);
}
void write64(const Unit& unit, usize offset, u64 value)
{
    *reinterpret_cast<volatile u64*>(unit.registers + offset) = value;
}

// Writes back the cache lines of [address, address + length) so that a unit whose walks
// do not snoop sees the stores (VT-d 6.5: ECAP.C clear).
void flush_cache_lines(const void* address, usize length)
{
    auto first = reinterpret_cast<u64>(address) & ~u64 { 63 };
    auto end = reinterpret_cast<u64>(address) + length;
    // Invariant: the lines lie in the kernel's direct map (table frames), mapped and
    // writable; CLFLUSH only writes them back and drops them from the cache.
    for (u64 line = first; line < end; line += 64)
        asm volatile("clflush (%0)" ::"r"(line) : "memory");
    asm volatile("mfence" ::: "memory");
}

class KernelTableFrames final : public TableFrames {
public:
    Core::Result<u64> allocate_table() override
    {
        u64 frame = TRY(Memory::allocate_physical_page(Memory::PageUse::PageTable));
        __builtin_memset(Memory::physical_to_virtual(frame), 0, TranslationTable::page_size);
        if (m_unit_not_coherent)
            flush_cache_lines(Memory::physical_to_virtual(frame), TranslationTable::page_size);
        return frame;
    }
    void free_table(u64 physical) override { Memory::free_physical_page(physical); }
    u64* table_entries(u64 physical) override
    {
        return static_cast<u64*>(Memory::physical_to_virtual(physical));
    }
    void publish(u64* first, usize count) override
    {
        // The stores must be in memory before the register write that makes the unit look.
        asm volatile("" ::: "memory");
        if (m_unit_not_coherent)
            flush_cache_lines(first, count * sizeof(u64));
    }
    // Set at boot when any unit does not snoop; then every table store is written back.
    bool m_unit_not_coherent { false };
};

KernelTableFrames s_frames;

// Spins until (status register & bit) == expected; false when the unit never gets there.
template<typename Read> bool wait_until(Read read)
{
    for (u32 spin = 0; spin < command_spin_limit; ++spin) {
        if (read())
            return true;
        asm volatile("pause");
    }
    return false;
}

bool set_global_command(const Unit& unit, u32 command, bool on)
{
    u32 status = read32(unit, global_status_register) & persistent_status_bits;
    write32(unit, global_command_register, on ? (status | command) : (status & ~command));
    return wait_until([&] { return ((read32(unit, global_status_register) & command) != 0) == on; });
}

// Forgets every cached context entry and translation of the unit (register-based
// invalidation, VT-d 6.5.1). Global, so it is right whatever changed.
bool invalidate_caches(const Unit& unit)
{
    // Units with volatile write buffers need them flushed after table changes (CAP.RWBF).
    if (unit.needs_write_buffer_flush) {
        u32 status = read32(unit, global_status_register) & persistent_status_bits;
        write32(unit, global_command_register, status | write_buffer_flush);
        if (!wait_until([&] { return (read32(unit, global_status_register) & write_buffer_flush) == 0; }))
            return false;
    }
    write64(unit, context_command_register, invalidate_context_cache | global_context_invalidation);
    if (!wait_until([&] { return (read64(unit, context_command_register) & invalidate_context_cache) == 0; }))
        return false;
    write64(
        unit, unit.iotlb_offset + 8, invalidate_iotlb | global_iotlb_invalidation | drain_reads_and_writes);
    return wait_until([&] { return (read64(unit, unit.iotlb_offset + 8) & invalidate_iotlb) == 0; });
}

// PCI configuration space through the MCFG's windows, for following device scope paths.
class EcamBridges final : public BridgeBuses {
public:
    Core::Optional<BusRange> buses_behind(u16 segment, u8 bus, u8 device, u8 function) override
    {
        for (const ACPI::EcamSegment& window : Platform::pci_segments()) {
            if (window.segment_group != segment || bus < window.start_bus || bus > window.end_bus)
                continue;
            u64 address = window.base_address
                + (u64 { bus } << 20 | u64 { device & 31u } << 15 | u64 { function & 7u } << 12);
            auto mapped = Memory::map_device(address, 4096, Arch::CacheMode::Uncached);
            if (mapped.is_error())
                return {};
            // Invariant: `configuration` maps the function's 4 KiB configuration space.
            auto* configuration = static_cast<volatile u8*>(mapped.value());
            bool present = configuration[0] != 0xFF || configuration[1] != 0xFF;
            if (!present || (configuration[0x0E] & 0x7F) != 1)
                return {};
            return BusRange { configuration[0x19], configuration[0x1A] };
        }
        return {};
    }
};

bool start_unit(Unit& unit)
{
    const u64 base = unit.description.register_base;
    unit.register_bytes = unit.description.register_size < maximum_register_bytes
        ? unit.description.register_size
        : maximum_register_bytes;
    auto mapped = Memory::map_device(base, unit.register_bytes, Arch::CacheMode::Uncached);
    if (mapped.is_error()) {
        Log::warning(
            "iommu: unit at {:#x}: its registers cannot be mapped ({})", base, mapped.error().name());
        return false;
    }
    unit.registers = static_cast<volatile u8*>(mapped.value());
    u64 capabilities = read64(unit, capability_register);
    u64 extended = read64(unit, extended_capability_register);
    u64 address_widths = (capabilities >> 8) & 0x1F; // SAGAW
    // Four levels where the unit has them (RAM may lie above 512 GiB), else three.
    if (address_widths & 0b100)
        unit.levels = 4;
    else if (address_widths & 0b010)
        unit.levels = 3;
    else {
        Log::warning("iommu: unit at {:#x} supports neither 3- nor 4-level tables; left off", base);
        return false;
    }
    unit.caching_mode = (capabilities >> 7) & 1;
    unit.needs_write_buffer_flush = (capabilities >> 4) & 1;
    unit.coherent = (extended & 1) != 0;
    unit.iotlb_offset = static_cast<usize>((extended >> 8) & 0x3FF) * 16;
    unit.fault_offset = static_cast<usize>((capabilities >> 24) & 0x3FF) * 16;
    unit.fault_record_count = static_cast<u32>((capabilities >> 40) & 0xFF) + 1;
    u32 domain_ids = 1u << (4 + 2 * (capabilities & 7));
    unit.domain_id_limit = domain_ids < domain_id_capacity ? domain_ids : domain_id_capacity;
    if (unit.iotlb_offset + 16 > unit.register_bytes
        || unit.fault_offset + 16 * unit.fault_record_count > unit.register_bytes) {
        Log::warning("iommu: unit at {:#x} places registers beyond its page; left off", base);
        return false;
    }
    // Domain 0 stays unused: with caching mode, hardware tags not-present entries with it.
    unit.domain_ids_used[0] = 1;
    if (!unit.coherent)
        s_frames.m_unit_not_coherent = true;

    auto root = s_frames.allocate_table();
    if (root.is_error()) {
        Log::warning("iommu: unit at {:#x}: no memory for its root table", base);
        return false;
    }
    unit.root_table = root.value();
    // Faults are read by report_faults(); their interrupt stays masked.
    write32(unit, fault_event_control_register, fault_interrupt_mask);
    // What firmware may have left on and the kernel does not use: queued invalidation
    // (register-based invalidations never complete while it is on) and interrupt remapping
    // (which would drop the compatibility-format interrupts the kernel programs).
    u32 firmware_state = read32(unit, global_status_register);
    bool ok = true;
    if (firmware_state & queued_invalidation_enable)
        ok = ok && set_global_command(unit, queued_invalidation_enable, false);
    if (firmware_state & interrupt_remapping_enable)
        ok = ok && set_global_command(unit, interrupt_remapping_enable, false);
    if (!ok) {
        Log::warning("iommu: unit at {:#x} would not give up what firmware left on; left off", base);
        return false;
    }
    write64(unit, root_table_address_register, unit.root_table); // legacy mode (TTM 00)
    ok = set_global_command(unit, set_root_table_pointer, true) && invalidate_caches(unit)
        && set_global_command(unit, translation_enable, true);
    if (!ok) {
        // The empty root table may be in use: the unit may block every device. It is not
        // trusted with domains (Domain::for_function refuses), which fails closed.
        unit.broken = true;
        Log::error("iommu: unit at {:#x} did not complete a command; its devices get no DMA memory", base);
        return false;
    }
    // Protected memory regions (PMRs) firmware may have set up block DMA below translation;
    // with translation on they are no longer needed (VT-d 10.4.16).
    if (((capabilities >> 5) & 3) != 0
        && (read32(unit, protected_memory_enable_register) & enable_protected_memory)) {
        write32(unit, protected_memory_enable_register, 0);
        if (!wait_until([&] {
                return (read32(unit, protected_memory_enable_register) & protected_region_status) == 0;
            }))
            Log::warning("iommu: unit at {:#x} kept its protected memory regions", base);
    }
    unit.active = true;
    Log::info("iommu: unit at {:#x} translates: {}-level tables ({}-bit DMA addresses), {} domain ids, "
              "page walks {}; every device is blocked until its driver's DMA memory is mapped",
        base, unit.levels, 12 + 9 * unit.levels, unit.domain_id_limit,
        unit.coherent ? "snoop" : "do not snoop");
    return true;
}

// The context entry of `function` in `unit`, its bus's context table made if needed
// (under the lock); null when no frame can be had.
u64* context_entry(Unit& unit, PciAddress function)
{
    u64* root_entries = s_frames.table_entries(unit.root_table);
    // Root entries are 16 bytes: the bus's context table in the low half, P in bit 0.
    u64* root_entry = &root_entries[2 * function.bus];
    if ((*root_entry & 1) == 0) {
        auto table = s_frames.allocate_table();
        if (table.is_error())
            return nullptr;
        *root_entry = table.value() | 1;
        s_frames.publish(root_entry, 2);
    }
    u64* context_entries = s_frames.table_entries(*root_entry & TranslationTable::address_mask);
    // 16-byte entries indexed by device and function (bits 7..0 of the requester id).
    return &context_entries[2 * (function.requester_id() & 0xFF)];
}

} // namespace

// Their references, held for good (raw: a static RefPtr would need an exit-time destructor).
Domain* s_firmware_domains[maximum_firmware_domains] {};

void initialize(const ACPI::DmarInfo& dmar)
{
    s_dmar_copy = dmar;
    s_dmar = &s_dmar_copy;
    // Reserved regions are firmware's word that devices use that memory; a region over
    // RAM the kernel hands out, or an implausibly large one, would be a DMA path into the
    // kernel, so it is refused.
    s_dmar_copy.reserved_regions.clear();
    for (const ACPI::ReservedRegion& region : dmar.reserved_regions) {
        u64 size = region.limit - region.base + 1;
        if (size > maximum_reserved_region || Memory::check_device_memory(region.base, size).is_error()) {
            Log::warning("iommu: reserved region {:#x}-{:#x} refused: it is RAM or too large", region.base,
                region.limit);
            continue;
        }
        (void)s_dmar_copy.reserved_regions.try_append(region);
    }
    if (dmar.dropped_structures + dmar.dropped_scopes != 0 || dmar.units.size() > maximum_units)
        Log::warning("iommu: the DMAR lists more than the kernel keeps; devices under what was dropped may "
                     "not be confined");
    for (const ACPI::RemappingUnit& description : dmar.units) {
        if (s_unit_count == maximum_units)
            break;
        Unit& unit = s_units[s_unit_count++];
        unit.description = description;
        if (start_unit(unit))
            s_active = true;
    }
    if (!s_active)
        return;
    // Functions firmware's reserved regions name (a USB controller's legacy buffers, an
    // integrated GPU's framebuffer) keep reaching them from now on, driver or not.
    usize kept = 0;
    EcamBridges bridges;
    for (const ACPI::ReservedRegion& region : s_dmar_copy.reserved_regions) {
        for (const ACPI::DeviceScope& scope : region.scopes) {
            auto function = resolve_endpoint(scope, region.segment_group, bridges);
            if (!function.has_value())
                continue;
            auto domain = Domain::for_function(function.value());
            if (domain.is_error() || kept == maximum_firmware_domains) {
                Log::warning("iommu: {:02x}:{:02x}.{} may lose the reserved memory it uses", function->bus,
                    function->device, function->function);
                continue;
            }
            s_firmware_domains[kept++] = domain.value().leak_ref();
        }
    }
}

bool is_active()
{
    return s_active;
}

u32 report_faults(Fault* last)
{
    Locking::SpinlockLocker locker(s_lock);
    u32 found = 0;
    for (usize index = 0; index < s_unit_count; ++index) {
        Unit& unit = s_units[index];
        if (!unit.active)
            continue;
        for (u32 record = 0; record < unit.fault_record_count; ++record) {
            usize offset = unit.fault_offset + 16 * record;
            u64 high = read64(unit, offset + 8);
            if ((high & fault_recorded) == 0)
                continue;
            Fault fault;
            fault.address = read64(unit, offset) & ~u64 { 0xFFF };
            u16 source = static_cast<u16>(high & 0xFFFF);
            fault.function = PciAddress { unit.description.segment_group, static_cast<u8>(source >> 8),
                static_cast<u8>((source >> 3) & 31), static_cast<u8>(source & 7) };
            fault.reason = static_cast<u8>((high >> 32) & 0xFF);
            fault.write = ((high >> 62) & 1) == 0; // T: 0 write, 1 read
            // F is write-1-to-clear, in the record's last dword.
            write32(unit, offset + 12, static_cast<u32>(fault_recorded >> 32));
            ++found;
            if (last)
                *last = fault;
            LOG_RATELIMITED(Log::Level::Warning, 10, 1000,
                "iommu: blocked a DMA {} by {:02x}:{:02x}.{} at {:#x} (fault reason {:#x})",
                fault.write ? "write" : "read", fault.function.bus, fault.function.device,
                fault.function.function, fault.address, fault.reason);
        }
        if (read32(unit, fault_status_register) & primary_fault_overflow) {
            write32(unit, fault_status_register, primary_fault_overflow);
            LOG_RATELIMITED(Log::Level::Warning, 10, 1000,
                "iommu: unit at {:#x}: more faults than it records; some went unlogged",
                unit.description.register_base);
        }
    }
    return found;
}

// ---- Domains ------------------------------------------------------------------------------------

Domain::Domain(PciAddress function, usize unit_index, u16 id, u8 levels, u64 root)
    : m_function(function)
    , m_unit_index(unit_index)
    , m_id(id)
    , m_table(levels, root, s_frames)
{
}

Core::Result<Core::RefPtr<Domain>> Domain::for_function(PciAddress function)
{
    if (!s_active)
        return Core::ErrorCode::NotSupported;
    EcamBridges bridges;
    Core::Span<const ACPI::RemappingUnit> descriptions(s_dmar->units.begin(), s_dmar->units.size());
    auto unit_index = unit_for_function(descriptions, function, bridges);
    if (!unit_index.has_value() || unit_index.value() >= s_unit_count)
        return Core::ErrorCode::NotSupported;
    // A broken unit may be blocking the function: no DMA memory for it (fail closed).
    if (s_units[unit_index.value()].broken)
        return Core::ErrorCode::Busy;
    if (!s_units[unit_index.value()].active)
        return Core::ErrorCode::NotSupported;
    auto find_live = [&]() -> Domain* {
        for (Domain* domain : s_domains) {
            if (domain && domain->m_function == function && domain->try_ref())
                return domain;
        }
        return nullptr;
    };
    {
        Locking::SpinlockLocker locker(s_lock);
        if (Domain* live = find_live())
            return Core::RefPtr<Domain>::adopt(live);
    }
    // Allocated before the lock is taken: the heap ranks below it.
    Unit& unit = s_units[unit_index.value()];
    u64 root = TRY(s_frames.allocate_table());
    auto* created = new (Core::nothrow) Domain(function, unit_index.value(), 0, unit.levels, root);
    if (!created) {
        s_frames.free_table(root);
        return Core::ErrorCode::OutOfMemory;
    }
    auto domain = Core::RefPtr<Domain>::adopt(created);
    Core::Result<void> attached = {};
    {
        Locking::SpinlockLocker locker(s_lock);
        // Someone attached the function meanwhile: theirs is used, and ours (never
        // attached, id 0) goes after the lock is released.
        if (Domain* live = find_live())
            return Core::RefPtr<Domain>::adopt(live);
        attached = [&]() -> Core::Result<void> {
            Domain** slot = nullptr;
            for (Domain*& candidate : s_domains) {
                if (!candidate) {
                    slot = &candidate;
                    break;
                }
            }
            u16 id = 0;
            for (u32 candidate = 1; candidate < unit.domain_id_limit && id == 0; ++candidate) {
                if ((unit.domain_ids_used[candidate / 64] & (1ull << (candidate % 64))) == 0)
                    id = static_cast<u16>(candidate);
            }
            if (!slot || id == 0)
                return Core::ErrorCode::Busy;
            u64* entry = context_entry(unit, function);
            if (!entry)
                return Core::ErrorCode::OutOfMemory;
            unit.domain_ids_used[id / 64] |= 1ull << (id % 64);
            created->m_id = id;
            // High half: address width (1 = 3 levels, 2 = 4) and domain id; low half: the
            // table, translation type 00 (untranslated requests only), present.
            entry[1] = u64 { static_cast<u8>(unit.levels - 2) } | u64 { id } << 8;
            entry[0] = root | 1;
            s_frames.publish(entry, 2);
            *slot = created;
            if (!invalidate_caches(unit)) {
                unit.broken = true;
                return Core::ErrorCode::Busy;
            }
            return {};
        }();
    }
    if (attached.is_error()) {
        if (unit.broken)
            Log::error(
                "iommu: unit at {:#x} did not confirm an invalidation; its devices get no more DMA memory",
                unit.description.register_base);
        return attached.error();
    }
    // Memory firmware keeps using by DMA for this function stays reachable (RMRRs).
    for (const ACPI::ReservedRegion& region : s_dmar->reserved_regions) {
        for (const ACPI::DeviceScope& scope : region.scopes) {
            if (scope_names_function(scope, region.segment_group, function, bridges))
                (void)domain->map(region.base, region.limit + 1 - region.base, true);
        }
    }
    (void)report_faults();
    return domain;
}

Domain::~Domain()
{
    if (m_id == 0)
        return; // never attached
    Unit& unit = s_units[m_unit_index];
    {
        Locking::SpinlockLocker locker(s_lock);
        // The entry may already be a newer domain's: one made for the function while this
        // one was dying (its count at zero, not yet out of the registry). That one stays.
        u64* entry = context_entry(unit, m_function);
        bool still_ours = entry && (entry[0] & TranslationTable::address_mask) == m_table.root()
            && ((entry[1] >> 8) & 0xFFFF) == m_id;
        if (still_ours) {
            entry[0] = 0;
            entry[1] = 0;
            s_frames.publish(entry, 2);
        }
        if (unit.broken || !invalidate_caches(unit)) {
            // The unit may still walk the tables: they are never freed.
            unit.broken = true;
            m_table.abandon();
        }
        unit.domain_ids_used[m_id / 64] &= ~(1ull << (m_id % 64));
        for (Domain*& slot : s_domains) {
            if (slot == this)
                slot = nullptr;
        }
    }
    (void)report_faults();
    // m_table's destructor frees the tables now that the unit no longer walks them.
}

Core::Result<void> Domain::map(u64 physical, u64 size, bool writable)
{
    Unit& unit = s_units[m_unit_index];
    Locking::SpinlockLocker locker(s_lock);
    TRY(m_table.map(physical, physical, size, writable));
    // With caching mode the unit may cache not-present entries too (VT-d 6.1).
    if (unit.caching_mode)
        (void)invalidate_caches(unit);
    return {};
}

bool Domain::unmap(u64 physical, u64 size)
{
    Unit& unit = s_units[m_unit_index];
    Locking::SpinlockLocker locker(s_lock);
    m_table.unmap(physical, size);
    if (unit.broken || !invalidate_caches(unit)) {
        unit.broken = true;
        return false;
    }
    return true;
}

Core::Optional<TranslationTable::Translation> Domain::translate(u64 address)
{
    Locking::SpinlockLocker locker(s_lock);
    return m_table.translate(address);
}

} // namespace Kernel::Iommu
