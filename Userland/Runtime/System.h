#pragma once

// System call wrappers for user programs: the ABI of ABI/Syscalls.h, one inline function per
// call. Every program's main thread starts with main(argument, self, startup), where `self`
// is a handle to its own process with every right and `startup` lists the handles it was
// started with (ABI/Process.h). Results are the raw return values: non-negative on success, a
// negated ErrorCode on failure.

#include <ABI/Audit.h>
#include <ABI/Channel.h>
#include <ABI/Devices.h>
#include <ABI/ErrorCode.h>
#include <ABI/Memory.h>
#include <ABI/Port.h>
#include <ABI/Process.h>
#include <ABI/Signals.h>
#include <ABI/Syscalls.h>
#include <ABI/System.h>
#include <stddef.h>
#include <stdint.h>

namespace System {

// The syscall instruction with the ABI's registers. RCX and R11 are clobbered by the
// instruction itself; memory is clobbered because calls read and write user buffers.
inline int64_t system_call(ABI::Syscall number, uint64_t first = 0, uint64_t second = 0)
{
    int64_t result;
    asm volatile("syscall"
                 : "=a"(result)
                 : "a"(static_cast<uint64_t>(number)), "D"(first), "S"(second)
                 : "rcx", "r11", "memory");
    return result;
}

// The same with three to six arguments (RDX, R10, R8, R9 after RDI and RSI).
inline int64_t system_call(ABI::Syscall number, uint64_t first, uint64_t second, uint64_t third,
    uint64_t fourth = 0, uint64_t fifth = 0, uint64_t sixth = 0)
{
    int64_t result;
    register uint64_t fourth_register asm("r10") = fourth;
    register uint64_t fifth_register asm("r8") = fifth;
    register uint64_t sixth_register asm("r9") = sixth;
    asm volatile("syscall"
                 : "=a"(result)
                 : "a"(static_cast<uint64_t>(number)), "D"(first), "S"(second), "d"(third),
                 "r"(fourth_register), "r"(fifth_register), "r"(sixth_register)
                 : "rcx", "r11", "memory");
    return result;
}

inline int64_t debug_log(const char* text, size_t length)
{
    return system_call(ABI::Syscall::DebugLog, reinterpret_cast<uint64_t>(text), length);
}

template<size_t size> inline int64_t debug_log(const char (&text)[size])
{
    return debug_log(text, size - 1);
}

inline int64_t handle_close(uint32_t handle)
{
    return system_call(ABI::Syscall::HandleClose, handle);
}

inline int64_t handle_duplicate(uint32_t handle, uint32_t rights)
{
    return system_call(ABI::Syscall::HandleDuplicate, handle, rights);
}

inline int64_t handle_info(uint32_t handle)
{
    return system_call(ABI::Syscall::HandleInfo, handle);
}

inline int64_t event_create()
{
    return system_call(ABI::Syscall::EventCreate);
}

inline int64_t event_signal(uint32_t handle)
{
    return system_call(ABI::Syscall::EventSignal, handle);
}

inline int64_t event_reset(uint32_t handle)
{
    return system_call(ABI::Syscall::EventReset, handle);
}

inline int64_t event_wait(uint32_t handle)
{
    return system_call(ABI::Syscall::EventWait, handle);
}

inline int64_t audit_read(
    uint32_t handle, ABI::AuditRecord* records, size_t buffer_bytes, uint64_t first_sequence)
{
    int64_t result;
    register uint64_t fourth asm("r10") = first_sequence;
    // As system_call, with the fourth argument in R10.
    asm volatile("syscall"
                 : "=a"(result)
                 : "a"(static_cast<uint64_t>(ABI::Syscall::AuditRead)), "D"(static_cast<uint64_t>(handle)),
                 "S"(reinterpret_cast<uint64_t>(records)), "d"(buffer_bytes), "r"(fourth)
                 : "rcx", "r11", "memory");
    return result;
}

inline int64_t thread_create(void (*entry)(), void* stack_top, uint64_t argument)
{
    int64_t result;
    // As system_call, with a third argument in RDX.
    asm volatile("syscall"
                 : "=a"(result)
                 : "a"(static_cast<uint64_t>(ABI::Syscall::ThreadCreate)),
                 "D"(reinterpret_cast<uint64_t>(entry)), "S"(reinterpret_cast<uint64_t>(stack_top)),
                 "d"(argument)
                 : "rcx", "r11", "memory");
    return result;
}

inline int64_t thread_join(uint32_t handle)
{
    return system_call(ABI::Syscall::ThreadJoin, handle);
}

inline int64_t handle_revoke(uint32_t handle)
{
    return system_call(ABI::Syscall::HandleRevoke, handle);
}

inline int64_t process_create(const char* name, size_t name_length, uint64_t flags = 0)
{
    return system_call(ABI::Syscall::ProcessCreate, reinterpret_cast<uint64_t>(name), name_length, flags);
}

inline int64_t process_start(uint32_t process, const ABI::ProcessStartArguments* arguments)
{
    return system_call(ABI::Syscall::ProcessStart, process, reinterpret_cast<uint64_t>(arguments));
}

[[noreturn]] inline void process_exit(int64_t status)
{
    system_call(ABI::Syscall::ProcessExit, static_cast<uint64_t>(status));
    __builtin_unreachable();
}

inline int64_t process_wait(uint32_t process, int64_t* status, uint64_t deadline_ns = ABI::no_deadline)
{
    return system_call(ABI::Syscall::ProcessWait, process, reinterpret_cast<uint64_t>(status), deadline_ns);
}

inline int64_t process_kill(uint32_t process)
{
    return system_call(ABI::Syscall::ProcessKill, process);
}

inline int64_t memory_object_create(uint64_t size, uint64_t flags = 0)
{
    return system_call(ABI::Syscall::MemoryObjectCreate, size, flags);
}

inline int64_t memory_object_create_child(uint32_t memory, uint64_t offset, uint64_t size, uint64_t flags = 0)
{
    return system_call(ABI::Syscall::MemoryObjectCreateChild, memory, offset, size, flags);
}

inline int64_t memory_object_read(uint32_t memory, uint64_t offset, void* buffer, uint64_t length)
{
    return system_call(
        ABI::Syscall::MemoryObjectRead, memory, offset, reinterpret_cast<uint64_t>(buffer), length);
}

inline int64_t memory_object_write(uint32_t memory, uint64_t offset, const void* buffer, uint64_t length)
{
    return system_call(
        ABI::Syscall::MemoryObjectWrite, memory, offset, reinterpret_cast<uint64_t>(buffer), length);
}

inline int64_t memory_object_size(uint32_t memory)
{
    return system_call(ABI::Syscall::MemoryObjectSize, memory);
}

// Returns the mapped address (or a negated error). flags: ABI/Memory.h protection bits, and
// vm_fixed to map exactly at `address` (otherwise `address` must be 0).
inline int64_t vm_map(
    uint32_t process, uint32_t memory, uint64_t offset, uint64_t length, uint64_t flags, uint64_t address = 0)
{
    return system_call(ABI::Syscall::VmMap, process, memory, offset, length, flags, address);
}

inline int64_t vm_unmap(uint32_t process, uint64_t address, uint64_t length)
{
    // The six-argument form; the unused argument registers carry zero.
    return system_call(ABI::Syscall::VmUnmap, process, address, length, 0);
}

inline int64_t vm_protect(uint32_t process, uint64_t address, uint64_t length, uint64_t flags)
{
    return system_call(ABI::Syscall::VmProtect, process, address, length, flags);
}

inline int64_t timer_create(uint64_t flags)
{
    return system_call(ABI::Syscall::TimerCreate, flags);
}

inline int64_t timer_set(uint32_t timer, uint64_t deadline_ns, uint64_t period_ns)
{
    return system_call(ABI::Syscall::TimerSet, timer, deadline_ns, period_ns);
}

inline int64_t timer_cancel(uint32_t timer)
{
    return system_call(ABI::Syscall::TimerCancel, timer);
}

// The object's signals observed when the wait ended, or a negated error (TimedOut).
inline int64_t object_wait(uint32_t handle, uint32_t signals, uint64_t deadline_ns)
{
    return system_call(ABI::Syscall::ObjectWait, handle, signals, deadline_ns);
}

inline int64_t interrupt_create(uint32_t interrupt_range, uint64_t line, uint64_t flags)
{
    return system_call(ABI::Syscall::InterruptCreate, interrupt_range, line, flags);
}

inline int64_t interrupt_ack(uint32_t interrupt)
{
    return system_call(ABI::Syscall::InterruptAck, interrupt);
}

inline int64_t ioport_read(uint32_t ioport_range, uint64_t port, uint64_t width)
{
    return system_call(ABI::Syscall::IoPortRead, ioport_range, port, width);
}

inline int64_t ioport_write(uint32_t ioport_range, uint64_t port, uint64_t width, uint64_t value)
{
    return system_call(ABI::Syscall::IoPortWrite, ioport_range, port, width, value);
}

inline int64_t memory_object_create_physical(
    uint32_t mmio_range, uint64_t physical_address, uint64_t size, uint64_t flags = 0)
{
    return system_call(ABI::Syscall::MemoryObjectCreatePhysical, mmio_range, physical_address, size, flags);
}

inline int64_t resource_narrow(uint32_t handle, uint64_t base, uint64_t count)
{
    return system_call(ABI::Syscall::ResourceNarrow, handle, base, count);
}

inline uint64_t clock_monotonic()
{
    return static_cast<uint64_t>(system_call(ABI::Syscall::ClockMonotonic));
}

inline int64_t channel_create(ABI::ChannelQos qos, uint32_t handles[2])
{
    return system_call(
        ABI::Syscall::ChannelCreate, static_cast<uint64_t>(qos), reinterpret_cast<uint64_t>(handles));
}

inline int64_t channel_write(uint32_t channel, const void* bytes, uint64_t byte_count,
    const uint32_t* handles = nullptr, uint64_t handle_count = 0, uint64_t flags = 0)
{
    return system_call(ABI::Syscall::ChannelWrite, channel, reinterpret_cast<uint64_t>(bytes), byte_count,
        reinterpret_cast<uint64_t>(handles), handle_count, flags);
}

inline int64_t channel_read(uint32_t channel, ABI::ChannelReadBuffer* buffer, uint64_t flags = 0)
{
    return system_call(ABI::Syscall::ChannelRead, channel, reinterpret_cast<uint64_t>(buffer), flags);
}

// channel_call's arguments for a request without handles and a reply buffer without room
// for handles, waiting until `deadline_ns`.
inline ABI::ChannelCallArguments call_arguments(const void* request, uint64_t request_bytes, void* reply,
    uint64_t reply_capacity, uint64_t deadline_ns = ABI::no_deadline)
{
    ABI::ChannelCallArguments arguments {};
    arguments.bytes_address = reinterpret_cast<uint64_t>(request);
    arguments.byte_count = request_bytes;
    arguments.reply.bytes_address = reinterpret_cast<uint64_t>(reply);
    arguments.reply.bytes_capacity = reply_capacity;
    arguments.deadline_ns = deadline_ns;
    return arguments;
}

inline int64_t channel_call(uint32_t channel, ABI::ChannelCallArguments* arguments)
{
    return system_call(ABI::Syscall::ChannelCall, channel, reinterpret_cast<uint64_t>(arguments));
}

inline int64_t channel_serve(uint32_t channel, ABI::ChannelServeArguments* arguments)
{
    return system_call(ABI::Syscall::ChannelServe, channel, reinterpret_cast<uint64_t>(arguments));
}

// A message in the register form (docs/ipc.md#register-form): at most
// channel_register_message_bytes, no handles. `words` holds the bytes, little-endian.
struct RegisterMessage {
    uint64_t byte_count;
    uint64_t words[ABI::channel_register_message_words];
};

namespace Detail {

// The register form's system call: RDI the handle (in) and the reply report (out, serve),
// RSI the byte count, RBX the deadline, the message registers in ABI/Channel.h's order.
// The kernel touches no user memory here, but a call is where two programs meet (one that
// writes a shared buffer and then calls, say), so memory is clobbered, as for every call.
inline int64_t register_message_call(
    ABI::Syscall number, uint32_t channel, RegisterMessage& message, uint64_t deadline_ns, uint64_t& report)
{
    uint64_t result = static_cast<uint64_t>(number);
    uint64_t handle_or_report = channel;
    uint64_t byte_count = message.byte_count;
    uint64_t word0 = message.words[0];
    register uint64_t word1 asm("r8") = message.words[1];
    register uint64_t word2 asm("r9") = message.words[2];
    register uint64_t word3 asm("r10") = message.words[3];
    register uint64_t word4 asm("r12") = message.words[4];
    register uint64_t word5 asm("r13") = message.words[5];
    register uint64_t word6 asm("r14") = message.words[6];
    register uint64_t word7 asm("r15") = message.words[7];
    asm volatile("syscall"
                 : "+a"(result), "+D"(handle_or_report), "+S"(byte_count), "+d"(word0), "+r"(word1),
                 "+r"(word2), "+r"(word3), "+r"(word4), "+r"(word5), "+r"(word6), "+r"(word7)
                 : "b"(deadline_ns)
                 : "rcx", "r11", "memory");
    message.byte_count = byte_count;
    message.words[0] = word0;
    message.words[1] = word1;
    message.words[2] = word2;
    message.words[3] = word3;
    message.words[4] = word4;
    message.words[5] = word5;
    message.words[6] = word6;
    message.words[7] = word7;
    report = handle_or_report;
    return static_cast<int64_t>(result);
}

} // namespace Detail

// channel_call with the request in `message` (its byte count at least
// channel_call_minimum_bytes), which the reply replaces. On -BufferTooSmall the reply
// stays queued and message.byte_count and message.words[0] say its byte and handle counts.
inline int64_t channel_call_registers(
    uint32_t channel, RegisterMessage& message, uint64_t deadline_ns = ABI::no_deadline)
{
    uint64_t unused = 0;
    return Detail::register_message_call(
        ABI::Syscall::ChannelCallRegisters, channel, message, deadline_ns, unused);
}

// channel_serve with the reply in `message` (byte count 0: none), which the next message
// replaces. `reply_sent` says whether the reply went out; -BufferTooSmall as for
// channel_call_registers.
inline int64_t channel_serve_registers(
    uint32_t channel, RegisterMessage& message, bool& reply_sent, uint64_t deadline_ns = ABI::no_deadline)
{
    uint64_t report = 0;
    int64_t result = Detail::register_message_call(
        ABI::Syscall::ChannelServeRegisters, channel, message, deadline_ns, report);
    reply_sent = report != 0;
    return result;
}

inline int64_t thread_set_affinity(uint64_t cpu_mask)
{
    return system_call(ABI::Syscall::ThreadSetAffinity, cpu_mask);
}

inline int64_t thread_yield()
{
    return system_call(ABI::Syscall::ThreadYield);
}

// Makes `address` the calling thread's thread pointer (FS base): %fs:0 reads its first word.
inline int64_t thread_set_pointer(const void* address)
{
    return system_call(ABI::Syscall::ThreadSetPointer, reinterpret_cast<uint64_t>(address));
}

// The word at offset `offset` from the calling thread's thread pointer.
inline uint64_t thread_pointer_word(uint64_t offset)
{
    uint64_t value;
    // A load through FS, which the kernel based at this thread's pointer; it reads user
    // memory only, like any load the program makes.
    asm volatile("mov %%fs:(%1), %0" : "=r"(value) : "r"(offset) : "memory");
    return value;
}

inline int64_t channel_statistics(uint32_t audit_log, uint32_t channel, ABI::ChannelStatistics* statistics)
{
    return system_call(
        ABI::Syscall::ChannelStatistics, audit_log, channel, reinterpret_cast<uint64_t>(statistics));
}

// The index of the first item whose wanted signals are raised, or a negated error
// (TimedOut); every item's `observed` is written back either way.
inline int64_t object_wait_many(ABI::WaitItem* items, uint64_t count, uint64_t deadline_ns)
{
    return system_call(ABI::Syscall::ObjectWaitMany, reinterpret_cast<uint64_t>(items), count, deadline_ns);
}

inline int64_t port_create(uint64_t flags = 0)
{
    return system_call(ABI::Syscall::PortCreate, flags);
}

// flags: 0 (one-shot) or ABI::PortBindFlag::Persistent.
inline int64_t port_bind(uint32_t port, uint32_t handle, uint32_t signals, uint64_t key, uint64_t flags)
{
    return system_call(ABI::Syscall::PortBind, port, handle, signals, key, flags);
}

inline int64_t port_wait(uint32_t port, ABI::PortPacket* packet, uint64_t deadline_ns)
{
    return system_call(ABI::Syscall::PortWait, port, reinterpret_cast<uint64_t>(packet), deadline_ns);
}

inline int64_t port_queue(uint32_t port, const ABI::PortPacket* packet)
{
    return system_call(ABI::Syscall::PortQueue, port, reinterpret_cast<uint64_t>(packet));
}

// 0 once woken, or a negated error: WouldBlock (the word no longer holds `expected`),
// TimedOut.
inline int64_t futex_wait(const uint32_t* address, uint32_t expected, uint64_t deadline_ns = ABI::no_deadline)
{
    return system_call(ABI::Syscall::FutexWait, reinterpret_cast<uint64_t>(address), expected, deadline_ns);
}

// How many threads were woken.
inline int64_t futex_wake(const uint32_t* address, uint64_t count)
{
    return system_call(ABI::Syscall::FutexWake, reinterpret_cast<uint64_t>(address), count);
}

// Input the serial console received (-WouldBlock when none waits: object_wait for Readable).
inline int64_t serial_console_read(uint32_t console, void* buffer, uint64_t capacity)
{
    return system_call(
        ABI::Syscall::SerialConsoleRead, console, reinterpret_cast<uint64_t>(buffer), capacity);
}

inline int64_t serial_console_write(uint32_t console, const void* bytes, uint64_t count)
{
    return system_call(ABI::Syscall::SerialConsoleWrite, console, reinterpret_cast<uint64_t>(bytes), count);
}

// Returns only on failure.
inline int64_t system_power(uint32_t system, ABI::PowerAction action)
{
    return system_call(ABI::Syscall::SystemPower, system, static_cast<uint64_t>(action));
}

inline int64_t system_log_read(uint32_t system, void* buffer, uint64_t capacity, uint64_t skip)
{
    return system_call(
        ABI::Syscall::SystemLogRead, system, reinterpret_cast<uint64_t>(buffer), capacity, skip);
}

inline int64_t system_memory_info(uint32_t system, ABI::MemoryInfo* info)
{
    return system_call(ABI::Syscall::SystemMemoryInfo, system, reinterpret_cast<uint64_t>(info));
}

// Up to `capacity` records of the processes that exist; returns how many exist.
inline int64_t system_process_list(uint32_t system, ABI::ProcessInfo* buffer, uint64_t capacity)
{
    return system_call(ABI::Syscall::SystemProcessList, system, reinterpret_cast<uint64_t>(buffer), capacity);
}

inline int64_t system_process_kill(uint32_t system, uint64_t id)
{
    return system_call(ABI::Syscall::SystemProcessKill, system, id);
}

// Contiguous RAM for DMA; its physical address in *physical_base.
inline int64_t memory_object_create_dma(uint32_t mmio_range, uint64_t size, uint64_t* physical_base)
{
    return system_call(
        ABI::Syscall::MemoryObjectCreateDma, mmio_range, size, reinterpret_cast<uint64_t>(physical_base));
}

// An interrupt for a device's MSI or MSI-X; what the device must write in *message.
inline int64_t interrupt_create_message(uint32_t interrupt_range, ABI::InterruptMessage* message)
{
    return system_call(
        ABI::Syscall::InterruptCreateMessage, interrupt_range, reinterpret_cast<uint64_t>(message));
}

inline int64_t pci_device_create(uint32_t interrupt_range, uint64_t address)
{
    return system_call(ABI::Syscall::PciDeviceCreate, interrupt_range, address);
}

inline int64_t pci_device_create_dma(uint32_t pci_device, uint64_t size, uint64_t* physical_base)
{
    return system_call(
        ABI::Syscall::PciDeviceCreateDma, pci_device, size, reinterpret_cast<uint64_t>(physical_base));
}

// The PCI configuration windows (up to `capacity`); returns how many there are.
inline int64_t system_pci_segments(uint32_t system, ABI::PciSegment* buffer, uint64_t capacity)
{
    return system_call(ABI::Syscall::SystemPciSegments, system, reinterpret_cast<uint64_t>(buffer), capacity);
}

// Takes the boot framebuffer from the kernel's log (Manage on the SystemControl).
inline int64_t system_framebuffer(uint32_t system, ABI::FramebufferInfo* info)
{
    return system_call(ABI::Syscall::SystemFramebuffer, system, reinterpret_cast<uint64_t>(info));
}

// The time of day, UTC, in Unix seconds; 0 when the kernel has no valid time.
inline uint64_t clock_wall()
{
    return static_cast<uint64_t>(system_call(ABI::Syscall::ClockWall));
}

// The negated error code a failed call returns.
constexpr int64_t failure(ABI::ErrorCode code)
{
    return -static_cast<int64_t>(code);
}

[[noreturn]] inline void thread_exit(int64_t status)
{
    system_call(ABI::Syscall::ThreadExit, static_cast<uint64_t>(status));
    __builtin_unreachable();
}

} // namespace System
