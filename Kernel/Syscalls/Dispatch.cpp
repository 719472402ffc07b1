// The system call dispatcher: maps the number in RAX to its implementation (Calls.h), passes
// the argument registers, and leaves the result in RAX as ABI/Syscalls.h defines: the value,
// or the negated ErrorCode. Also the shared pieces of SyscallSupport.h.

#include <ABI/Syscalls.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/RegisterState.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Syscalls/Calls.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Syscalls {

void audit_refusal(
    Tasks::Process& process, Objects::HandleValue handle, ABI::Rights requested, Core::ErrorCode error)
{
    switch (error) {
    case Core::ErrorCode::BadHandle:
        Security::audit(ABI::AuditEvent::BadHandle, process.name(), process.audit_budget(), handle,
            ABI::no_rights, requested);
        break;
    case Core::ErrorCode::WrongType:
        Security::audit(ABI::AuditEvent::WrongType, process.name(), process.audit_budget(), handle,
            ABI::no_rights, requested);
        break;
    case Core::ErrorCode::AccessDenied: {
        auto held = process.with_handles([&](Objects::HandleTable& table) { return table.rights(handle); });
        Security::audit(ABI::AuditEvent::AccessDenied, process.name(), process.audit_budget(), handle,
            held.is_error() ? ABI::no_rights : held.value(), requested);
        break;
    }
    default:
        break;
    }
}

Core::Result<Objects::HandleValue> add_handle(
    Tasks::Process& process, Core::RefPtr<Objects::KernelObject> object, ABI::Rights rights)
{
    return process.with_handles(
        [&](Objects::HandleTable& table) { return table.add(Core::move(object), rights); });
}

