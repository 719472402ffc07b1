// The kernel's C++ entry point, reached from Boot.S on the boot CPU in 64-bit mode,
// running on the boot stack in the higher half with interrupts off.
//
// Boot order (docs/boot.md explains each step):
//   1. global constructors          5. framebuffer console
//   2. serial console               6. GDT, TSS and IDT
//   3. monotonic clock              7. embedded symbols for backtraces
//   4. boot information, options    8. in-kernel tests (test kernels) or idle

#include <Core/Optional.h>
#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/GDT.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Boot/KernelOptions.h>
#include <Kernel/Boot/Multiboot2.h>
#include <Kernel/Console/Font.h>
#include <Kernel/Console/FramebufferConsole.h>
#include <Kernel/Console/Serial16550.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Panic/Panic.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Runtime {
void run_global_constructors();
}

namespace Kernel {

namespace {

Core::Optional<Console::Serial16550> s_serial_console;
Core::Optional<Console::FramebufferConsole> s_framebuffer_console;
Boot::BootInfo s_boot_info;

// Reads the multiboot2 information through the direct map. Its size comes from its own
// first word, so that word is mapped and read first, then the whole structure.
Core::Result<Boot::BootInfo> read_boot_information(Core::u64 physical_address)
{
    constexpr Core::usize header_size = 8;
    auto* header = static_cast<const Core::u8*>(Arch::physical_to_virtual(physical_address, header_size));
    if (!header)
        return Core::ErrorCode::OutOfRange;
    Core::u32 total_size
        = TRY(Boot::multiboot2_information_total_size(Core::ReadonlyBytes(header, header_size)));
    auto* information = static_cast<const Core::u8*>(Arch::physical_to_virtual(physical_address, total_size));
    if (!information)
        return Core::ErrorCode::OutOfRange;
    return Boot::parse_multiboot2_information(Core::ReadonlyBytes(information, total_size));
}

void start_framebuffer_console(const Boot::BootInfo& boot_info)
{
    if (!boot_info.framebuffer.has_value()) {
        Log::info("console: no framebuffer from the boot loader; serial only");
        return;
    }
    const Boot::FramebufferInfo& framebuffer = boot_info.framebuffer.value();
    if (framebuffer.type != Boot::FramebufferType::Rgb) {
        Log::info("console: framebuffer is not direct-colour RGB; serial only");
        return;
    }
    auto* pixels = static_cast<Core::u8*>(
        Arch::physical_to_virtual(framebuffer.physical_address, framebuffer.size_in_bytes()));
    if (!pixels) {
        Log::warning("console: framebuffer at {:#x} is outside the boot direct map; serial only",
            framebuffer.physical_address);
        return;
    }
    Console::FramebufferSurface surface {
        .pixels = pixels,
        .width = framebuffer.width,
        .height = framebuffer.height,
        .pitch = framebuffer.pitch,
        .bytes_per_pixel = static_cast<Core::u8>((framebuffer.bits_per_pixel + 7) / 8),
        .red_position = framebuffer.red_position,
        .red_size = framebuffer.red_size,
        .green_position = framebuffer.green_position,
        .green_size = framebuffer.green_size,
        .blue_position = framebuffer.blue_position,
        .blue_size = framebuffer.blue_size,
    };
    auto console = Console::FramebufferConsole::create(surface, Console::console_font);
    if (console.is_error()) {
        Log::warning("console: framebuffer {}x{}x{} not usable: {}", framebuffer.width, framebuffer.height,
            framebuffer.bits_per_pixel, console.error().name());
        return;
    }
    s_framebuffer_console = console.release_value();
    s_framebuffer_console->clear();
    if (!Log::add_console(s_framebuffer_console.value()))
        Log::warning("console: console table full; framebuffer console not attached");
    Log::info("console: framebuffer {}x{}x{} at {:#x}, {}x{} characters", framebuffer.width,
        framebuffer.height, framebuffer.bits_per_pixel, framebuffer.physical_address,
        s_framebuffer_console->columns(), s_framebuffer_console->rows());
}

void log_boot_information(const Boot::BootInfo& boot_info)
{
    Log::info("boot: loader '{}', firmware {}", boot_info.bootloader_name.string_view(),
        Boot::firmware_name(boot_info.firmware));
    Log::info("boot: command line '{}'", boot_info.command_line.string_view());
    Log::info("boot: memory map has {} regions, {} MiB usable", boot_info.memory_map.size(),
        boot_info.usable_memory_bytes() / (1024 * 1024));
    for (const Boot::MemoryRegion& region : boot_info.memory_map) {
        Log::debug("boot:   {:#018x}-{:#018x} {}", region.base, region.base + region.length - 1,
            Boot::memory_region_type_name(region.type));
    }
    if (boot_info.dropped_memory_regions > 0)
        Log::warning(
            "boot: {} memory map entries were invalid or did not fit", boot_info.dropped_memory_regions);
    for (const Boot::BootModule& module : boot_info.modules) {
        Log::info("boot: module '{}' at {:#x}-{:#x}", module.name.string_view(), module.physical_start,
            module.physical_end);
    }
    if (boot_info.acpi_rsdp.has_value())
        Log::info("boot: ACPI RSDP revision {} provided", boot_info.acpi_rsdp->bytes[15]);
    else
        Log::warning("boot: no ACPI RSDP from the boot loader");
    for (const Boot::SkippedTag& skipped : boot_info.skipped_tags) {
        LOG_RATELIMITED(Log::Level::Warning, 8, 1000,
            "boot: skipped multiboot2 tag type {} size {} at offset {}: {}", skipped.type, skipped.size,
            skipped.offset, skipped.reason);
    }
    if (boot_info.skipped_tag_count > boot_info.skipped_tags.size())
        Log::warning("boot: {} more skipped tags not listed",
            boot_info.skipped_tag_count - boot_info.skipped_tags.size());
}

} // namespace

const Boot::BootInfo& boot_info()
{
    return s_boot_info;
}

} // namespace Kernel

