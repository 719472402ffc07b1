#pragma once

// Threads that run user code (ring 3) in a user address space, and what happens when user
// code faults. Processes (issue M1.5) group such threads with their address space and
// handles.

#include <Core/Error.h>
#include <Core/Types.h>
#include <Kernel/Tasks/Process.h>
#include <Kernel/Tasks/Thread.h>

namespace Kernel::Tasks {

// A thread that, once started with Scheduler::start(), runs on `address_space` and enters
// user mode at `instruction_pointer` with `stack_pointer` and `argument` in RDI. It gets its
// own FPU state. The address space must outlive it. InvalidArgument when either address is
// not in user space; otherwise as Thread::create.
[[nodiscard]] Core::Result<Thread*> create_user_thread(const char* name, Core::u32 cpu,
    Memory::AddressSpace& address_space, Core::u64 instruction_pointer, Core::u64 stack_pointer,
    Core::u64 argument);

// The same for a thread of `process`, on its address space, with `second_argument` in RSI
// and `third_argument` in RDX;
// the thread keeps the process alive until it has exited and its stack is gone. When the
// process's last thread is gone, the process closes all its handles.
[[nodiscard]] Core::Result<Thread*> create_user_thread(const char* name, Core::u32 cpu, Process& process,
    Core::u64 instruction_pointer, Core::u64 stack_pointer, Core::u64 argument, Core::u64 second_argument,
    Core::u64 third_argument = 0);

// Makes faults raised in user mode end the faulting thread, with a report in the kernel log
// and the exit status ABI::fault_exit_status_base - vector, instead of a panic. Called once
// at boot. Also installs the page-fault resolver that makes mapped pages present on first
// touch (Memory::AddressSpace::resolve_fault) in the faulting thread's address space.
void initialize_user_fault_handling();

} // namespace Kernel::Tasks
