#pragma once

// Which remapping unit translates a PCI function's DMA (Intel VT-d 8.3.1): the unit whose
// device scope names the function, or one below a bridge it names; failing that, the unit of
// the function's segment that includes every device no other unit's scope names. A scope's
// path leads from its start bus through bridges, so following it reads the bridges'
// secondary bus numbers: BridgeBuses gives them (PCI configuration space in the kernel, a
// table in host tests). Pure logic.

#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/ACPI/Dmar.h>

namespace Kernel::Iommu {

struct PciAddress {
    Core::u16 segment { 0 };
    Core::u8 bus { 0 };
    Core::u8 device { 0 };
    Core::u8 function { 0 };

    bool operator==(const PciAddress&) const = default;
    // The 16-bit requester id a device's DMA carries: bus, device, function.
    [[nodiscard]] Core::u16 requester_id() const
    {
        return static_cast<Core::u16>((bus << 8) | ((device & 31) << 3) | (function & 7));
    }
};

struct BusRange {
    Core::u8 secondary { 0 };
    Core::u8 subordinate { 0 };
};

class BridgeBuses {
public:
    virtual ~BridgeBuses() = default;
    // The buses behind the PCI-to-PCI bridge at that address; nothing when there is no
    // bridge there.
    [[nodiscard]] virtual Core::Optional<BusRange> buses_behind(
        Core::u16 segment, Core::u8 bus, Core::u8 device, Core::u8 function)
        = 0;
};

// Whether `scope` (of a unit or region in `segment`) names `function`: an endpoint scope
// names the function its path ends at, a bridge scope also every function on the buses
// behind that bridge. Other scope types (I/O APIC, HPET, ACPI devices) name no PCI function.
[[nodiscard]] bool scope_names_function(
    const ACPI::DeviceScope& scope, Core::u16 segment, PciAddress function, BridgeBuses& bridges);

// The function an endpoint scope (of a unit or region in `segment`) names, its path followed
// through bridges; nothing for other scope types or a path through something not a bridge.
[[nodiscard]] Core::Optional<PciAddress> resolve_endpoint(
    const ACPI::DeviceScope& scope, Core::u16 segment, BridgeBuses& bridges);

// The index in `units` of the unit that translates `function`; nothing when none does.
[[nodiscard]] Core::Optional<Core::usize> unit_for_function(
    Core::Span<const ACPI::RemappingUnit> units, PciAddress function, BridgeBuses& bridges);

} // namespace Kernel::Iommu
