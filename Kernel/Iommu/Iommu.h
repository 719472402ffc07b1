#pragma once

// The IOMMU (Intel VT-d DMA remapping, docs/devices.md#dma): with it, a device reaches only
// the memory its domain maps. At boot every remapping unit the DMAR lists gets an empty root
// table and translation on, so every device's DMA is blocked. A PCI function's driver then
// gets a Domain of its own (Devices::PciDevice), and only the DMA memory objects made for
// that device are mapped in it, each at its physical address, until the object goes.
//
// Faults (a blocked access) are latched by the unit and logged by report_faults(), which
// runs whenever a domain changes; the fault interrupt stays masked, so no handler runs.
//
// Lock: one spinlock (rank iommu, docs/lock-order.md) over the units' root and context
// tables, the domain registry and every domain's translation table; it allocates no heap
// memory, only table frames (physical-memory ranks above it).

#include <Core/Error.h>
#include <Core/Optional.h>
#include <Core/RefCounted.h>
#include <Core/RefPtr.h>
#include <Core/Types.h>
#include <Kernel/ACPI/Dmar.h>
#include <Kernel/Iommu/DeviceScopes.h>
#include <Kernel/Iommu/TranslationTable.h>

namespace Kernel::Iommu {

// Sets up the units `dmar` lists (called once at boot, before user space). A unit the kernel
// cannot drive (no supported table depth, a command that never completes) is logged and left
// as firmware had it; translation is then on for none of the devices behind it.
void initialize(const ACPI::DmarInfo& dmar);

// Whether at least one unit translates: DMA memory must then be made for a device to be
// reachable by it.
[[nodiscard]] bool is_active();

// A blocked DMA access, as a unit recorded it.
struct Fault {
    PciAddress function;
    Core::u64 address { 0 }; // the page the device tried to reach
    bool write { false };
    Core::u8 reason { 0 }; // VT-d Appendix A fault reason
};

// Logs (rate-limited) and clears the faults every unit has latched; returns how many there
// were and the last of them in `last`.
Core::u32 report_faults(Fault* last = nullptr);

// What one PCI function's DMA may reach. One exists per function at a time: everyone who
// asks for the function's domain while it lives shares it (a driver's DMA memory and its
// PciDevice handles), and when the last reference goes the function is blocked again.
class Domain final : public Core::RefCounted<Domain> {
public:
    // The live domain of `function`, or a new one attached to the unit that translates it
    // (with the reserved memory regions the DMAR names for it mapped). NotSupported when no
    // active unit translates the function; OutOfMemory; Busy when the unit has no domain id left.
    [[nodiscard]] static Core::Result<Core::RefPtr<Domain>> for_function(PciAddress function);
    ~Domain();

    // Makes [physical, physical + size) reachable by the function at the same addresses.
    // Errors as TranslationTable::map.
    [[nodiscard]] Core::Result<void> map(Core::u64 physical, Core::u64 size, bool writable);
    // Makes it unreachable again. True when the unit has then forgotten every cached
    // translation of it (the IOTLB is invalidated), so the frames may be reused; false when
    // it did not confirm that (a broken unit), and the frames must never be reused.
    [[nodiscard]] bool unmap(Core::u64 physical, Core::u64 size);

    [[nodiscard]] PciAddress function() const { return m_function; }
    [[nodiscard]] Core::u16 id() const { return m_id; }
    // What the function reaches at `address`, for tests.
    [[nodiscard]] Core::Optional<TranslationTable::Translation> translate(Core::u64 address);

private:
    Domain(PciAddress function, Core::usize unit_index, Core::u16 id, Core::u8 levels, Core::u64 root);

    PciAddress m_function;
    Core::usize m_unit_index;
    Core::u16 m_id;
    TranslationTable m_table;
};

} // namespace Kernel::Iommu