namespace {

using Handler = CallResult (*)(const Arguments&);

// The implementation of each number; null for numbers the ABI does not define.
Handler handler_for(Core::u64 number)
{
    switch (static_cast<ABI::Syscall>(number)) {
    case ABI::Syscall::DebugLog:
        return debug_log;
    case ABI::Syscall::ThreadExit:
        return thread_exit;
    case ABI::Syscall::HandleClose:
        return handle_close;
    case ABI::Syscall::HandleDuplicate:
        return handle_duplicate;
    case ABI::Syscall::HandleInfo:
        return handle_info;
    case ABI::Syscall::EventCreate:
        return event_create;
    case ABI::Syscall::EventSignal:
        return event_signal;
    case ABI::Syscall::EventReset:
        return event_reset;
    case ABI::Syscall::EventWait:
        return event_wait;
    case ABI::Syscall::AuditRead:
        return audit_read;
    case ABI::Syscall::ThreadCreate:
        return thread_create;
    case ABI::Syscall::ThreadJoin:
        return thread_join;
    case ABI::Syscall::ProcessCreate:
        return process_create;
    case ABI::Syscall::ProcessStart:
        return process_start;
    case ABI::Syscall::ProcessExit:
        return process_exit;
    case ABI::Syscall::ProcessWait:
        return process_wait;
    case ABI::Syscall::ProcessKill:
        return process_kill;
    case ABI::Syscall::HandleRevoke:
        return handle_revoke;
    case ABI::Syscall::ChannelCreate:
        return channel_create;
    case ABI::Syscall::ChannelWrite:
        return channel_write;
    case ABI::Syscall::ChannelRead:
        return channel_read;
    case ABI::Syscall::ChannelCall:
        return channel_call;
    case ABI::Syscall::ChannelStatistics:
        return channel_statistics;
    case ABI::Syscall::MemoryObjectCreate:
        return memory_object_create;
    case ABI::Syscall::MemoryObjectCreateChild:
        return memory_object_create_child;
    case ABI::Syscall::MemoryObjectRead:
        return memory_object_read;
    case ABI::Syscall::MemoryObjectWrite:
        return memory_object_write;
    case ABI::Syscall::MemoryObjectSize:
        return memory_object_size;
    case ABI::Syscall::VmMap:
        return vm_map;
    case ABI::Syscall::VmUnmap:
        return vm_unmap;
    case ABI::Syscall::VmProtect:
        return vm_protect;
    case ABI::Syscall::MemoryObjectCreatePhysical:
        return memory_object_create_physical;
    case ABI::Syscall::TimerCreate:
        return timer_create;
    case ABI::Syscall::TimerSet:
        return timer_set;
    case ABI::Syscall::TimerCancel:
        return timer_cancel;
    case ABI::Syscall::ObjectWait:
        return object_wait;
    case ABI::Syscall::InterruptCreate:
        return interrupt_create;
    case ABI::Syscall::InterruptAck:
        return interrupt_ack;
    case ABI::Syscall::IoPortRead:
        return ioport_read;
    case ABI::Syscall::IoPortWrite:
        return ioport_write;
    case ABI::Syscall::ResourceNarrow:
        return resource_narrow;
    case ABI::Syscall::ClockMonotonic:
        return clock_monotonic;
    case ABI::Syscall::ObjectWaitMany:
        return object_wait_many;
    case ABI::Syscall::PortCreate:
        return port_create;
    case ABI::Syscall::PortBind:
        return port_bind;
    case ABI::Syscall::PortWait:
        return port_wait;
    case ABI::Syscall::PortQueue:
        return port_queue;
    case ABI::Syscall::FutexWait:
        return futex_wait;
    case ABI::Syscall::FutexWake:
        return futex_wake;
    case ABI::Syscall::ChannelServe:
        return channel_serve;
    case ABI::Syscall::ThreadSetAffinity:
        return thread_set_affinity;
    case ABI::Syscall::ThreadYield:
        return thread_yield;
    case ABI::Syscall::ChannelCallRegisters:
        return channel_call_registers;
    case ABI::Syscall::ChannelServeRegisters:
        return channel_serve_registers;
    case ABI::Syscall::ThreadSetPointer:
        return thread_set_pointer;
    case ABI::Syscall::SerialConsoleRead:
        return serial_console_read;
    case ABI::Syscall::SerialConsoleWrite:
        return serial_console_write;
    case ABI::Syscall::SystemPower:
        return system_power;
    case ABI::Syscall::SystemLogRead:
        return system_log_read;
    case ABI::Syscall::SystemMemoryInfo:
        return system_memory_info;
    case ABI::Syscall::ClockWall:
        return clock_wall;
    case ABI::Syscall::SystemProcessList:
        return system_process_list;
    case ABI::Syscall::SystemProcessKill:
        return system_process_kill;
    case ABI::Syscall::SystemFramebuffer:
        return system_framebuffer;
    case ABI::Syscall::SystemPciSegments:
        return system_pci_segments;
    case ABI::Syscall::MemoryObjectCreateDma:
        return memory_object_create_dma;
    case ABI::Syscall::InterruptCreateMessage:
        return interrupt_create_message;
    case ABI::Syscall::PciDeviceCreate:
        return pci_device_create;
    case ABI::Syscall::PciDeviceCreateDma:
        return pci_device_create_dma;
    }
    return nullptr;
}

} // namespace

} // namespace Kernel::Syscalls

// No canary: every system call comes through here, and its locals are the argument block
// and the handler's Result, which -fstack-protector-strong guards only because Result keeps
// its value in a byte array; nothing here indexes a buffer.
extern "C" __attribute__((no_stack_protector)) void syscall_dispatch(Kernel::Arch::RegisterState* registers)
{
    using namespace Kernel;
    Syscalls::Handler handler = Syscalls::handler_for(registers->rax);
    if (!handler) {
        registers->rax = static_cast<Core::u64>(-static_cast<Core::i64>(Core::ErrorCode::NotSupported));
        return;
    }
    Syscalls::Arguments arguments { registers };
    Syscalls::CallResult result = handler(arguments);
    // A thread of a terminating process never returns to user mode (Process::terminate).
    // Interrupts go off first (the return path turns them off anyway): a termination that
    // arrives after the check then waits for the return to user mode, whose interrupt
    // exit checks again.
    Arch::disable_interrupts();
    Tasks::Thread& self = Tasks::Scheduler::current();
    if (Tasks::Scheduler::termination_requested(self)) [[unlikely]]
        Tasks::Scheduler::exit_current(self.process()->exit_status());
    registers->rax = result.is_error()
        ? static_cast<Core::u64>(-static_cast<Core::i64>(result.error().code()))
        : result.value();
}
