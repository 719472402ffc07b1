#pragma once

// An I/O port range object: the authority to read and write the ports [base, base +
// count) through ioport_read and ioport_write (docs/devices.md explains why port access
// goes through system calls rather than the TSS I/O permission bitmap). Rights: Read to
// read, Write to write, Duplicate to narrow (resource_narrow). The range never changes.

#include <ABI/Devices.h>
#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Core/Types.h>
#include <Kernel/Devices/ResourceRange.h>
#include <Kernel/Objects/KernelObject.h>

namespace Kernel::Devices {

class IoPortRange final : public Objects::TypedKernelObject<ABI::ObjectType::IoPortRange> {
public:
    // InvalidArgument for a range that does not fit in the port space (0 to 0xFFFF; an
    // empty range is allowed), OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<IoPortRange>> create(Core::u64 base, Core::u64 count);

    // A new range over [base, base + count) of this one (narrow_range's errors).
    [[nodiscard]] Core::Result<Core::RefPtr<IoPortRange>> narrow(Core::u64 base, Core::u64 count) const;

    // One access of `width` bytes (1, 2 or 4, checked by the caller) at `port`:
    // OutOfRange when [port, port + width) is not inside the range, Busy when it touches a
    // port the kernel drives itself (is_kernel_port).
    [[nodiscard]] Core::Result<Core::u32> read(Core::u64 port, Core::u64 width) const;
    [[nodiscard]] Core::Result<void> write(Core::u64 port, Core::u64 width, Core::u32 value) const;

    [[nodiscard]] const ResourceRange& range() const { return m_range; }

    // Whether any port of [port, port + width) is one the kernel drives at run time and no
    // program may touch, whatever range it holds: the serial console's UART (COM1,
    // 0x3F8-0x3FF), whose registers the kernel log writes without expecting anyone else
    // to change them.
    [[nodiscard]] static bool is_kernel_port(Core::u64 port, Core::u64 width);

private:
    explicit IoPortRange(ResourceRange range)
        : m_range(range)
    {
    }
    [[nodiscard]] Core::Result<Core::u16> check_access(Core::u64 port, Core::u64 width) const;

    ResourceRange m_range;
};

} // namespace Kernel::Devices
