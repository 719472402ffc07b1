#pragma once

// A PCI function as a DMA master (ObjectType::PciDevice): the device manager makes one for
// each function it starts a driver for and hands it to the driver, which asks it for DMA
// memory (pci_device_create_dma). With an IOMMU that translates the function, the object
// holds the function's domain, so that memory, and nothing else, is what the device can
// reach; without one the memory is made all the same and the device reaches everything
// (docs/devices.md#dma). Rights: Map to make DMA memory, Duplicate, Transfer.

#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Core/Types.h>
#include <Kernel/Iommu/Iommu.h>
#include <Kernel/Memory/MemoryObject.h>
#include <Kernel/Objects/KernelObject.h>

namespace Kernel::Devices {

class PciDevice final : public Objects::TypedKernelObject<ABI::ObjectType::PciDevice> {
public:
    // The function at `function`, with its IOMMU domain when a unit translates it (shared
    // with the function's other PciDevices). Errors: Iommu::Domain::for_function's, except
    // NotSupported (no IOMMU for it), which gives an object without a domain.
    [[nodiscard]] static Core::Result<Core::RefPtr<PciDevice>> create(Iommu::PciAddress function);

    // `size` bytes of contiguous DMA memory (MemoryObject::create_contiguous's errors),
    // mapped in the domain, if there is one, until the memory object goes.
    [[nodiscard]] Core::Result<Core::RefPtr<Memory::MemoryObject>> create_dma_memory(Core::u64 size) const;

    [[nodiscard]] Iommu::PciAddress function() const { return m_function; }
    // Whether an IOMMU confines the function's DMA.
    [[nodiscard]] bool is_confined() const { return static_cast<bool>(m_domain); }

private:
    PciDevice(Iommu::PciAddress function, Core::RefPtr<Iommu::Domain> domain)
        : m_function(function)
        , m_domain(Core::move(domain))
    {
    }

    Iommu::PciAddress m_function;
    Core::RefPtr<Iommu::Domain> m_domain;
};

} // namespace Kernel::Devices
