#pragma once

// An interrupt range object: the authority to bind the interrupt lines (global system
// interrupts, GSIs) [base, base + count) with interrupt_create. Lines the kernel uses
// itself stay refused (Busy) whatever range a program holds (Interrupt.h). Rights: Manage
// to bind a line, Duplicate to narrow (resource_narrow).

#include <Core/Error.h>
#include <Core/RefPtr.h>
#include <Core/Types.h>
#include <Kernel/Devices/ResourceRange.h>
#include <Kernel/Objects/KernelObject.h>

namespace Kernel::Devices {

// The GSIs the kernel can bind: 0 to 1023, more than the I/O APICs of any machine
// RaeenOS targets serve (a PC has 24, a large server a few hundred).
inline constexpr Core::u32 max_interrupt_lines = 1024;

class InterruptRange final : public Objects::TypedKernelObject<ABI::ObjectType::InterruptRange> {
public:
    // InvalidArgument for a range past max_interrupt_lines (an empty range is allowed),
    // OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<InterruptRange>> create(Core::u64 base, Core::u64 count);

    // Every line an I/O APIC serves: [0, Arch::io_apic_gsi_end()), bounded by
    // max_interrupt_lines; the range process 1 is given.
    [[nodiscard]] static Core::Result<Core::RefPtr<InterruptRange>> create_for_all_lines();

    // A new range over [base, base + count) of this one (narrow_range's errors).
    [[nodiscard]] Core::Result<Core::RefPtr<InterruptRange>> narrow(Core::u64 base, Core::u64 count) const;

    [[nodiscard]] const ResourceRange& range() const { return m_range; }

private:
    explicit InterruptRange(ResourceRange range)
        : m_range(range)
    {
    }

    ResourceRange m_range;
};

} // namespace Kernel::Devices
