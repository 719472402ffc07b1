#pragma once

// An MMIO range object: the authority over the physical addresses [base, base + size),
// page-aligned, from which a later call makes physical memory objects to map device
// registers. It never covers RAM the kernel owns: it lies wholly at or above the end of
// the frame database (Memory::frame_database_end), where no frame is RAM the kernel knows
// of, and below the CPU's physical address limit. Rights: Read, Write and Map for the
// memory objects made from it, Duplicate to narrow (resource_narrow).

#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Core/Types.h>
#include <Kernel/Devices/ResourceRange.h>
#include <Kernel/Objects/KernelObject.h>

namespace Kernel::Devices {

class MmioRange final : public Objects::TypedKernelObject<ABI::ObjectType::MmioRange> {
public:
    static constexpr Core::u64 page_size = 4096;

    // InvalidArgument for a base or size that is not page-aligned, a range that wraps or
    // passes the physical address limit, or one that reaches below the end of the frame
    // database (RAM). An empty range is allowed. OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<MmioRange>> create(Core::u64 base, Core::u64 size);

    // Everything above RAM: [frame_database_end, physical_address_space_end), the range
    // process 1 is given (empty on a machine whose RAM reaches the limit).
    [[nodiscard]] static Core::Result<Core::RefPtr<MmioRange>> create_above_ram();

    // A new range over [base, base + size) of this one; both page-aligned (narrow_range's
    // errors).
    [[nodiscard]] Core::Result<Core::RefPtr<MmioRange>> narrow(Core::u64 base, Core::u64 size) const;

    [[nodiscard]] const ResourceRange& range() const { return m_range; }

private:
    explicit MmioRange(ResourceRange range)
        : m_range(range)
    {
    }

    ResourceRange m_range;
};

} // namespace Kernel::Devices
