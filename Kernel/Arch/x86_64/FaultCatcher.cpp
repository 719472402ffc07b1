#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/FaultCatcher.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/RegisterState.h>

namespace Kernel::Arch {

namespace {

struct RecoveryContext {
    Core::u64 rbx;
    Core::u64 rbp;
    Core::u64 r12;
    Core::u64 r13;
    Core::u64 r14;
    Core::u64 r15;
    Core::u64 stack_pointer;
    Core::u64 return_address;
};
static_assert(sizeof(RecoveryContext) == 64, "layout shared with FaultCatcherEntry.S");

constexpr Core::u64 general_protection_vector = 13;
constexpr Core::u64 page_fault_vector = 14;
constexpr Core::u64 alignment_check_flag = 1ull << 18;

// The active catch of each CPU, by processor index.
RecoveryContext* s_active_contexts[max_processors] {};
CaughtFault s_caught_faults[max_processors];

} // namespace

extern "C" Core::u64 fault_catcher_run(RecoveryContext* context, void (*function)(void*), void* argument);
extern "C" char fault_catcher_resume[];

Core::Optional<CaughtFault> catch_fault(void (*function)(void*), void* argument)
{
    RecoveryContext context {};
    Core::u32 cpu = current_processor_index();
    VERIFY(s_active_contexts[cpu] == nullptr);
    s_active_contexts[cpu] = &context;
    Core::u64 faulted = fault_catcher_run(&context, function, argument);
    s_active_contexts[cpu] = nullptr;
    if (!faulted)
        return {};
    return s_caught_faults[cpu];
}

bool redirect_fault_to_catcher(RegisterState& registers)
{
    Core::u32 cpu = current_processor_index();
    RecoveryContext* context = s_active_contexts[cpu];
    if (!context)
        return false;
    if (registers.vector != page_fault_vector && registers.vector != general_protection_vector)
        return false;
    // Only the kernel code under test is caught; a user program's fault is its own.
    if ((registers.cs & 3) != 0)
        return false;
    s_caught_faults[cpu] = { registers.vector, registers.error_code, read_cr2(), registers.rip };
    // Resume in fault_catcher_resume with the context in RDI; it switches to the saved
    // stack itself. AC is cleared so that a fault inside a user-access window does not
    // leave SMAP disabled.
    registers.rip = reinterpret_cast<Core::u64>(fault_catcher_resume);
    registers.rdi = reinterpret_cast<Core::u64>(context);
    registers.rflags &= ~alignment_check_flag;
    s_active_contexts[cpu] = nullptr;
    return true;
}

} // namespace Kernel::Arch
