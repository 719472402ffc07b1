#include <Kernel/Iommu/DeviceScopes.h>

namespace Kernel::Iommu {

bool scope_names_function(
    const ACPI::DeviceScope& scope, Core::u16 segment, PciAddress function, BridgeBuses& bridges)
{
    if (segment != function.segment || scope.path_length == 0
        || scope.path_length > ACPI::DeviceScope::maximum_path_length)
        return false;
    if (scope.type != ACPI::DeviceScope::endpoint && scope.type != ACPI::DeviceScope::bridge)
        return false;
    // Every hop but the last is a bridge; the next hop is on its secondary bus.
    Core::u8 bus = scope.start_bus;
    for (Core::u8 hop = 0; hop + 1 < scope.path_length; ++hop) {
        auto behind = bridges.buses_behind(segment, bus, scope.path[hop].device, scope.path[hop].function);
        if (!behind.has_value())
            return false;
        bus = behind->secondary;
    }
    const ACPI::DeviceScope::Hop& last = scope.path[scope.path_length - 1];
    if (function.bus == bus && function.device == last.device && function.function == last.function)
        return true;
    if (scope.type != ACPI::DeviceScope::bridge)
        return false;
    auto behind = bridges.buses_behind(segment, bus, last.device, last.function);
    return behind.has_value() && behind->secondary <= function.bus && function.bus <= behind->subordinate;
}

Core::Optional<Core::usize> unit_for_function(
    Core::Span<const ACPI::RemappingUnit> units, PciAddress function, BridgeBuses& bridges)
{
    for (Core::usize index = 0; index < units.size(); ++index) {
        for (const ACPI::DeviceScope& scope : units[index].scopes) {
            if (scope_names_function(scope, units[index].segment_group, function, bridges))
                return index;
        }
    }
    for (Core::usize index = 0; index < units.size(); ++index) {
        if (units[index].includes_all_devices && units[index].segment_group == function.segment)
            return index;
    }
    return {};
}

} // namespace Kernel::Iommu
