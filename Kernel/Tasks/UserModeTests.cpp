// Kernel tests of user mode: threads that run ring-3 code in address spaces of their own,
// make system calls, fault, and cannot see each other's memory.

#include <ABI/ErrorCode.h>
#include <ABI/Syscalls.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Tasks/FirstProgram.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/SchedulerTestSupport.h>
#include <Kernel/Tasks/UserThread.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>
#include <Kernel/Time/Timers.h>

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

    .global user_program_read_and_yield, user_program_read_and_yield_end
user_program_read_and_yield:
    // Adds the first word of its stack page 50 times, making a system call between reads
    // so that the other program of the test gets the CPU, then exits with the sum.
    mov %rsp, %rbx
    sub $4096, %rbx
    xor %r12d, %r12d
    mov $50, %r13d
1:  add (%rbx), %r12
    xor %edi, %edi
    xor %esi, %esi
    mov $1, %eax
    syscall
    dec %r13d
    jnz 1b
    mov %r12, %rdi
    mov $2, %eax
    syscall
    ud2
user_program_read_and_yield_end:

    .global user_program_set_alignment_check, user_program_set_alignment_check_end
user_program_set_alignment_check:
    // Sets RFLAGS.AC (allowed in ring 3), which would turn SMAP off in any kernel code
    // that inherited it, then spins long enough to be interrupted and preempted often.
    pushfq
    orq $0x40000, (%rsp)
    popfq
    mov $30000000, %ecx
1:  dec %rcx
    jnz 1b
    xor %edi, %edi
    mov $2, %eax
    syscall
    ud2
user_program_set_alignment_check_end:

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
extern "C" const Core::u8 user_program_read_and_yield[], user_program_read_and_yield_end[];
extern "C" const Core::u8 user_program_null_read[], user_program_null_read_end[];
extern "C" const Core::u8 user_program_set_alignment_check[], user_program_set_alignment_check_end[];
extern "C" const Core::u8 user_program_privileged_instruction[], user_program_privileged_instruction_end[];
extern "C" const Core::u8 user_program_invalid_opcode[], user_program_invalid_opcode_end[];
extern "C" const Core::u8 user_program_kernel_write[], user_program_kernel_write_end[];

