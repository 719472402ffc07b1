// Kernel tests of user mode: threads that run ring-3 code on user pages (mapped into the
// kernel's address space for the test), make system calls, and fault.

#include <ABI/ErrorCode.h>
#include <ABI/Syscalls.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/SchedulerTestSupport.h>
#include <Kernel/Tasks/UserThread.h>
#include <Kernel/Test/KernelTest.h>

// The user programs, assembled here and copied onto a user page. They are position
// independent (RIP-relative data), use only the system call ABI, and never return.
//
// user_program_system_calls exits with a status whose bits report what its calls returned:
//   1: debug_log of its own message returned 0
//   2: an unknown system call number returned -NotSupported (8)
//   4: debug_log of a kernel address returned -BadAddress (16)
//   8: debug_log of NULL returned -BadAddress
//  16: debug_log longer than the limit returned -InvalidArgument (1)
//  32: RBX, RBP and R12-R15 (which the kernel must preserve) survived every call
//
// The others each raise one fault: a NULL read, a privileged instruction, an invalid
// opcode, a write to the kernel's memory.
//
// Invariant: these bytes are only data to the kernel (copied with memcpy); they run in
// ring 3 on the test's user page, where they touch only registers and their own page.
asm(R"(
    .pushsection .rodata.user_programs, "a"
    .global user_program_system_calls, user_program_system_calls_end
user_program_system_calls:
    mov $0x1111, %rbx
    mov $0x2222, %rbp
    mov $0x1212, %r12
    mov $0x1313, %r13
    mov $0x1414, %r14
    xor %r15d, %r15d
    lea 90f(%rip), %rdi
    mov $(91f - 90f), %esi
    mov $1, %eax
    syscall
    test %rax, %rax
    jnz 1f
    or $1, %r15
1:  mov $999, %eax
    syscall
    cmp $-8, %rax
    jne 2f
    or $2, %r15
2:  movabs $0xFFFFFFFF80000000, %rdi
    mov $8, %esi
    mov $1, %eax
    syscall
    cmp $-16, %rax
    jne 3f
    or $4, %r15
3:  xor %edi, %edi
    mov $8, %esi
    mov $1, %eax
    syscall
    cmp $-16, %rax
    jne 4f
    or $8, %r15
4:  lea 90f(%rip), %rdi
    mov $513, %esi
    mov $1, %eax
    syscall
    cmp $-1, %rax
    jne 5f
    or $16, %r15
5:  cmp $0x1111, %rbx
    jne 6f
    cmp $0x2222, %rbp
    jne 6f
    cmp $0x1212, %r12
    jne 6f
    cmp $0x1313, %r13
    jne 6f
    cmp $0x1414, %r14
    jne 6f
    or $32, %r15
6:  mov %r15, %rdi
    mov $2, %eax
    syscall
    ud2
90: .ascii "hello from ring 3"
91:
user_program_system_calls_end:

    .global user_program_null_read, user_program_null_read_end
user_program_null_read:
    mov 0, %rax
    ud2
user_program_null_read_end:

    .global user_program_privileged_instruction, user_program_privileged_instruction_end
user_program_privileged_instruction:
    hlt
user_program_privileged_instruction_end:

    .global user_program_invalid_opcode, user_program_invalid_opcode_end
user_program_invalid_opcode:
    ud2
user_program_invalid_opcode_end:

    .global user_program_kernel_write, user_program_kernel_write_end
user_program_kernel_write:
    movabs $0xFFFFFFFF80100000, %rax
    movq $0, (%rax)
    ud2
user_program_kernel_write_end:
    .popsection
)");

extern "C" const Core::u8 user_program_system_calls[], user_program_system_calls_end[];
extern "C" const Core::u8 user_program_null_read[], user_program_null_read_end[];
extern "C" const Core::u8 user_program_privileged_instruction[], user_program_privileged_instruction_end[];
extern "C" const Core::u8 user_program_invalid_opcode[], user_program_invalid_opcode_end[];
extern "C" const Core::u8 user_program_kernel_write[], user_program_kernel_write_end[];

