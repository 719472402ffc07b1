// interrupt_create, interrupt_ack, ioport_read, ioport_write, resource_narrow, the DMA
// memory and PCI device calls: the device resource calls (docs/devices.md).

#include <ABI/Devices.h>
#include <ABI/Memory.h>
#include <Kernel/Arch/x86_64/IoApic.h>
#include <Kernel/Devices/Interrupt.h>
#include <Kernel/Devices/InterruptRange.h>
#include <Kernel/Devices/IoPortRange.h>
#include <Kernel/Devices/KernelDeviceMemory.h>
#include <Kernel/Devices/MmioRange.h>
#include <Kernel/Devices/PciDevice.h>
#include <Kernel/Memory/MemoryObject.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Platform/Platform.h>
#include <Kernel/Syscalls/Calls.h>

namespace Kernel::Syscalls {

namespace {

constexpr Core::u64 isa_irq_count = 16;

bool has_flag(Core::u64 flags, ABI::InterruptFlag flag)
{
    return (flags & static_cast<Core::u64>(flag)) != 0;
}

// The line interrupt_create's `line` and `flags` name. ISA IRQs, and GSIs an ISA IRQ is
// wired to, take their trigger mode and polarity from the MADT; giving them mode flags is
// InvalidArgument. Other GSIs take the flags' mode.
Core::Result<Devices::InterruptLine> resolve_line(Core::u64 line, Core::u64 flags)
{
    bool gives_mode = has_flag(flags, ABI::InterruptFlag::LevelTriggered)
        || has_flag(flags, ABI::InterruptFlag::ActiveLow);
    if (has_flag(flags, ABI::InterruptFlag::IsaIrq)) {
        if (gives_mode)
            return Core::ErrorCode::InvalidArgument;
        if (line >= isa_irq_count)
            return Core::ErrorCode::OutOfRange;
        auto isa = Platform::isa_interrupt_line(static_cast<Core::u8>(line));
        return Devices::InterruptLine { isa.gsi, isa.level_triggered, isa.active_low };
    }
    if (line >= Devices::max_interrupt_lines)
        return Core::ErrorCode::OutOfRange;
    auto gsi = static_cast<Core::u32>(line);
    for (Core::u8 isa_irq = 0; isa_irq < isa_irq_count; ++isa_irq) {
        auto isa = Platform::isa_interrupt_line(isa_irq);
        if (isa.gsi != gsi)
            continue;
        if (gives_mode)
            return Core::ErrorCode::InvalidArgument;
        return Devices::InterruptLine { gsi, isa.level_triggered, isa.active_low };
    }
    return Devices::InterruptLine { gsi, has_flag(flags, ABI::InterruptFlag::LevelTriggered),
        has_flag(flags, ABI::InterruptFlag::ActiveLow) };
}

bool is_resource_range(ABI::ObjectType type)
{
    return type == ABI::ObjectType::IoPortRange || type == ABI::ObjectType::MmioRange
        || type == ABI::ObjectType::InterruptRange;
}

struct ResourceHandle {
    Core::RefPtr<Objects::KernelObject> object;
    ABI::Rights rights;
};

// resource_narrow's lookup, in the order every call reports errors (BadHandle, WrongType,
// AccessDenied), under one hold of the table's lock: a handle to any of the three range
// types that carries Duplicate, and its rights, which the narrowed handle keeps.
Core::Result<ResourceHandle> lookup_resource(Tasks::Process& process, Core::u64 raw_handle)
{
    auto handle = TRY(decode_handle(raw_handle));
    return audited(process, handle, ABI::Right::Duplicate,
        process.with_handles([&](Objects::HandleTable& table) -> Core::Result<ResourceHandle> {
            auto object = TRY(table.lookup<Objects::KernelObject>(handle, ABI::no_rights));
            if (!is_resource_range(object->type()))
                return Core::ErrorCode::WrongType;
            (void)TRY(table.lookup<Objects::KernelObject>(handle, ABI::Right::Duplicate));
            return ResourceHandle { Core::move(object), TRY(table.rights(handle)) };
        }));
}

} // namespace

CallResult interrupt_create(const Arguments& arguments)
{
    TRY(check_flags(arguments.third(), ABI::known_interrupt_flags));
    Devices::InterruptLine line = TRY(resolve_line(arguments.second(), arguments.third()));
    Tasks::Process* process = TRY(calling_process());
    auto range = TRY(lookup_handle<Devices::InterruptRange>(arguments.first(), ABI::Right::Manage));
    if (!range->range().contains(line.gsi, 1))
        return Core::ErrorCode::OutOfRange;
    auto interrupt = TRY(Devices::Interrupt::create(line));
    return TRY(add_handle(*process, Core::RefPtr<Objects::KernelObject>(interrupt),
        ABI::Right::Wait | ABI::Right::Signal | ABI::Right::Duplicate | ABI::Right::Transfer));
}

CallResult interrupt_create_message(const Arguments& arguments)
{
    Core::u64 user_message = arguments.second();
    if (!Memory::is_user_range(user_message, sizeof(ABI::InterruptMessage)))
        return Core::ErrorCode::BadAddress;
    Tasks::Process* process = TRY(calling_process());
    auto range = TRY(lookup_handle<Devices::InterruptRange>(arguments.first(), ABI::Right::Manage));
    // Every line the I/O APICs serve, as the range process 1 is given covers.
    if (!range->range().contains(0, Arch::io_apic_gsi_end()))
        return Core::ErrorCode::OutOfRange;
    auto interrupt = TRY(Devices::Interrupt::create_message_signaled());
    Devices::Interrupt::Message message = interrupt->message();
    ABI::InterruptMessage written { message.address, message.data, 0 };
    // Written before the handle exists: a bad pointer leaves nothing behind (the
    // interrupt goes with its last reference).
    TRY(Memory::copy_to_user(user_message, &written, sizeof(written)));
    return TRY(add_handle(*process, Core::RefPtr<Objects::KernelObject>(interrupt),
        ABI::Right::Wait | ABI::Right::Signal | ABI::Right::Duplicate | ABI::Right::Transfer));
}

CallResult interrupt_ack(const Arguments& arguments)
{
    TRY(lookup_handle<Devices::Interrupt>(arguments.first(), ABI::Right::Signal))->acknowledge();
    return 0;
}

CallResult ioport_read(const Arguments& arguments)
{
    Core::u64 port = arguments.second();
    Core::u64 width = arguments.third();
    if (!ABI::is_valid_io_port_width(width))
        return Core::ErrorCode::InvalidArgument;
    if (port >= ABI::io_port_count)
        return Core::ErrorCode::OutOfRange;
    auto range = TRY(lookup_handle<Devices::IoPortRange>(arguments.first(), ABI::Right::Read));
    return TRY(range->read(port, width));
}

CallResult ioport_write(const Arguments& arguments)
{
    Core::u64 port = arguments.second();
    Core::u64 width = arguments.third();
    Core::u64 value = arguments.fourth();
    if (!ABI::is_valid_io_port_width(width) || (value >> (width * 8)) != 0)
        return Core::ErrorCode::InvalidArgument;
    if (port >= ABI::io_port_count)
        return Core::ErrorCode::OutOfRange;
    auto range = TRY(lookup_handle<Devices::IoPortRange>(arguments.first(), ABI::Right::Write));
    TRY(range->write(port, width, static_cast<Core::u32>(value)));
    return 0;
}

CallResult resource_narrow(const Arguments& arguments)
{
    Core::u64 base = arguments.second();
    Core::u64 count = arguments.third();
    if (count == 0)
        return Core::ErrorCode::InvalidArgument;
    Tasks::Process* process = TRY(calling_process());
    ResourceHandle resource = TRY(lookup_resource(*process, arguments.first()));
    Core::RefPtr<Objects::KernelObject> narrowed;
    // lookup_resource checked the type, and only these classes derive from
    // TypedKernelObject<that type> (KernelObject.h), so each downcast names the object's
    // real class.
    switch (resource.object->type()) {
    case ABI::ObjectType::IoPortRange:
        narrowed = TRY(static_cast<Devices::IoPortRange&>(*resource.object).narrow(base, count));
        break;
    case ABI::ObjectType::MmioRange:
        narrowed = TRY(static_cast<Devices::MmioRange&>(*resource.object).narrow(base, count));
        break;
    case ABI::ObjectType::InterruptRange:
        narrowed = TRY(static_cast<Devices::InterruptRange&>(*resource.object).narrow(base, count));
        break;
    default:
        return Core::ErrorCode::WrongType;
    }
    return TRY(add_handle(*process, Core::move(narrowed), resource.rights));
}

CallResult memory_object_create_physical(const Arguments& arguments)
{
    Core::u64 physical_base = arguments.second();
    Core::u64 size = arguments.third();
    TRY(check_flags(arguments.fourth(), ABI::physical_memory_flag_bits));
    if (size == 0 || physical_base % ABI::memory_page_size != 0 || size % ABI::memory_page_size != 0)
        return Core::ErrorCode::InvalidArgument;
    auto range = TRY(lookup_handle_with_rights<Devices::MmioRange>(arguments.first(), ABI::Right::Map));
    if (!range.object->range().contains(physical_base, size))
        return Core::ErrorCode::OutOfRange;
    // The kernel's own device registers are never a driver's (KernelDeviceMemory.h).
    if (Devices::overlaps_kernel_device_memory(physical_base, size))
        return Core::ErrorCode::AccessDenied;
    auto cache = (arguments.fourth() & ABI::physical_write_combining) ? Arch::CacheMode::WriteCombining
                                                                      : Arch::CacheMode::Uncached;
    auto memory = TRY(Memory::MemoryObject::create_physical(physical_base, size, cache));
    // The object carries no more than the range's handle: read, written, mapped, passed on
    // and duplicated as far as that handle allowed, so process 1 can confine a driver's
    // device memory by the rights of the range it gives it.
    ABI::Rights rights = range.rights.intersection(ABI::Right::Read | ABI::Right::Write | ABI::Right::Map
        | ABI::Right::Duplicate | ABI::Right::Transfer);
    Tasks::Process* process = TRY(calling_process());
    return TRY(add_handle(*process, Core::RefPtr<Objects::KernelObject>(memory), rights));
}

namespace {

// The arguments both DMA calls share, decoded: `size` (whole pages, nonzero) and where the
// physical address goes (a user pointer).
Core::Result<void> check_dma_arguments(Core::u64 size, Core::u64 user_physical_base)
{
    if (size == 0 || size % ABI::memory_page_size != 0)
        return Core::ErrorCode::InvalidArgument;
    if (!Memory::is_user_range(user_physical_base, sizeof(Core::u64)))
        return Core::ErrorCode::BadAddress;
    return {};
}

// Writes where the DMA memory starts, then gives the caller its handle. Written before the
// handle exists: a bad pointer leaves nothing behind (the memory, and any mapping of it
// in a device's domain, go with the last reference).
CallResult hand_out_dma_memory(Core::RefPtr<Memory::MemoryObject> memory, Core::u64 user_physical_base)
{
    Core::u64 physical_base = memory->physical_base().value();
    TRY(Memory::copy_to_user(user_physical_base, &physical_base, sizeof(physical_base)));
    Tasks::Process* process = TRY(calling_process());
    return TRY(add_handle(*process, Core::RefPtr<Objects::KernelObject>(memory),
        ABI::Right::Read | ABI::Right::Write | ABI::Right::Map | ABI::Right::Duplicate
            | ABI::Right::Transfer));
}

} // namespace

CallResult memory_object_create_dma(const Arguments& arguments)
{
    TRY(check_dma_arguments(arguments.second(), arguments.third()));
    // DMA memory is a driver's: the caller proves it is one with an MmioRange it may map.
    auto range = TRY(lookup_handle<Devices::MmioRange>(arguments.first(), ABI::Right::Map));
    return hand_out_dma_memory(
        TRY(Memory::MemoryObject::create_contiguous(arguments.second())), arguments.third());
}

CallResult pci_device_create(const Arguments& arguments)
{
    Core::u64 address = arguments.second();
    if (address > 0xFFFF'FFFF)
        return Core::ErrorCode::InvalidArgument;
    Iommu::PciAddress function { static_cast<Core::u16>(address >> 16), static_cast<Core::u8>(address >> 8),
        static_cast<Core::u8>((address >> 3) & 31), static_cast<Core::u8>(address & 7) };
    Tasks::Process* process = TRY(calling_process());
    auto range = TRY(lookup_handle<Devices::InterruptRange>(arguments.first(), ABI::Right::Manage));
    // The device authority: every line the I/O APICs serve, as interrupt_create_message.
    if (!range->range().contains(0, Arch::io_apic_gsi_end()))
        return Core::ErrorCode::OutOfRange;
    auto device = TRY(Devices::PciDevice::create(function));
    return TRY(add_handle(*process, Core::RefPtr<Objects::KernelObject>(device),
        ABI::Right::Map | ABI::Right::Duplicate | ABI::Right::Transfer));
}

CallResult pci_device_create_dma(const Arguments& arguments)
{
    TRY(check_dma_arguments(arguments.second(), arguments.third()));
    auto device = TRY(lookup_handle<Devices::PciDevice>(arguments.first(), ABI::Right::Map));
    return hand_out_dma_memory(TRY(device->create_dma_memory(arguments.second())), arguments.third());
}

} // namespace Kernel::Syscalls
