#pragma once

// System call numbers and conventions, shared by the kernel and user space. The one source
// of truth; docs/abi/syscalls.md describes each call. Numbers are never renumbered or
// reused: new calls are appended.
//
// Convention (x86-64): the number in RAX; arguments in RDI, RSI, RDX, R10, R8, R9; the
// `syscall` instruction. The result comes back in RAX: a non-negative value on success,
// or the negated ErrorCode on failure. RCX and R11 are clobbered (the instruction uses
// them); every other register is preserved.

#include <stdint.h>

namespace ABI {

enum class Syscall : uint64_t {
    // debug_log(const char* text, size_t length): writes the text to the kernel log,
    // attributed to the calling thread. 0, or -BadAddress / -InvalidArgument.
    DebugLog = 1,
    // thread_exit(int64_t status): ends the calling thread. Does not return.
    ThreadExit = 2,
    // handle_close(handle): closes one of the caller's handles. 0, or -BadHandle.
    HandleClose = 3,
    // handle_duplicate(handle, rights): a new handle to the same object with `rights`,
    // which must be a subset of the handle's, which must include Duplicate. The new handle,
    // or -InvalidArgument (unknown right bits), -BadHandle, -AccessDenied, -OutOfRange.
    HandleDuplicate = 4,
    // handle_info(handle): the object's type (ABI/ObjectType.h) in bits 32-47 and the
    // handle's rights in bits 0-31. Or -BadHandle.
    HandleInfo = 5,
    // event_create(): a new event, unsignalled, and a handle to it with Signal, Wait,
    // Duplicate and Transfer. Or -OutOfMemory, -OutOfRange.
    EventCreate = 6,
    // event_signal(handle): signals the event (needs Signal). 0, or -BadHandle,
    // -WrongType, -AccessDenied.
    EventSignal = 7,
    // event_reset(handle): clears the event (needs Signal). Errors as event_signal.
    EventReset = 8,
    // event_wait(handle): blocks until the event is signalled (needs Wait). Errors as
    // event_signal.
    EventWait = 9,
    // audit_read(handle, AuditRecord* buffer, size_t buffer_bytes, uint64_t first_sequence):
    // copies the audit records (ABI/Audit.h) with sequence >= first_sequence still kept,
    // oldest first, as many as fit; returns how many. Needs a handle to the audit log with
    // Read (only process 1 gets one). -BufferTooSmall under one record, -BadAddress, and
    // the handle errors.
    AuditRead = 10,
    // thread_create(entry, stack_top, argument): a new thread of the calling process, on the
    // caller's CPU, starting at `entry` with RSP = stack_top and `argument` in RDI (RSI: a
    // handle to the process, as for every first thread). Returns a handle to it with Wait,
    // Duplicate and Transfer. -InvalidArgument for addresses outside user space,
    // -OutOfMemory, -OutOfRange.
    ThreadCreate = 11,
    // thread_join(handle): waits until the thread has exited and returns its exit status
    // (needs Wait). -InvalidArgument for the calling thread itself, and the handle errors.
    ThreadJoin = 12,
    // process_create(const char* name, size_t name_length, uint64_t flags): a new, empty
    // process (no program, no threads) named by 1 to 31 printable bytes; flags must be 0.
    // Returns a handle with Read, Write, Wait, Manage, Duplicate and Transfer.
    // -InvalidArgument, -BadAddress, -OutOfMemory, -OutOfRange.
    ProcessCreate = 13,
    // process_start(process, const ProcessStartArguments* arguments) (ABI/Process.h): loads
    // the ELF image from the caller's memory, moves the listed handles into the process and
    // starts its first thread (needs Manage). 0, or -InvalidArgument, -BadAddress,
    // -Malformed / -NotSupported (image), -Busy (not a new process), the handle errors
    // (for the process and each handle to move, which needs Transfer), -OutOfMemory.
    // docs/abi/processes.md has the details, including what a failure leaves behind.
    ProcessStart = 14,
    // process_exit(int64_t status): ends the calling process, all its threads, with
    // `status`. Does not return.
    ProcessExit = 15,
    // process_wait(process, int64_t* status, uint64_t deadline_ns): waits until the process
    // has exited (needs Wait) and stores its exit status. -TimedOut once the monotonic
    // clock reaches deadline_ns (no_deadline: never), -InvalidArgument for the caller's
    // own process, -BadAddress, and the handle errors.
    ProcessWait = 16,
    // process_kill(process): terminates the process with killed_exit_status (needs
    // Manage). 0 (also for a process already ended), or the handle errors.
    ProcessKill = 17,
    // memory_object_create(size, flags): a new anonymous memory object of `size` bytes (a
    // nonzero multiple of 4096, at most memory_object_maximum_size, ABI/Memory.h) whose
    // pages read as zero until written. flags must be 0. A handle with Read, Write, Map,
    // Duplicate and Transfer (never Execute). -InvalidArgument, -OutOfRange (too large),
    // -OutOfMemory.
    MemoryObjectCreate = 18,
    // memory_object_create_child(memory, offset, size, flags): a copy-on-write child of
    // [offset, offset + size) of `memory` (needs Read). It reads as the parent until a page
    // is first written or touched through a mapping; from then on that page is its own.
    // Page-aligned offset, nonzero page-multiple size, flags 0. A handle with the rights of
    // memory_object_create. -InvalidArgument, -OutOfRange (past the parent, or a chain
    // too deep), -NotSupported (a physical parent), -OutOfMemory, and the handle errors.
    MemoryObjectCreateChild = 19,
    // memory_object_read(memory, offset, void* buffer, length): copies `length` bytes from
    // the object at `offset` into the buffer (needs Read). 0, or -InvalidArgument (length
    // 0), -BadAddress, -OutOfRange (past the end), and the handle errors.
    MemoryObjectRead = 20,
    // memory_object_write(memory, offset, const void* buffer, length): copies the buffer
    // into the object (needs Write). Errors as memory_object_read.
    MemoryObjectWrite = 21,
    // memory_object_size(memory): the object's size in bytes (any handle to it).
    MemoryObjectSize = 22,
    // vm_map(process, memory, offset, length, flags, address): maps [offset, offset +
    // length) of `memory` into the process (needs Write on the process; Map, and Read /
    // Write / Execute as the protection asks, on the memory) and returns the address.
    // flags: protection bits and vm_fixed (ABI/Memory.h). -InvalidArgument (flags, W+X,
    // alignment, zero length, address), -OutOfRange (past the object), -AlreadyExists
    // (vm_fixed over a mapping), -OutOfMemory, and the handle errors.
    VmMap = 23,
    // vm_unmap(process, address, length): removes every mapping (or the parts of them)
    // inside the range (needs Write on the process). -InvalidArgument, -NotFound (nothing
    // mapped there), and the handle errors.
    VmUnmap = 24,
    // vm_protect(process, address, length, flags): changes the protection of a range that
    // is entirely mapped (needs Write on the process), within what each mapping was made
    // with. -InvalidArgument, -NotFound (a gap in the range), -AccessDenied (more than the
    // mapping allows), and the handle errors.
    VmProtect = 25,
    // memory_object_create_physical(mmio_range, physical_address, size, flags): a memory
    // object over device memory [physical_address, physical_address + size) inside the
    // range (needs Map on it), uncached, or write-combining with physical_write_combining
    // (ABI/Memory.h). The handle gets Read, Write, Map, Duplicate and Transfer as far as
    // the range's handle has them. -InvalidArgument (flags, alignment, size 0), -OutOfRange
    // (outside the range), -AccessDenied (registers the kernel drives: local APIC, I/O
    // APICs, HPET), -OutOfMemory, and the handle errors.
    MemoryObjectCreatePhysical = 26,
    // timer_create(flags): a new timer, disarmed, and a handle to it with Wait, Manage,
    // Duplicate and Transfer. Flags: ABI::TimerFlag (ABI/Devices.h). -InvalidArgument
    // (unknown flags), -OutOfMemory, -OutOfRange.
    TimerCreate = 27,
    // timer_set(timer, deadline_ns, period_ns): arms the timer (needs Manage) for the
    // absolute monotonic `deadline_ns`, then every `period_ns` after it (0: once), and
    // clears Fired. -InvalidArgument (a period under minimum_timer_period_ns), and the
    // handle errors.
    TimerSet = 28,
    // timer_cancel(timer): disarms the timer and clears Fired (needs Manage).
    TimerCancel = 29,
    // object_wait(handle, signals, deadline_ns): blocks until any bit of `signals`
    // (ABI/Signals.h) is raised on the object (needs Wait) and returns the object's
    // signals as observed then; -TimedOut once the monotonic clock reaches `deadline_ns`
    // (ABI::no_deadline: never). -InvalidArgument (no bit, unknown bits, or bits this
    // type never raises), -NotSupported (an object without signals), the handle errors.
    ObjectWait = 30,
    // interrupt_create(interrupt_range, line, flags): binds interrupt `line` (a GSI, or an
    // ISA IRQ with InterruptFlag::IsaIrq) inside the range (needs Manage) and returns an
    // Interrupt handle with Wait, Signal, Duplicate and Transfer. -InvalidArgument
    // (flags), -OutOfRange (line outside the range), -Busy (the kernel's own line, or
    // bound already), -NotFound (no I/O APIC serves the line), -OutOfMemory.
    InterruptCreate = 31,
    // interrupt_ack(interrupt): clears Triggered and unmasks the line (needs Signal).
    InterruptAck = 32,
    // ioport_read(ioport_range, port, width): reads 1, 2 or 4 bytes from `port` (needs
    // Read). -InvalidArgument (width), -OutOfRange ([port, port + width) outside the
    // range), -Busy (a port the kernel drives).
    IoPortRead = 33,
    // ioport_write(ioport_range, port, width, value): writes `value` (needs Write).
    // Errors as ioport_read, and -InvalidArgument for a value wider than `width`.
    IoPortWrite = 34,
    // resource_narrow(handle, base, count): a new handle, with the same rights, to a new
    // IoPortRange, MmioRange or InterruptRange covering [base, base + count) of the
    // handle's range (needs Duplicate). -InvalidArgument (count 0, or an MMIO range not
    // page-aligned), -OutOfRange (not inside the range), -WrongType, the handle errors.
    ResourceNarrow = 35,
    // clock_monotonic(): nanoseconds since boot on the kernel's monotonic clock.
    ClockMonotonic = 36,
    // handle_revoke(handle): closes the handle and every handle duplicated from it, directly
    // or through others, in the caller's table; returns how many were closed. -BadHandle.
    HandleRevoke = 37,
    // channel_create(qos, HandleValue handles[2]): a new channel (ABI/Channel.h) of the given
    // ChannelQos, and a handle to each endpoint with Read, Write, Wait, Duplicate and
    // Transfer, stored in `handles`. -InvalidArgument (qos), -BadAddress, -OutOfMemory,
    // -OutOfRange.
    ChannelCreate = 38,
    // channel_write(channel, const void* bytes, byte_count, const HandleValue* handles,
    // handle_count, flags): queues a message for the other endpoint (needs Write); the
    // handles (each needs Transfer) move with it. flags must be 0. -InvalidArgument (sizes
    // over the limits, a handle listed twice, either endpoint of the channel), -BadAddress,
    // -PeerClosed, -TimedOut (latency-sensitive: no room within the park limit),
    // -WouldBlock (bulk: the spill is full), the handle errors, -OutOfMemory.
    ChannelWrite = 39,
    // channel_read(channel, ChannelReadBuffer* buffer, flags): takes the first message
    // queued for this endpoint (needs Read) into the buffers the block names, and stores
    // its sizes. Never blocks (wait for Readable with object_wait). -WouldBlock (nothing
    // queued), -PeerClosed (nothing queued, other end closed), -BufferTooSmall (sizes
    // stored, message kept), -BadAddress, -OutOfRange / -OutOfMemory (no room for the
    // handles; message kept), the handle errors.
    ChannelRead = 40,
    // channel_call(channel, ChannelCallArguments* arguments): sends the request (as
    // channel_write; needs Read and Write) with a transaction id the kernel sets in its
    // header, and waits for the peer's reply carrying that id, which it delivers into the
    // reply buffers (as channel_read) and whose sizes it stores. The thread that reads the
    // request runs at least at the caller's priority until it replies. channel_write's
    // errors, -InvalidArgument (a request under channel_call_minimum_bytes, flags),
    // -TimedOut (no reply by the deadline; a later reply is queued as a message),
    // -PeerClosed (the server's end closed while waiting), -BufferTooSmall (the reply
    // stays queued; sizes stored).
    ChannelCall = 41,
    // channel_statistics(audit_log, channel, ChannelStatistics* statistics): the channel's
    // counters. Needs Read on the audit log (the diagnostics privilege, process 1's) and
    // any handle to either endpoint. -BadAddress, the handle errors.
    ChannelStatistics = 42,
    // object_wait_many(WaitItem* items, uint64_t count, uint64_t deadline_ns): waits until
    // any item's object raises any of the item's `wanted` signals (ABI/Signals.h; every
    // handle needs Wait) and returns the index of the first such item, its auto-clear bits
    // consumed; every item's `observed` is written back with its object's signals as the
    // wait ended. -TimedOut (items written back too) once the monotonic clock reaches
    // deadline_ns (no_deadline: never). count is 1 to wait_many_maximum_items.
    // -InvalidArgument (count, a mask as object_wait refuses it), -BadAddress,
    // -NotSupported (an object without signals), the handle errors; a bad item fails the
    // whole call before anything waits.
    ObjectWaitMany = 43,
    // port_create(flags): a new, empty port (ABI/Port.h) and a handle with Read, Write,
    // Duplicate and Transfer; flags must be 0. -InvalidArgument, -OutOfMemory, -OutOfRange.
    PortCreate = 44,
    // port_bind(port, handle, signals, key, flags): from now on the port queues a signal
    // packet carrying `key` when the object raises any of `signals` (needs Write on the
    // port, Wait on the object): once (one-shot, flags 0) or on every rise from clear
    // (PortBindFlag::Persistent). -InvalidArgument (flags, signals as object_wait refuses
    // them), -NotSupported (an object without signals), -OutOfRange (port_maximum_bindings),
    // -OutOfMemory, the handle errors.
    PortBind = 45,
    // port_wait(port, PortPacket* packet, deadline_ns): takes the oldest packet and copies
    // it out (needs Read). 0, or -TimedOut, -BadAddress, the handle errors.
    PortWait = 46,
    // port_queue(port, const PortPacket* packet): queues a user packet with the packet's key
    // and payload (needs Write). -InvalidArgument (type not User, signals not 0),
    // -OutOfRange (port_maximum_user_packets queued), -BadAddress, -OutOfMemory, the handle
    // errors.
    PortQueue = 47,
    // futex_wait(uint32_t* address, uint32_t expected, deadline_ns): if the aligned word at
    // `address` still holds `expected`, sleeps until futex_wake on the same address of this
    // process wakes it; otherwise -WouldBlock at once. 0, or -TimedOut, -InvalidArgument
    // (not 4-byte aligned, expected wider than 32 bits), -BadAddress.
    FutexWait = 48,
    // futex_wake(uint32_t* address, count): wakes up to `count` threads of this process
    // waiting on `address`, oldest first, and returns how many it woke. -InvalidArgument
    // (alignment), -BadAddress (outside user space).
    FutexWake = 49,
    // channel_serve(channel, ChannelServeArguments* arguments): a server's turn in one
    // call. With ChannelServeFlag::Reply it first writes the reply (as channel_write; needs
    // Write); then it waits, until the deadline, for the next message and reads it (as
    // channel_read; needs Read). A request that a call sends while the server waits here is
    // handed to it directly, and on one CPU the kernel switches from the caller to the
    // server and back with no scheduling decision (docs/ipc.md#fast-path). 0, or
    // channel_write's errors (the reply was not sent, nothing was read), or channel_read's
    // but -WouldBlock, -TimedOut, -Interrupted; reply_sent says whether a reply went out.
    ChannelServe = 50,
    // thread_set_affinity(cpu_mask): restricts the calling thread to the CPUs whose bits
    // are set (bit n: CPU n), moving it at once if it runs elsewhere. -InvalidArgument (no
    // online CPU in the mask, or a deadline-class thread whose CPU the mask leaves out).
    ThreadSetAffinity = 51,
    // thread_yield(): lets other runnable threads of the calling thread's CPU run first (the
    // rest of its turn: a fair thread its current request, a fixed-priority one its place
    // in its level). Always 0.
    ThreadYield = 52,
    // channel_call_registers: channel_call for a short request and reply held in registers
    // (docs/ipc.md#register-form; the layout is ABI/Channel.h's channel_register_*). In:
    // RDI the channel (needs Read and Write), RSI the request's byte count
    // (channel_call_minimum_bytes to channel_register_message_bytes), RBX the deadline
    // (no_deadline: none), the message registers the request's bytes; the kernel sets the
    // transaction id in its header. Out: RSI the reply's byte count and the message
    // registers its bytes (the registers beyond them keep what they held). A reply with
    // handles or more bytes stays queued: -BufferTooSmall, with RSI its byte count and
    // RDX its handle count. Otherwise channel_call's errors.
    ChannelCallRegisters = 53,
    // channel_serve_registers: channel_serve with the reply and the next message in
    // registers (docs/ipc.md#register-form). In: RDI the channel (needs Read; Write too with
    // a reply), RSI the reply's byte count (0: no reply; else up to
    // channel_register_message_bytes), RBX the deadline, the message registers the reply's
    // bytes. Out: RDI 1 if the reply went out, else 0; RSI and the message registers the
    // message read, as for channel_call_registers (-BufferTooSmall likewise: the message
    // stays queued for channel_read or channel_serve). Otherwise channel_serve's errors.
    ChannelServeRegisters = 54,
    // thread_set_pointer(address): makes `address` the calling thread's thread pointer, the
    // base of its FS segment (thread-local storage: %fs:0 reads the word at `address`). Each
    // thread has its own, 0 when it starts, kept across switches. -InvalidArgument (an
    // address outside user space).
    ThreadSetPointer = 55,
    // serial_console_read(console, buffer, capacity): moves up to `capacity` bytes the
    // serial console received into `buffer` and returns how many (needs Read). With none
    // waiting, -WouldBlock: object_wait for Readable. docs/console.md.
    SerialConsoleRead = 56,
    // serial_console_write(console, bytes, count): sends `count` bytes to the serial console
    // as they are, escapes included, between kernel log records (needs Write). Returns
    // `count`. At most serial_console_maximum_write bytes per call.
    SerialConsoleWrite = 57,
    // system_power(system, action): an ABI::PowerAction (needs Manage on the SystemControl).
    // Does not return on success; -InvalidArgument for an unknown action.
    SystemPower = 58,
    // system_log_read(system, buffer, capacity, skip): copies the kernel log's kept history
    // (its last 64 KiB), oldest first, from `skip` bytes past its oldest kept byte, and
    // returns how many bytes it copied: 0 past the end (needs Read).
    SystemLogRead = 59,
    // system_memory_info(system, info): writes an ABI::MemoryInfo (needs Read).
    SystemMemoryInfo = 60,
    // clock_wall(): the time of day, UTC, as Unix seconds (the RTC read at boot plus the
    // monotonic time since); 0 when the RTC gave no valid time.
    ClockWall = 61,
    // system_process_list(system, ProcessInfo* buffer, capacity): writes up to `capacity`
    // records of the processes that exist, in creation order, and returns how many exist
    // (needs Read on the SystemControl).
    SystemProcessList = 62,
    // system_process_kill(system, id): ends the process with that id, as process_kill does
    // (needs Manage). -NotFound for no such process; -AccessDenied for process 1, whose end
    // would end the system.
    SystemProcessKill = 63,
    // system_framebuffer(system, FramebufferInfo* info): hands the boot framebuffer to the
    // caller: writes where it is and how its pixels are laid out, and the kernel stops
    // drawing its log there (the log stays on the serial port). Needs Manage. -NotFound
    // when the kernel has no framebuffer console (none, or not direct-colour RGB).
    SystemFramebuffer = 64,
    // system_pci_segments(system, PciSegment* buffer, capacity): writes up to `capacity` of
    // the PCI configuration windows the ACPI MCFG lists and returns how many there are
    // (needs Read). 0 without an MCFG.
    SystemPciSegments = 65,
    // memory_object_create_dma(mmio_range, size, uint64_t* physical_base): `size` bytes of
    // physically contiguous RAM, zeroed, for a device to reach by DMA (at most 4 MiB); its
    // first byte's physical address is written. Needs Map on an MmioRange, a driver's
    // authority. Returns a handle with Read, Write, Map, Duplicate, Transfer.
    // -InvalidArgument (size), -OutOfRange (over 4 MiB), -OutOfMemory, -BadAddress.
    MemoryObjectCreateDma = 66,
    // interrupt_create_message(interrupt_range, InterruptMessage* message): an interrupt
    // with a vector of its own and no line, for a device's MSI or MSI-X; writes the
    // address and data the device must write to raise it. Needs Manage on an
    // InterruptRange covering every line the I/O APICs serve, as process 1's does (vectors
    // are the machine's, not a line's: a driver given a narrowed range cannot take them). Returns an
    // Interrupt handle with
    // Wait, Signal, Duplicate and Transfer. -OutOfRange (a narrowed range), -Busy (no free
    // vector), -OutOfMemory, -BadAddress.
    InterruptCreateMessage = 67,
    // pci_device_create(interrupt_range, address): a PciDevice for the PCI function at
    // `address` (ABI::pci_device_address: segment, bus, device, function). Needs Manage on
    // an InterruptRange covering every I/O APIC line (the device authority, as for 67).
    // With an IOMMU that translates the function, its domain is made (or shared with the
    // function's other PciDevices) and the function can reach only the DMA memory made for
    // it. Returns a handle with Map, Duplicate, Transfer. -InvalidArgument (address),
    // -OutOfRange (a narrowed range), -OutOfMemory, -Busy (no domain id left).
    PciDeviceCreate = 68,
    // pci_device_create_dma(pci_device, size, uint64_t* physical_base): as 66, but the
    // memory is also mapped in the device's IOMMU domain, at its physical address, until
    // the memory object goes. Needs Map on the PciDevice. Returns a handle with Read, Write,
    // Map, Duplicate, Transfer. -InvalidArgument (size), -OutOfRange (over 4 MiB),
    // -OutOfMemory, -BadAddress.
    PciDeviceCreateDma = 69,
};

// The most bytes one serial_console_write sends (the kernel log waits for them).
inline constexpr uint64_t serial_console_maximum_write = 4096;

// The longest text debug_log accepts.
inline constexpr uint64_t debug_log_maximum_length = 512;

// The exit status of a thread that a fault in user mode ended: this base less the vector
// (a page fault, vector 14, gives -1014).
inline constexpr int64_t fault_exit_status_base = -1000;

} // namespace ABI
