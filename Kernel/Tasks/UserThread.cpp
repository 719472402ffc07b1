#include <ABI/Syscalls.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/SyscallEntry.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Memory/UserRange.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/UserThread.h>

namespace Kernel::Tasks {

// A friend of Thread, for the user entry fields.
class UserThreads {
public:
    static void set_process(
        Thread& thread, Process& process, Core::u64 second_argument, Core::u64 third_argument)
    {
        thread.m_user_third_argument = third_argument;
        process.ref();
        process.add_thread(thread);
        thread.m_process = &process;
        thread.m_user_second_argument = second_argument;
    }

    static void enter(void*)
    {
        Thread& self = Scheduler::current();
        // Created just before its process began to terminate: it never runs user code.
        // Interrupts go off first, as in the system call return path (Dispatch.cpp).
        Arch::disable_interrupts();
        if (Scheduler::termination_requested(self))
            Scheduler::exit_current(self.process()->exit_status());
        enter_user_mode(self.m_user_instruction_pointer, self.m_user_stack_pointer, self.m_user_argument,
            self.m_user_second_argument, self.m_user_third_argument);
    }

    static void set_entry(Thread& thread, Memory::AddressSpace& address_space, Core::u64 instruction_pointer,
        Core::u64 stack_pointer, Core::u64 argument)
    {
        thread.m_address_space = &address_space;
        thread.m_user_instruction_pointer = instruction_pointer;
        thread.m_user_stack_pointer = stack_pointer;
        thread.m_user_argument = argument;
    }
};

Core::Result<Thread*> create_user_thread(const char* name, Core::u32 cpu, Memory::AddressSpace& address_space,
    Core::u64 instruction_pointer, Core::u64 stack_pointer, Core::u64 argument)
{
    // The stack pointer may sit at the very end of its mapping (the stack grows down), so a
    // zero-length range there is what must be inside user space.
    if (!Memory::is_user_range(instruction_pointer, 1) || !Memory::is_user_range(stack_pointer, 0))
        return Core::ErrorCode::InvalidArgument;
    ThreadOptions options;
    options.has_fpu_state = true;
    Thread* thread = TRY(Thread::create(name, UserThreads::enter, nullptr, cpu, options));
    UserThreads::set_entry(*thread, address_space, instruction_pointer, stack_pointer, argument);
    return thread;
}

Core::Result<Thread*> create_user_thread(const char* name, Core::u32 cpu, Process& process,
    Core::u64 instruction_pointer, Core::u64 stack_pointer, Core::u64 argument, Core::u64 second_argument,
    Core::u64 third_argument)
{
    Thread* thread = TRY(
        create_user_thread(name, cpu, process.address_space(), instruction_pointer, stack_pointer, argument));
    UserThreads::set_process(*thread, process, second_argument, third_argument);
    return thread;
}

namespace {

[[noreturn]] void end_faulting_user_thread(Arch::RegisterState& registers)
{
    Thread& self = Scheduler::current();
    // CR2 only means something for a page fault; for anything else it is stale, possibly
    // another program's fault address, and is not reported.
    Core::u64 address = registers.vector == Arch::page_fault_vector ? Arch::read_cr2() : 0;
    Process* process = self.process();
    // A program that faults in a loop of processes could flood the log: rate limited.
    LOG_RATELIMITED(Log::Level::Warning, 10, 1000,
        "user: {} '{}' ended by {} {} at {:#x} (error code {:#x}, address {:#x}, stack {:#x})",
        process ? "process" : "thread", process ? process->name() : self.name(),
        Arch::exception_mnemonic(registers.vector), Arch::exception_name(registers.vector), registers.rip,
        registers.error_code, address, registers.rsp);
    Core::i64 status = ABI::fault_exit_status_base - static_cast<Core::i64>(registers.vector);
    // The fault is the whole program's: its other threads may depend on what this one was
    // doing, so the process ends (the first termination's status stands).
    if (process) {
        (void)process->terminate(status);
        status = process->exit_status();
    }
    Scheduler::exit_current(status);
}

// The page-fault resolver (Interrupts.h): a not-present fault on a user address, from user
// mode or from the kernel copying user memory, is resolved in the address space of the
// thread that faulted, if it has one (kernel threads have none: their user-copy faults are
// always BadAddress).
bool resolve_fault_in_current_address_space(Core::u64 address, const Arch::RegisterState& registers)
{
    constexpr Core::u64 write_access = 1u << 1;
    constexpr Core::u64 instruction_fetch = 1u << 4;
    Memory::AddressSpace* space = Scheduler::current().address_space();
    if (!space)
        return false;
    Memory::FaultAccess access = Memory::FaultAccess::Read;
    if (registers.error_code & instruction_fetch)
        access = Memory::FaultAccess::Execute;
    else if (registers.error_code & write_access)
        access = Memory::FaultAccess::Write;
    return space->resolve_fault(address, access);
}

} // namespace

void initialize_user_fault_handling()
{
    Arch::set_page_fault_resolver(resolve_fault_in_current_address_space);
    Arch::set_user_fault_handler(end_faulting_user_thread);
}

} // namespace Kernel::Tasks
