// The kernel's C++ entry point, reached from Boot.S on the boot CPU in 64-bit mode,
// running on the boot stack in the higher half with interrupts off.
//
// Boot order (docs/boot.md explains each step):
//   1. global constructors          5. framebuffer console
//   2. serial console               6. GDT, TSS and IDT
//   3. monotonic clock              7. embedded symbols for backtraces
//   4. boot information, options    8. in-kernel tests (test kernels) or idle

#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/GDT.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Boot/KernelOptions.h>
#include <Kernel/Console/BootConsoles.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Panic/Panic.h>
#include <Kernel/Runtime/CxxRuntime.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

extern "C" [[noreturn]] void kernel_main(Core::u32 multiboot_magic, Core::u64 multiboot_information_physical)
{
    using namespace Kernel;
    Runtime::run_global_constructors();

    Console::start_serial_console();

    Time::calibrate_monotonic_clock();
    Log::info("RaeenOS {} ({} build) starting", RAEEN_VERSION, RAEEN_BUILD_TYPE);
    Log::info("time: TSC runs at {} kHz", Time::timestamp_counter_frequency_hz() / 1000);

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

    Arch::initialize_gdt_and_tss();
    Arch::initialize_interrupts();
    Log::info("cpu: GDT, TSS (IST stacks for #DF, NMI, #MC) and IDT loaded");

    Panic::load_kernel_symbols();

    if (!options.test_selector.string_view().is_empty())
        Test::run_selected_tests_and_exit(options.test_selector.string_view());

    Log::info("boot complete");
    Arch::halt_forever();
}
