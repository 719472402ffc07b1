#pragma once

// Process 1: the first user program, `init` in the initial RAM disk (docs/initrd.md), which
// the boot loader passes as the multiboot2 module named "initrd".

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Memory/MemoryObject.h>
#include <Kernel/Objects/HandleTable.h>
#include <Kernel/Tasks/Thread.h>

namespace Kernel::Tasks {

// The path of the first program inside the initial RAM disk.
inline constexpr const char* first_program_path = "init";

// Finds, checks and loads the program at `path` in the initial RAM disk into a new process
// and starts it on CPU `cpu` (ProcessStart.h: the argument in RDI, a handle to its own
// process in RSI, and `startup_handles` listed in the block RDX points at).
// NotFound without an initial RAM disk or without the file in it; Malformed or NotSupported
// for an archive or executable that does not pass the checks; OutOfMemory. A `critical`
// process cannot be killed by id (system_process_kill): process 1.
[[nodiscard]] Core::Result<Thread*> start_program_from_initial_ramdisk(const char* path, Core::u32 cpu,
    Core::u64 argument, Core::Span<Objects::HandleTable::Entry> startup_handles = {}, bool critical = false);

// The initial RAM disk as a memory object, for user space to read its files (the shell's
// programs, init's manifest): a copy, so that no program ever maps the boot module's frames,
// which the memory manager keeps out of its accounting. NotFound without one; OutOfMemory.
[[nodiscard]] Core::Result<Core::RefPtr<Memory::MemoryObject>> initial_ramdisk_object();

// Process 1: /init, privileged. Its start-up handles, in this order (docs/devices.md):
//   0. the security audit log (Read; Security/AuditLog.h), which no other process is given;
//   1. an IoPortRange over every port, 0 to 0xFFFF (Read, Write, Duplicate, Transfer);
//   2. an MmioRange over the physical addresses above RAM (MmioRange::create_above_ram;
//      Read, Write, Map, Duplicate, Transfer);
//   3. an InterruptRange over every GSI an I/O APIC serves (Manage, Duplicate, Transfer).
//   4. the initial RAM disk, a copy in a memory object (Read, Map, Duplicate, Transfer);
//   5. the serial console (Console/SerialConsole.h; Read, Write, Wait, Duplicate, Transfer);
//   6. the system control (Platform/SystemControl.h; Read, Manage, Duplicate, Transfer).
// `argument` reaches init in RDI: 0 at boot (check, then start and supervise the services);
// first_program_checks_only for the kernel test that runs it, which checks and exits.
inline constexpr Core::u64 first_program_checks_only = 1;
[[nodiscard]] Core::Result<Thread*> start_first_program(Core::u32 cpu, Core::u64 argument = 0);

} // namespace Kernel::Tasks
