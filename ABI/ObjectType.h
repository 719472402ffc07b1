#pragma once

// The kinds of kernel object a handle can name. Shared by the kernel, user space and host
// tools; the numbers are part of the system-call ABI (docs/abi/handles.md): a value is
// never renumbered or reused, and new types are appended before `Count`. Zero is not a
// type, so that it can mean "no object" in replies.
//
// The kernel has no RTTI: a typed handle lookup compares the object's ObjectType with the
// one the caller expects (Kernel/Objects/HandleTable.h).

#include <stdint.h>

namespace ABI {

enum class ObjectType : uint32_t {
    Process = 1,
    Thread = 2,
    MemoryObject = 3,
    Event = 4,
    Timer = 5,
    Interrupt = 6,
    IoPortRange = 7,
    MmioRange = 8,
    Channel = 9,
    AuditLog = 10,
    // A range of interrupt lines (global system interrupts): the authority to bind them
    // with interrupt_create.
    InterruptRange = 11,
    // A queue of packets an event loop waits on: signal packets from bound objects and user
    // packets (port_create, ABI/Port.h).
    Port = 12,
    // The serial console the kernel shares with the console service: input the UART
    // received, and output that never splits a kernel log record (docs/console.md).
    SerialConsole = 13,
    // The authority over the machine as a whole: power off, reboot, the kernel log and
    // memory totals (ABI/System.h). Process 1 alone starts with it.
    SystemControl = 14,
    // One PCI function as a DMA master: the DMA memory made for it (pci_device_create_dma)
    // is all its DMA may reach when the machine has an IOMMU (docs/devices.md#dma).
    PciDevice = 15,
    Count,
};

// A stable name for logs and test output; "UnknownObjectType" for values this header
// does not name, so that a value from a newer peer never reads out of bounds.
constexpr const char* object_type_name(ObjectType type)
{
    switch (type) {
    case ObjectType::Process:
        return "Process";
    case ObjectType::Thread:
        return "Thread";
    case ObjectType::MemoryObject:
        return "MemoryObject";
    case ObjectType::Event:
        return "Event";
    case ObjectType::Timer:
        return "Timer";
    case ObjectType::Interrupt:
        return "Interrupt";
    case ObjectType::IoPortRange:
        return "IoPortRange";
    case ObjectType::MmioRange:
        return "MmioRange";
    case ObjectType::Channel:
        return "Channel";
    case ObjectType::AuditLog:
        return "AuditLog";
    case ObjectType::InterruptRange:
        return "InterruptRange";
    case ObjectType::Port:
        return "Port";
    case ObjectType::SerialConsole:
        return "SerialConsole";
    case ObjectType::SystemControl:
        return "SystemControl";
    case ObjectType::PciDevice:
        return "PciDevice";
    case ObjectType::Count:
        break;
    }
    return "UnknownObjectType";
}

} // namespace ABI
