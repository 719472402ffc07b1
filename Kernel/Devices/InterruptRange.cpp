#include <Core/NoThrow.h>
#include <Kernel/Arch/x86_64/IoApic.h>
#include <Kernel/Devices/InterruptRange.h>

namespace Kernel::Devices {

Core::Result<Core::RefPtr<InterruptRange>> InterruptRange::create(Core::u64 base, Core::u64 count)
{
    ResourceRange range { base, count };
    if (!range.is_well_formed() || range.end() > max_interrupt_lines)
        return Core::ErrorCode::InvalidArgument;
    auto* object = new (Core::nothrow) InterruptRange(range);
    if (!object)
        return Core::ErrorCode::OutOfMemory;
    return Core::RefPtr<InterruptRange>::adopt(object);
}

Core::Result<Core::RefPtr<InterruptRange>> InterruptRange::create_for_all_lines()
{
    Core::u32 end = Arch::io_apic_gsi_end();
    return create(0, end < max_interrupt_lines ? end : max_interrupt_lines);
}

Core::Result<Core::RefPtr<InterruptRange>> InterruptRange::narrow(Core::u64 base, Core::u64 count) const
{
    ResourceRange narrowed = TRY(narrow_range(m_range, base, count, 1));
    return create(narrowed.base, narrowed.count);
}

} // namespace Kernel::Devices
