// port_create, port_bind, port_wait, port_queue (Objects/Port.h, docs/ipc.md#ports).

#include <ABI/Port.h>
#include <ABI/Signals.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Memory/UserRange.h>
#include <Kernel/Objects/Port.h>
#include <Kernel/Syscalls/Calls.h>

namespace Kernel::Syscalls {

CallResult port_create(const Arguments& arguments)
{
    TRY(check_flags(arguments.first(), 0));
    Tasks::Process* process = TRY(calling_process());
    auto port = TRY(Objects::Port::create());
    return TRY(add_handle(*process, Core::RefPtr<Objects::KernelObject>(port),
        ABI::Right::Read | ABI::Right::Write | ABI::Right::Duplicate | ABI::Right::Transfer));
}

CallResult port_bind(const Arguments& arguments)
{
    // Decode: the mask and flags first, then the port, then the object.
    if (!ABI::is_valid_signal_mask(arguments.third()))
        return Core::ErrorCode::InvalidArgument;
    auto watched = static_cast<Core::u32>(arguments.third());
    Core::u64 key = arguments.fourth();
    TRY(check_flags(arguments.fifth(), ABI::port_bind_known_flags));
    bool persistent = (arguments.fifth() & static_cast<Core::u64>(ABI::PortBindFlag::Persistent)) != 0;
    auto port = TRY(lookup_handle<Objects::Port>(arguments.first(), ABI::Right::Write));
    auto object = TRY(lookup_handle<Objects::KernelObject>(arguments.second(), ABI::Right::Wait));
    Objects::Signals* signals = object->signals();
    if (!signals)
        return Core::ErrorCode::NotSupported;
    // As object_wait: a bit this type never raises could never queue a packet.
    if ((watched & ~signals->supported()) != 0)
        return Core::ErrorCode::InvalidArgument;
    // Perform.
    TRY(port->bind(Core::move(object), watched, key, persistent));
    return 0;
}

CallResult port_wait(const Arguments& arguments)
{
    Core::u64 destination = arguments.second();
    if (!Memory::is_user_range(destination, sizeof(ABI::PortPacket)))
        return Core::ErrorCode::BadAddress;
    Core::u64 deadline_ns = arguments.third();
    auto port = TRY(lookup_handle<Objects::Port>(arguments.first(), ABI::Right::Read));
    // A destination that cannot be written fails before a packet is taken, so a bad
    // pointer never costs a packet. (A program that unmaps the buffer while it waits loses
    // the packet it is handed: BadAddress.)
    ABI::PortPacket packet {};
    TRY(Memory::copy_to_user(destination, &packet, sizeof(packet)));
    packet = TRY(port->wait(deadline_ns));
    TRY(Memory::copy_to_user(destination, &packet, sizeof(packet)));
    return 0;
}

CallResult port_queue(const Arguments& arguments)
{
    ABI::PortPacket packet {};
    TRY(Memory::copy_from_user(&packet, arguments.second(), sizeof(packet)));
    // The kernel fills signals, count and timestamp; type must say what the packet is and
    // signals must be 0, so those fields can take a meaning later. count and timestamp_ns
    // are overwritten whatever they hold.
    if (packet.type != ABI::PortPacketType::User || packet.signals != 0)
        return Core::ErrorCode::InvalidArgument;
    auto port = TRY(lookup_handle<Objects::Port>(arguments.first(), ABI::Right::Write));
    TRY(port->queue_user_packet(packet.key, packet.payload));
    return 0;
}

} // namespace Kernel::Syscalls