namespace {

namespace Memory = Kernel::Memory;
using Kernel::Tasks::Scheduler;
using Kernel::Tasks::Thread;

// A user code page (read and execute) and a user stack page (read and write) in the user
// half of the kernel's address space, no other test uses.
constexpr Core::u64 user_code_page = 0x0000004000600000ull;
constexpr Core::u64 user_stack_page = 0x0000004000800000ull;
constexpr Core::u64 page_size = 4096;

class UserProgramPages {
public:
    UserProgramPages(const Core::u8* program, const Core::u8* program_end)
    {
        auto code = Memory::allocate_physical_page(Memory::PageUse::Other);
        auto stack = Memory::allocate_physical_page(Memory::PageUse::Other);
        if (code.is_error() || stack.is_error()) {
            if (!code.is_error())
                Memory::free_physical_page(code.value());
            if (!stack.is_error())
                Memory::free_physical_page(stack.value());
            return;
        }
        m_code_frame = code.value();
        m_stack_frame = stack.value();
        // The frames are fresh RAM, reached through the direct map; the program is smaller
        // than a page (checked), so the copy stays inside the code frame.
        auto size = static_cast<Core::usize>(program_end - program);
        if (size > page_size)
            return;
        auto* code_bytes = static_cast<Core::u8*>(Memory::physical_to_virtual(m_code_frame));
        for (Core::usize index = 0; index < page_size; ++index)
            code_bytes[index] = index < size ? program[index] : 0xCC;
        Kernel::Arch::PageProtection code_protection { .writable = false, .executable = true, .user = true };
        Kernel::Arch::PageProtection stack_protection { .writable = true, .executable = false, .user = true };
        m_mapped = !Memory::map_kernel_page(user_code_page, m_code_frame, code_protection).is_error()
            && !Memory::map_kernel_page(user_stack_page, m_stack_frame, stack_protection).is_error();
    }
    ~UserProgramPages()
    {
        (void)Memory::unmap_kernel_page(user_code_page);
        (void)Memory::unmap_kernel_page(user_stack_page);
        if (m_code_frame)
            Memory::free_physical_page(m_code_frame);
        if (m_stack_frame)
            Memory::free_physical_page(m_stack_frame);
    }
    [[nodiscard]] bool is_mapped() const { return m_mapped; }

private:
    Core::u64 m_code_frame { 0 };
    Core::u64 m_stack_frame { 0 };
    bool m_mapped { false };
};

// Runs the program in a user thread on `cpu` and returns its exit status (or a value no
// program produces if it could not run or did not finish).
Core::i64 run_user_program(Kernel::Test::TestContext& test_context, const Core::u8* program,
    const Core::u8* program_end, Core::u32 cpu)
{
    constexpr Core::i64 did_not_finish = 0x7FFFFFFF;
    UserProgramPages pages(program, program_end);
    EXPECT(pages.is_mapped());
    if (!pages.is_mapped())
        return did_not_finish;
    auto thread
        = Kernel::Tasks::create_user_thread("user test", cpu, user_code_page, user_stack_page + page_size, 0);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return did_not_finish;
    Scheduler::start(*thread.value());
    Thread* threads[1] = { thread.value() };
    bool exited = Kernel::Tasks::TestSupport::wait_for_exit(threads, 1, 5'000'000'000);
    EXPECT(exited);
    return exited ? thread.value()->exit_status() : did_not_finish;
}

} // namespace

KERNEL_TEST(user_mode, a_thread_runs_in_ring_3_and_makes_system_calls)
{
    for (Core::u32 cpu = 0; cpu < Kernel::Arch::processor_count(); ++cpu)
        EXPECT_EQ(
            run_user_program(test_context, user_program_system_calls, user_program_system_calls_end, cpu),
            63);
}

KERNEL_TEST(user_mode, user_faults_end_the_thread_not_the_kernel)
{
    Core::u32 cpu = Kernel::Tasks::TestSupport::test_cpu();
    EXPECT_EQ(run_user_program(test_context, user_program_null_read, user_program_null_read_end, cpu),
        ABI::fault_exit_status_base - Kernel::Arch::page_fault_vector);
    EXPECT_EQ(run_user_program(test_context, user_program_privileged_instruction,
                  user_program_privileged_instruction_end, cpu),
        ABI::fault_exit_status_base - 13);
    EXPECT_EQ(
        run_user_program(test_context, user_program_invalid_opcode, user_program_invalid_opcode_end, cpu),
        ABI::fault_exit_status_base - 6);
    EXPECT_EQ(run_user_program(test_context, user_program_kernel_write, user_program_kernel_write_end, cpu),
        ABI::fault_exit_status_base - Kernel::Arch::page_fault_vector);
}

KERNEL_TEST(user_mode, user_entry_addresses_are_checked)
{
    EXPECT(Kernel::Tasks::create_user_thread("bad", 0, 0, user_stack_page, 0).is_error());
    EXPECT(Kernel::Tasks::create_user_thread("bad", 0, 0xFFFFFFFF80000000ull, user_stack_page, 0).is_error());
    EXPECT(Kernel::Tasks::create_user_thread("bad", 0, user_code_page, 0xFFFF800000000000ull, 0).is_error());
}
