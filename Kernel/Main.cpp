// The kernel's C++ entry point, reached from Boot.S on the boot CPU in 64-bit mode,
// running on the boot stack in the higher half with interrupts off.
//
// Boot order (docs/boot.md explains each step):
//   1. stack canary, global constructors   6. framebuffer console, embedded symbols
//   2. GDT, TSS and IDT                    7. CPU protections (SMEP, SMAP, UMIP, ...), FPU,
//                                             system call entry
//   3. serial console                      8. memory: frames, kernel address space
//   4. monotonic clock                     9. in-kernel tests (test kernels) or idle
//   5. boot information, options

#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/CPUFeatures.h>
#include <Kernel/Arch/x86_64/FpuState.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/SyscallEntry.h>
#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Boot/KernelOptions.h>
#include <Kernel/Console/BootConsoles.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Memory/Heap.h>
#include <Kernel/Memory/MemoryManager.h>
#include <Kernel/Panic/Panic.h>
#include <Kernel/Platform/Platform.h>
#include <Kernel/Runtime/CxxRuntime.h>
#include <Kernel/Security/StackProtector.h>
#include <Kernel/Tasks/FirstProgram.h>
#include <Kernel/Tasks/Process.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Tasks/UserThread.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

// Built without the stack protector: it is running when the canary is chosen.
extern "C" [[noreturn]] __attribute__((no_stack_protector)) void kernel_main(
    Core::u32 multiboot_magic, Core::u64 multiboot_information_physical)
{
    using namespace Kernel;
    Core::StringView canary_source = Security::initialize_stack_protector();
    Runtime::run_global_constructors();

    // Exceptions are reported from the first instruction that could fault on loader data.
    Arch::activate_processor(Arch::boot_processor());
    Arch::initialize_interrupts();
    Arch::mark_processor_online(Arch::boot_processor());

    Console::start_serial_console();
    Time::calibrate_monotonic_clock();
    Log::info("RaeenOS {} ({} build) starting", RAEEN_VERSION, RAEEN_BUILD_TYPE);
    Log::info("cpu: GDT, TSS (IST stacks for #DF, NMI, #MC) and IDT loaded");
    Log::info("time: TSC runs at {} kHz", Time::timestamp_counter_frequency_hz() / 1000);
    Log::info("security: stack canary from {}", canary_source);

    auto loaded = Boot::load_boot_info(multiboot_magic, multiboot_information_physical);
    if (loaded.is_error())
        Panic::panic("no usable multiboot2 information (magic {:#x}, at {:#x}): {}", multiboot_magic,
            multiboot_information_physical, loaded.error().name());

    Boot::KernelOptions options = Boot::parse_kernel_options(Boot::boot_info().command_line.string_view());
    Boot::set_kernel_options(options);
    Log::set_level(options.log_level);
    for (const auto& problem : options.problems)
        Log::warning("boot: command line: {}", problem.string_view());

    Console::start_framebuffer_console(Boot::boot_info());
    Boot::log_boot_info();
    Panic::load_kernel_symbols();

    Arch::enable_cpu_protections();
    // Before the other CPUs start: the boot CPU's call chooses the FPU configuration they apply.
    Arch::initialize_fpu_on_this_cpu();
    Arch::initialize_syscalls_on_this_cpu();
    Memory::initialize(Boot::boot_info(), multiboot_information_physical);
    Memory::initialize_heap();
    Platform::initialize_platform(Boot::boot_info());
    Tasks::initialize_user_fault_handling();
    Tasks::Process::start_reaper();

    if (!options.test_selector.string_view().is_empty()) {
        if (Test::kernel_has_tests())
            Test::run_selected_tests_and_exit(options.test_selector.string_view());
        Log::warning("boot: this kernel has no built-in tests; test= ignored");
    }

    Log::info("boot complete");
    // User space begins with the first program; this thread waits for it to end, reports
    // how, and ends too, leaving the CPU to its idle thread.
    auto first_program = Tasks::start_first_program(Arch::current_processor_index());
    if (first_program.is_error()) {
        Log::warning("init: cannot start /{}: {}", Tasks::first_program_path, first_program.error().name());
    } else {
        // ./raeen bench reads this line: boot to the first user process, on the kernel's
        // own clock (which starts early in the kernel, before the other CPUs).
        Log::info("init: /{} started as process 1 at {} ns", Tasks::first_program_path,
            Time::monotonic_nanoseconds());
        auto status = Tasks::Scheduler::join(*first_program.value());
        if (!status.is_error() && status.value() == 0)
            Log::info("init: /{} exited with status 0", Tasks::first_program_path);
        else if (!status.is_error())
            Log::warning("init: /{} exited with status {}", Tasks::first_program_path, status.value());
    }
    Tasks::Scheduler::exit_current();
}