extern "C" [[noreturn]] void kernel_main(Core::u32 multiboot_magic, Core::u64 multiboot_information_physical)
{
    using namespace Kernel;
    Runtime::run_global_constructors();

    s_serial_console = Console::Serial16550::probe_and_initialize(Console::Serial16550::com1_port);
    if (s_serial_console.has_value())
        (void)Log::add_console(s_serial_console.value());

    Time::calibrate_monotonic_clock();
    Log::info("RaeenOS {} ({} build) starting", RAEEN_VERSION, RAEEN_BUILD_TYPE);
    Log::info("time: TSC runs at {} kHz", Time::timestamp_counter_frequency_hz() / 1000);

    if (multiboot_magic != Boot::multiboot2_bootloader_magic)
        Panic::panic("not booted by a multiboot2 loader (magic {:#x})", multiboot_magic);
    auto boot_info = read_boot_information(multiboot_information_physical);
    if (boot_info.is_error())
        Panic::panic("boot information at {:#x} is unusable: {}", multiboot_information_physical,
            boot_info.error().name());
    s_boot_info = boot_info.value();

    Boot::KernelOptions options = Boot::parse_kernel_options(s_boot_info.command_line.string_view());
    Boot::set_kernel_options(options);
    Log::set_level(options.log_level);
    for (const auto& problem : options.problems)
        Log::warning("boot: command line: {}", problem.string_view());

    start_framebuffer_console(s_boot_info);
    log_boot_information(s_boot_info);

    Arch::initialize_gdt_and_tss();
    Arch::initialize_interrupts();
    Log::info("cpu: GDT, TSS (IST stacks for #DF, NMI, #MC) and IDT loaded");

    Panic::load_kernel_symbols();

    if (!options.test_selector.string_view().is_empty())
        Test::run_selected_tests_and_exit(options.test_selector.string_view());

    Log::info("boot complete");
    Arch::halt_forever();
}
