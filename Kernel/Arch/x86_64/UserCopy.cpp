#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/RegisterState.h>
#include <Kernel/Arch/x86_64/UserCopy.h>
#include <Kernel/Memory/UserRange.h>

extern "C" char user_copy_words_instruction[];
extern "C" char user_copy_words_fault[];
extern "C" char user_copy_instruction[];
extern "C" char user_copy_fault[];

namespace Kernel::Arch {

bool is_user_copy_instruction(Core::u64 instruction_pointer)
{
    return instruction_pointer == reinterpret_cast<Core::u64>(user_copy_words_instruction)
        || instruction_pointer == reinterpret_cast<Core::u64>(user_copy_instruction);
}

bool redirect_fault_in_user_copy(RegisterState& registers)
{
    if (registers.vector != page_fault_vector || !is_user_copy_instruction(registers.rip))
        return false;
    // Only a fault on a user address is the user's doing; the copy routine faulting on a
    // kernel address would be a kernel bug, and stays a panic.
    if (!Memory::is_user_range(read_cr2(), 1))
        return false;
    // Resume at the exit path of the instruction that faulted, which returns the count still
    // to copy (from RCX, and RDX for the word loop); the routine touches no other state, so
    // nothing else needs unwinding.
    bool in_word_loop = registers.rip == reinterpret_cast<Core::u64>(user_copy_words_instruction);
    registers.rip = reinterpret_cast<Core::u64>(in_word_loop ? user_copy_words_fault : user_copy_fault);
    return true;
}

} // namespace Kernel::Arch
