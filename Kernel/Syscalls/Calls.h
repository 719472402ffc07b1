#pragma once

// Every system call's implementation, one declaration each, grouped by the file that holds
// it. ABI/Syscalls.h numbers them and docs/abi/syscalls.md describes them; Dispatch.cpp
// connects the two.

#include <Kernel/Syscalls/SyscallSupport.h>

namespace Kernel::Syscalls {

// DebugCalls.cpp
CallResult debug_log(const Arguments&);

// HandleCalls.cpp
CallResult handle_close(const Arguments&);
CallResult handle_duplicate(const Arguments&);
CallResult handle_info(const Arguments&);
CallResult handle_revoke(const Arguments&);

// EventCalls.cpp
CallResult event_create(const Arguments&);
CallResult event_signal(const Arguments&);
CallResult event_reset(const Arguments&);
CallResult event_wait(const Arguments&);

// ThreadCalls.cpp
[[noreturn]] CallResult thread_exit(const Arguments&);
CallResult thread_create(const Arguments&);
CallResult thread_join(const Arguments&);
CallResult thread_set_affinity(const Arguments&);
CallResult thread_yield(const Arguments&);
CallResult thread_set_pointer(const Arguments&);

// ProcessCalls.cpp
CallResult process_create(const Arguments&);
CallResult process_start(const Arguments&);
CallResult process_exit(const Arguments&);
CallResult process_wait(const Arguments&);
CallResult process_kill(const Arguments&);

// ConsoleCalls.cpp
CallResult serial_console_read(const Arguments&);
CallResult serial_console_write(const Arguments&);

// SystemCalls.cpp
CallResult system_power(const Arguments&);
CallResult system_log_read(const Arguments&);
CallResult system_memory_info(const Arguments&);
CallResult system_process_list(const Arguments&);
CallResult system_process_kill(const Arguments&);
CallResult system_framebuffer(const Arguments&);
CallResult system_pci_segments(const Arguments&);

// ChannelCalls.cpp
CallResult channel_create(const Arguments&);
CallResult channel_write(const Arguments&);
CallResult channel_read(const Arguments&);
CallResult channel_call(const Arguments&);
CallResult channel_statistics(const Arguments&);
CallResult channel_serve(const Arguments&);
// The register form (docs/ipc.md#register-form): these read and write the caller's saved
// frame (Arguments::frame) beyond the six argument registers (Arch/MessageRegisters.h).
CallResult channel_call_registers(const Arguments&);
CallResult channel_serve_registers(const Arguments&);

// AuditCalls.cpp
CallResult audit_read(const Arguments&);

// MemoryCalls.cpp
CallResult memory_object_create(const Arguments&);
CallResult memory_object_create_child(const Arguments&);
CallResult memory_object_read(const Arguments&);
CallResult memory_object_write(const Arguments&);
CallResult memory_object_size(const Arguments&);
CallResult vm_map(const Arguments&);
CallResult vm_unmap(const Arguments&);
CallResult vm_protect(const Arguments&);

// TimerCalls.cpp
CallResult timer_create(const Arguments&);
CallResult timer_set(const Arguments&);
CallResult timer_cancel(const Arguments&);
CallResult clock_monotonic(const Arguments&);
CallResult clock_wall(const Arguments&);

// WaitCalls.cpp
CallResult object_wait(const Arguments&);
CallResult object_wait_many(const Arguments&);

// PortCalls.cpp
CallResult port_create(const Arguments&);
CallResult port_bind(const Arguments&);
CallResult port_wait(const Arguments&);
CallResult port_queue(const Arguments&);

// FutexCalls.cpp
CallResult futex_wait(const Arguments&);
CallResult futex_wake(const Arguments&);

// DeviceCalls.cpp
CallResult interrupt_create(const Arguments&);
CallResult interrupt_ack(const Arguments&);
CallResult ioport_read(const Arguments&);
CallResult ioport_write(const Arguments&);
CallResult resource_narrow(const Arguments&);
CallResult memory_object_create_physical(const Arguments&);
CallResult memory_object_create_dma(const Arguments&);
CallResult interrupt_create_message(const Arguments&);
CallResult pci_device_create(const Arguments&);
CallResult pci_device_create_dma(const Arguments&);

} // namespace Kernel::Syscalls
