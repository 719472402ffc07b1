#include <Core/Optional.h>
#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Console/BootConsoles.h>
#include <Core/BitmapFont.h>
#include <Kernel/Log/KernelLog.h>

extern "C" char __kernel_image_start[];
extern "C" char __kernel_image_end[];

namespace Kernel::Console {

namespace {

Core::Optional<Serial16550> s_serial_console;
Core::Optional<FramebufferConsole> s_framebuffer_console;

// The framebuffer address comes from the boot loader. Drawing clears and scrolls all of
// it, so a framebuffer that overlapped RAM (the kernel image included, which is loaded in
// RAM) would overwrite memory: such a framebuffer is refused.
bool overlaps_memory(const Boot::BootInfo& boot_info, Core::u64 base, Core::u64 size)
{
    Core::u64 end = base + size;
    for (const Boot::MemoryRegion& region : boot_info.memory_map) {
        bool is_ram = region.type == Boot::MemoryRegionType::Usable
            || region.type == Boot::MemoryRegionType::AcpiReclaimable
            || region.type == Boot::MemoryRegionType::AcpiNvs;
        if (is_ram && base < region.end() && region.base < end)
            return true;
    }
    Core::u64 image_start = reinterpret_cast<Core::u64>(__kernel_image_start) - Arch::kernel_virtual_base;
    Core::u64 image_end = reinterpret_cast<Core::u64>(__kernel_image_end) - Arch::kernel_virtual_base;
    return base < image_end && image_start < end;
}

} // namespace

void start_serial_console()
{
    s_serial_console = Serial16550::probe_and_initialize(Serial16550::com1_port);
    if (s_serial_console.has_value())
        (void)Log::add_console(s_serial_console.value());
}

void start_framebuffer_console(const Boot::BootInfo& boot_info)
{
    if (!boot_info.framebuffer.has_value()) {
        Log::info("console: no framebuffer from the boot loader; serial only");
        return;
    }
    const Boot::FramebufferInfo& framebuffer = boot_info.framebuffer.value();
    if (framebuffer.type != Boot::FramebufferType::Rgb) {
        Log::info("console: framebuffer is {}, not direct-colour RGB; serial only",
            Boot::framebuffer_type_name(framebuffer.type));
        return;
    }
    if (overlaps_memory(boot_info, framebuffer.physical_address, framebuffer.size_in_bytes())) {
        Log::warning("console: framebuffer at {:#x} overlaps RAM or the kernel; not used",
            framebuffer.physical_address);
        return;
    }
    auto* pixels = static_cast<Core::u8*>(
        Arch::physical_to_virtual(framebuffer.physical_address, framebuffer.size_in_bytes()));
    if (!pixels) {
        Log::warning("console: framebuffer at {:#x} is outside the boot direct map; serial only",
            framebuffer.physical_address);
        return;
    }
    FramebufferSurface surface {
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
    auto console = FramebufferConsole::create(surface, Core::console_font);
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

Serial16550* serial_console()
{
    return s_serial_console.has_value() ? &s_serial_console.value() : nullptr;
}

FramebufferConsole* framebuffer_console()
{
    return s_framebuffer_console.has_value() ? &s_framebuffer_console.value() : nullptr;
}

} // namespace Kernel::Console
