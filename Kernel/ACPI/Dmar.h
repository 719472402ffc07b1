#pragma once

// The DMA remapping table, signature "DMAR" (Intel VT-d specification, chapter 8): the
// platform's DMA remapping hardware units (the IOMMU), the devices each one translates for,
// and the memory regions firmware keeps using by DMA (RMRRs). The kernel reads it at boot
// to find the IOMMU (docs/devices.md#dma).
//
// Untrusted firmware input, like everything in Kernel/ACPI.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/StaticVector.h>
#include <Core/Types.h>

namespace Kernel::ACPI {

// One device scope entry (VT-d 8.3.1): a PCI device named by the path from `start_bus`
// through bridges, each hop a (device, function) on the bus the previous hop leads to.
struct DeviceScope {
    static constexpr Core::u8 endpoint = 1; // one PCI function
    static constexpr Core::u8 bridge = 2; // a bridge and every device below it
    static constexpr Core::u8 io_apic = 3;
    static constexpr Core::u8 hpet = 4;
    static constexpr Core::u8 namespace_device = 5;
    static constexpr Core::usize maximum_path_length = 4;

    struct Hop {
        Core::u8 device { 0 };
        Core::u8 function { 0 };
    };

    Core::u8 type { 0 };
    Core::u8 start_bus { 0 };
    // 1 to maximum_path_length; entries with longer paths are counted as dropped.
    Core::u8 path_length { 0 };
    Hop path[maximum_path_length] {};
};

// One DMA remapping hardware unit (a DRHD structure).
struct RemappingUnit {
    // Physical address of its register set: 4 KiB aligned, not zero.
    Core::u64 register_base { 0 };
    // How many bytes its register set spans: 4 KiB times 2^N, N from the size field
    // (VT-d 3.0 and later; 0, one page, in older tables).
    Core::u64 register_size { 4096 };
    Core::u16 segment_group { 0 };
    // It translates for every PCI device of its segment the other units' scopes do not name
    // (INCLUDE_PCI_ALL); otherwise only for the devices its scope lists.
    bool includes_all_devices { false };
    // How many device scope entries it lists, and those kept (up to 32).
    Core::u32 device_scope_count { 0 };
    Core::StaticVector<DeviceScope, 32> scopes;
};

// A reserved memory region (an RMRR): memory firmware DMAs into (USB keyboards' buffers, say)
// that must stay mapped for the devices its scope names.
struct ReservedRegion {
    Core::u16 segment_group { 0 };
    // base <= limit; base 4 KiB aligned and limit + 1 too.
    Core::u64 base { 0 };
    Core::u64 limit { 0 };
    // The devices that use it (up to 4 kept).
    Core::StaticVector<DeviceScope, 4> scopes;
};

struct DmarInfo {
    // The widest physical address DMA can reach: HAW + 1 bits (1 to 256 as the byte allows;
    // firmware is not trusted to keep it at most 64).
    Core::u16 host_address_width { 0 };
    bool interrupt_remapping { false }; // the platform supports it (flags bit 0)
    bool x2apic_opt_out { false }; // firmware asks not to use x2APIC with remapping (bit 1)
    Core::StaticVector<RemappingUnit, 8> units;
    Core::StaticVector<ReservedRegion, 16> reserved_regions;
    // Well-formed structures beyond the capacities above.
    Core::u32 dropped_structures { 0 };
    // Device scope entries beyond their structure's capacity or with a path longer than
    // DeviceScope::maximum_path_length: devices the kernel cannot place under their unit.
    Core::u32 dropped_scopes { 0 };
    // Structures left out as nonsense: a unit at address 0 or not 4 KiB aligned, a region
    // whose bounds are reversed or unaligned, a structure too short for its type.
    Core::u32 rejected_structures { 0 };
    // Structures of the types the kernel does not use (ATSR, RHSA, ANDD, SATC, ...).
    Core::u32 other_structures { 0 };
};

// Parses a DMAR as load_table() returned it (checksum already verified). Errors: WrongType
// when the signature is not "DMAR"; Malformed when the table is shorter than its 48-byte fixed
// part, its header's length exceeds table.size(), or a structure's length is under 4 or runs
// past the table (the walk cannot go on from there).
[[nodiscard]] Core::Result<DmarInfo> parse_dmar(Core::ReadonlyBytes table);

} // namespace Kernel::ACPI
