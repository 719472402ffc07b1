#include <Core/NoThrow.h>
#include <Kernel/Devices/PciDevice.h>
#include <Kernel/Log/KernelLog.h>

namespace Kernel::Devices {

Core::Result<Core::RefPtr<PciDevice>> PciDevice::create(Iommu::PciAddress function)
{
    Core::RefPtr<Iommu::Domain> domain;
    if (Iommu::is_active()) {
        auto found = Iommu::Domain::for_function(function);
        if (found.is_error() && found.error().code() != Core::ErrorCode::NotSupported)
            return found.error();
        if (found.is_error())
            LOG_RATELIMITED(Log::Level::Warning, 5, 10'000,
                "iommu: no unit translates {:02x}:{:02x}.{}: its DMA is not confined", function.bus,
                function.device, function.function);
        if (!found.is_error())
            domain = found.release_value();
    }
    auto* device = new (Core::nothrow) PciDevice(function, Core::move(domain));
    if (!device)
        return Core::ErrorCode::OutOfMemory;
    return Core::RefPtr<PciDevice>::adopt(device);
}

Core::Result<Core::RefPtr<Memory::MemoryObject>> PciDevice::create_dma_memory(Core::u64 size) const
{
    auto memory = TRY(Memory::MemoryObject::create_contiguous(size));
    if (m_domain)
        TRY(memory->map_for_device(m_domain));
    return memory;
}

} // namespace Kernel::Devices
