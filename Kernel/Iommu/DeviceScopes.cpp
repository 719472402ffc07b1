#include <Kernel/Iommu/DeviceScopes.h>

namespace Kernel::Iommu {

namespace {

// Where a scope's path ends: the bus its last hop is on (every hop but the last is a bridge,
// and the next hop is on its secondary bus); nothing when the path leads nowhere.
Core::Optional<Core::u8> last_hop_bus(const ACPI::DeviceScope& scope, Core::u16 segment, BridgeBuses& bridges)
{
    if (scope.path_length == 0 || scope.path_length > ACPI::DeviceScope::maximum_path_length)
        return {};
    Core::u8 bus = scope.start_bus;
    for (Core::u8 hop = 0; hop + 1 < scope.path_length; ++hop) {
        auto behind = bridges.buses_behind(segment, bus, scope.path[hop].device, scope.path[hop].function);
        if (!behind.has_value())
            return {};
        bus = behind->secondary;
    }
    return bus;
}

} // namespace

Core::Optional<PciAddress> resolve_endpoint(
    const ACPI::DeviceScope& scope, Core::u16 segment, BridgeBuses& bridges)
{
    if (scope.type != ACPI::DeviceScope::endpoint)
        return {};
    auto bus = last_hop_bus(scope, segment, bridges);
    if (!bus.has_value())
        return {};
    const ACPI::DeviceScope::Hop& last = scope.path[scope.path_length - 1];
    return PciAddress { segment, bus.value(), last.device, last.function };
}

bool scope_names_function(
    const ACPI::DeviceScope& scope, Core::u16 segment, PciAddress function, BridgeBuses& bridges)
{
    if (segment != function.segment || scope.path_length == 0
        || scope.path_length > ACPI::DeviceScope::maximum_path_length)
        return false;
    if (scope.type != ACPI::DeviceScope::endpoint && scope.type != ACPI::DeviceScope::bridge)
        return false;
    auto last_bus = last_hop_bus(scope, segment, bridges);
    if (!last_bus.has_value())
        return false;
    Core::u8 bus = last_bus.value();
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
