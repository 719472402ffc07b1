#include <Core/NoThrow.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Console/Serial16550.h>
#include <Kernel/Devices/IoPortRange.h>

namespace Kernel::Devices {

namespace {

// The 16550's eight registers from its base port.
constexpr ResourceRange serial_console_ports { Console::Serial16550::com1_port, 8 };

} // namespace

Core::Result<Core::RefPtr<IoPortRange>> IoPortRange::create(Core::u64 base, Core::u64 count)
{
    ResourceRange range { base, count };
    if (!range.is_well_formed() || range.end() > ABI::io_port_count)
        return Core::ErrorCode::InvalidArgument;
    auto* object = new (Core::nothrow) IoPortRange(range);
    if (!object)
        return Core::ErrorCode::OutOfMemory;
    return Core::RefPtr<IoPortRange>::adopt(object);
}

Core::Result<Core::RefPtr<IoPortRange>> IoPortRange::narrow(Core::u64 base, Core::u64 count) const
{
    ResourceRange narrowed = TRY(narrow_range(m_range, base, count, 1));
    return create(narrowed.base, narrowed.count);
}

bool IoPortRange::is_kernel_port(Core::u64 port, Core::u64 width)
{
    // Overlap of [port, port + width) with the console's ports; width is at most 4 and
    // port at most 0xFFFF here, so the sums cannot overflow.
    return port < serial_console_ports.end() && serial_console_ports.base < port + width;
}

Core::Result<Core::u16> IoPortRange::check_access(Core::u64 port, Core::u64 width) const
{
    if (!m_range.contains(port, width))
        return Core::ErrorCode::OutOfRange;
    if (is_kernel_port(port, width))
        return Core::ErrorCode::Busy;
    // Inside a range of the 16-bit port space, so it fits.
    return static_cast<Core::u16>(port);
}

Core::Result<Core::u32> IoPortRange::read(Core::u64 port, Core::u64 width) const
{
    Core::u16 checked_port = TRY(check_access(port, width));
    switch (width) {
    case 1:
        return Arch::in8(checked_port);
    case 2:
        return Arch::in16(checked_port);
    case 4:
        return Arch::in32(checked_port);
    }
    return Core::ErrorCode::InvalidArgument;
}

Core::Result<void> IoPortRange::write(Core::u64 port, Core::u64 width, Core::u32 value) const
{
    Core::u16 checked_port = TRY(check_access(port, width));
    switch (width) {
    case 1:
        Arch::out8(checked_port, static_cast<Core::u8>(value));
        return {};
    case 2:
        Arch::out16(checked_port, static_cast<Core::u16>(value));
        return {};
    case 4:
        Arch::out32(checked_port, value);
        return {};
    }
    return Core::ErrorCode::InvalidArgument;
}

} // namespace Kernel::Devices
