#include <Core/NoThrow.h>
#include <Kernel/Devices/MmioRange.h>
#include <Kernel/Memory/MemoryManager.h>

namespace Kernel::Devices {

Core::Result<Core::RefPtr<MmioRange>> MmioRange::create(Core::u64 base, Core::u64 size)
{
    ResourceRange range { base, size };
    if ((base & (page_size - 1)) != 0 || (size & (page_size - 1)) != 0 || !range.is_well_formed())
        return Core::ErrorCode::InvalidArgument;
    // Above every frame of the frame database, and within what the CPU can address.
    if (base < Memory::frame_database_end() || range.end() > Memory::physical_address_space_end())
        return Core::ErrorCode::InvalidArgument;
    auto* object = new (Core::nothrow) MmioRange(range);
    if (!object)
        return Core::ErrorCode::OutOfMemory;
    return Core::RefPtr<MmioRange>::adopt(object);
}

Core::Result<Core::RefPtr<MmioRange>> MmioRange::create_above_ram()
{
    Core::u64 base = Memory::frame_database_end();
    Core::u64 end = Memory::physical_address_space_end();
    return create(base, end > base ? end - base : 0);
}

Core::Result<Core::RefPtr<MmioRange>> MmioRange::narrow(Core::u64 base, Core::u64 size) const
{
    ResourceRange narrowed = TRY(narrow_range(m_range, base, size, page_size));
    return create(narrowed.base, narrowed.count);
}

} // namespace Kernel::Devices