namespace {

namespace Memory = Kernel::Memory;
using Kernel::Tasks::Scheduler;
using Kernel::Tasks::Thread;

// Where the programs run: a code page (read and execute) and a stack page (read and
// write) in the user half of a fresh address space.
constexpr Core::u64 user_code_page = 0x0000000000400000ull;
constexpr Core::u64 user_stack_page = 0x00007FFFFFFF0000ull;
constexpr Core::u64 page_size = 4096;

// An address space with a program and a stack mapped, freed (tables and frames) at the end.
class UserProgram {
public:
    UserProgram(const Core::u8* program, const Core::u8* program_end)
    {
        auto space = Memory::AddressSpace::create();
        if (space.is_error())
            return;
        m_space = space.value();
        auto size = static_cast<Core::usize>(program_end - program);
        auto code = Memory::allocate_physical_page(Memory::PageUse::Other);
        auto stack = Memory::allocate_physical_page(Memory::PageUse::Other);
        if (!code.is_error())
            m_code_frame = code.value();
        if (!stack.is_error())
            m_stack_frame = stack.value();
        if (code.is_error() || stack.is_error() || size > page_size)
            return;
        // The frames are fresh RAM, reached through the direct map; the program is smaller
        // than a page (checked), so the copy stays inside the code frame. Every user page
        // starts fully written: the program, then int3 padding; the stack zeroed.
        auto* code_bytes = static_cast<Core::u8*>(Memory::physical_to_virtual(m_code_frame));
        auto* stack_bytes = static_cast<Core::u8*>(Memory::physical_to_virtual(m_stack_frame));
        for (Core::usize index = 0; index < page_size; ++index) {
            code_bytes[index] = index < size ? program[index] : 0xCC;
            stack_bytes[index] = 0;
        }
        Kernel::Arch::PageProtection code_protection { .writable = false, .executable = true, .user = true };
        Kernel::Arch::PageProtection stack_protection { .writable = true, .executable = false, .user = true };
        m_ready = !m_space->map_page(user_code_page, m_code_frame, code_protection).is_error()
            && !m_space->map_page(user_stack_page, m_stack_frame, stack_protection).is_error();
    }
    ~UserProgram()
    {
        if (m_space) {
            (void)m_space->unmap_page(user_code_page);
            (void)m_space->unmap_page(user_stack_page);
            delete m_space;
        }
        if (m_code_frame)
            Memory::free_physical_page(m_code_frame);
        if (m_stack_frame)
            Memory::free_physical_page(m_stack_frame);
    }
    [[nodiscard]] bool is_ready() const { return m_ready; }
    [[nodiscard]] Memory::AddressSpace& space() { return *m_space; }

private:
    Memory::AddressSpace* m_space { nullptr };
    Core::u64 m_code_frame { 0 };
    Core::u64 m_stack_frame { 0 };
    bool m_ready { false };
};

constexpr Core::i64 did_not_finish = 0x7FFFFFFF;

// Starts the program in a user thread on `cpu`; the caller waits for it.
Thread* start_user_program(
    Kernel::Test::TestContext& test_context, UserProgram& program, Core::u32 cpu, Core::u64 argument = 0)
{
    EXPECT(program.is_ready());
    if (!program.is_ready())
        return nullptr;
    auto thread = Kernel::Tasks::create_user_thread(
        "user test", cpu, program.space(), user_code_page, user_stack_page + page_size, argument);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return nullptr;
    Scheduler::start(*thread.value());
    return thread.value();
}

Core::i64 wait_for_exit_status(Kernel::Test::TestContext& test_context, Thread* thread)
{
    if (!thread)
        return did_not_finish;
    Thread* threads[1] = { thread };
    bool exited = Kernel::Tasks::TestSupport::wait_for_exit(threads, 1, 5'000'000'000);
    EXPECT(exited);
    return exited ? thread->exit_status() : did_not_finish;
}

// Runs the program in a user thread on `cpu` in an address space of its own and returns
// its exit status (or a value no program produces if it could not run or did not finish).
Core::i64 run_user_program(Kernel::Test::TestContext& test_context, const Core::u8* program,
    const Core::u8* program_end, Core::u32 cpu)
{
    UserProgram user_program(program, program_end);
    return wait_for_exit_status(test_context, start_user_program(test_context, user_program, cpu));
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
    auto space = Memory::AddressSpace::create();
    EXPECT(!space.is_error());
    if (space.is_error())
        return;
    Memory::AddressSpace& address_space = *space.value();
    EXPECT(Kernel::Tasks::create_user_thread("bad", 0, address_space, 0, user_stack_page, 0).is_error());
    EXPECT(
        Kernel::Tasks::create_user_thread("bad", 0, address_space, 0xFFFFFFFF80000000ull, user_stack_page, 0)
            .is_error());
    EXPECT(
        Kernel::Tasks::create_user_thread("bad", 0, address_space, user_code_page, 0xFFFF800000000000ull, 0)
            .is_error());
    delete space.value();
}

// Two address spaces map different frames at the same user address: each program reads its
// own. Both run on one CPU, so switching from one to the other changes CR3.
KERNEL_TEST(user_mode, address_spaces_are_isolated)
{
    UserProgram first(user_program_read_and_yield, user_program_read_and_yield_end);
    UserProgram second(user_program_read_and_yield, user_program_read_and_yield_end);
    // The programs read their stack page's first word, which each space's frame holds
    // differently: write the values through the direct map.
    auto place_value = [&](UserProgram& program, Core::u64 value) {
        auto translation = program.space().translate(user_stack_page);
        EXPECT(translation.has_value());
        if (!translation.has_value())
            return false;
        // The stack frame is RAM, reached through the direct map; the word is its first.
        *static_cast<Core::u64*>(Memory::physical_to_virtual(translation->physical_address)) = value;
        return true;
    };
    if (!place_value(first, 111) || !place_value(second, 222))
        return;
    // Nothing of either shows in the kernel's own address space.
    EXPECT(!Memory::translate(user_stack_page).has_value());
    Core::u32 cpu = Kernel::Tasks::TestSupport::test_cpu();
    Thread* first_thread = start_user_program(test_context, first, cpu);
    Thread* second_thread = start_user_program(test_context, second, cpu);
    EXPECT_EQ(wait_for_exit_status(test_context, first_thread), 111 * 50);
    EXPECT_EQ(wait_for_exit_status(test_context, second_thread), 222 * 50);
}

// The first program, from the initial RAM disk the test boot was given: the archive and the
// executable pass their checks, it loads at a random base with its relocations applied,
// makes its system calls and exits with 0 (anything else names the check that failed).
KERNEL_TEST(user_mode, the_first_program_runs_from_the_initial_ramdisk)
{
    // Checks only: at boot init goes on to supervise the services, and never exits.
    auto thread = Kernel::Tasks::start_first_program(
        Kernel::Tasks::TestSupport::test_cpu(), Kernel::Tasks::first_program_checks_only);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return;
    auto status = Scheduler::join(*thread.value());
    EXPECT(!status.is_error());
    if (!status.is_error())
        EXPECT_EQ(status.value(), 0);
}

KERNEL_TEST(user_mode, join_refuses_what_can_never_exit)
{
    EXPECT(Scheduler::join(Scheduler::current()).is_error());
    auto thread = Thread::create(
        "never started", [](void*) {}, nullptr, 0);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return;
    EXPECT(Scheduler::join(*thread.value()).is_error());
    Scheduler::start(*thread.value());
    auto status = Scheduler::join(*thread.value());
    EXPECT(!status.is_error());
    EXPECT(thread.value()->state() == Thread::State::Exited);
}

// A user program that sets RFLAGS.AC cannot switch SMAP off for the kernel: the timer
// interrupts that arrive while it runs must find AC clear in their handlers, and so must a
// kernel thread sharing its CPU.
KERNEL_TEST(user_mode, a_user_alignment_check_flag_never_reaches_the_kernel)
{
    struct Watch {
        Kernel::Time::Timer timer;
        volatile bool stop;
        Core::u64 samples;
        Core::u64 with_alignment_check;
    };
    static Watch watch;
    watch.stop = false;
    watch.samples = 0;
    watch.with_alignment_check = 0;
    constexpr Core::u64 alignment_check_flag = 1ull << 18;
    // Samples AC inside the timer interrupt's handler, every 200 us, on the program's CPU.
    watch.timer.callback = [](Kernel::Time::Timer& timer, void*) {
        ++watch.samples;
        if (Kernel::Arch::read_flags() & alignment_check_flag)
            ++watch.with_alignment_check;
        if (!watch.stop)
            Kernel::Time::arm_timer(timer, Kernel::Time::monotonic_nanoseconds() + 200'000);
    };
    Core::u32 cpu = Kernel::Tasks::TestSupport::test_cpu();
    Kernel::Arch::run_on_processor(
        cpu,
        [](void*) { Kernel::Time::arm_timer(watch.timer, Kernel::Time::monotonic_nanoseconds() + 200'000); },
        nullptr);
    UserProgram program(user_program_set_alignment_check, user_program_set_alignment_check_end);
    EXPECT_EQ(wait_for_exit_status(test_context, start_user_program(test_context, program, cpu)), 0);
    watch.stop = true;
    Kernel::Tasks::TestSupport::sleep_for(2'000'000);
    Kernel::Arch::run_on_processor(
        cpu, [](void*) { (void)Kernel::Time::cancel_timer(watch.timer); }, nullptr);
    EXPECT(watch.samples > 10);
    EXPECT_EQ(watch.with_alignment_check, 0u);
}
