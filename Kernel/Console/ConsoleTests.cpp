#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Console/BootConsoles.h>
#include <Kernel/Console/SerialConsole.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Platform/SystemControl.h>
#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Test/KernelTest.h>

KERNEL_TEST(console, serial_port_echoes_in_loopback)
{
    auto* serial = Kernel::Console::serial_console();
    EXPECT(serial != nullptr);
    if (serial)
        EXPECT(serial->passes_loopback_check());
}

KERNEL_TEST(console, framebuffer_console_draws_logged_text)
{
    // QEMU's standard VGA gives GRUB a 1024x768x32 mode; the console must be running on it.
    auto* framebuffer = Kernel::Console::framebuffer_console();
    EXPECT(framebuffer != nullptr);
    if (!framebuffer)
        return;
    EXPECT_EQ(framebuffer->columns(), 1024u / 8);
    EXPECT_EQ(framebuffer->rows(), 768u / 16);
    // Logging a line moves the cursor to the start of a new row.
    Kernel::Log::info("console test: a line for the framebuffer");
    EXPECT_EQ(framebuffer->cursor_column(), 0u);
    Core::u32 row_after_one_line = framebuffer->cursor_row();
    Kernel::Log::info("console test: another line");
    bool advanced_or_scrolled = framebuffer->cursor_row() == row_after_one_line + 1
        || framebuffer->cursor_row() == framebuffer->rows() - 1;
    EXPECT(advanced_or_scrolled);

    // The line just logged sits in the text row above the cursor: its pixels must not all
    // be background, while the cursor's own (fresh) row must be.
    const auto& info = Kernel::Boot::boot_info().framebuffer.value();
    auto* pixels = static_cast<const volatile Core::u8*>(
        Kernel::Arch::physical_to_virtual(info.physical_address, info.size_in_bytes()));
    EXPECT(pixels != nullptr);
    if (!pixels || framebuffer->cursor_row() == 0)
        return;
    auto lit_pixels_in_text_row = [&](Core::u32 text_row) {
        Core::u32 lit = 0;
        for (Core::u32 line = text_row * 16; line < (text_row + 1) * 16; ++line) {
            // Invariant: line < height and the span covers pitch * height bytes, all
            // mapped through the boot direct map (checked by physical_to_virtual).
            auto* row = reinterpret_cast<const volatile Core::u32*>(
                pixels + static_cast<Core::u64>(line) * info.pitch);
            for (Core::u32 column = 0; column < info.width; ++column) {
                if ((row[column] & 0x00FFFFFF) != 0)
                    ++lit;
            }
        }
        return lit;
    };
    EXPECT(lit_pixels_in_text_row(framebuffer->cursor_row() - 1) > 100u);
    EXPECT_EQ(lit_pixels_in_text_row(framebuffer->cursor_row()), 0u);
}

KERNEL_TEST(console, panic_text_reaches_the_framebuffer_in_red)
{
    // The panic path writes straight to every console, bypassing the log; the framebuffer
    // must show that text, in the panic colour.
    auto* framebuffer = Kernel::Console::framebuffer_console();
    EXPECT(framebuffer != nullptr);
    if (!framebuffer)
        return;
    Kernel::Log::write_to_consoles_for_panic(
        "console test: panic path text\n", Kernel::Console::Color::BrightRed);
    EXPECT_EQ(framebuffer->cursor_column(), 0u);
    EXPECT(framebuffer->cursor_row() > 0);
    if (framebuffer->cursor_row() == 0)
        return;
    const auto& info = Kernel::Boot::boot_info().framebuffer.value();
    auto red = Kernel::Console::FramebufferConsole::palette_color(Kernel::Console::Color::BrightRed);
    Core::u32 expected_pixel = (static_cast<Core::u32>(red.red) << info.red_position)
        | (static_cast<Core::u32>(red.green) << info.green_position)
        | (static_cast<Core::u32>(red.blue) << info.blue_position);
    auto* pixels = static_cast<const volatile Core::u8*>(
        Kernel::Arch::physical_to_virtual(info.physical_address, info.size_in_bytes()));
    Core::u32 red_pixels = 0;
    Core::u32 text_row = framebuffer->cursor_row() - 1;
    for (Core::u32 line = text_row * 16; line < (text_row + 1) * 16; ++line) {
        // Invariant: line < height; the framebuffer is mapped (write-combining) at its
        // direct-map address, which physical_to_virtual returns.
        auto* row
            = reinterpret_cast<const volatile Core::u32*>(pixels + static_cast<Core::u64>(line) * info.pitch);
        for (Core::u32 column = 0; column < info.width; ++column) {
            if ((row[column] & 0x00FFFFFF) == expected_pixel)
                ++red_pixels;
        }
    }
    EXPECT(red_pixels > 100u);
}

// Userland/Tests/SystemTests.cpp: process 1's RAM disk, serial console and system control
// handles, used from user space. The console's input is what a user would have typed: the
// kernel puts it where the UART's interrupt handler does.
KERNEL_TEST(console, the_serial_console_and_system_control_from_user_space)
{
    auto ramdisk = Kernel::Tasks::initial_ramdisk_object();
    auto console = Kernel::Console::SerialConsole::instance();
    auto system = Kernel::Platform::SystemControl::instance();
    EXPECT(!ramdisk.is_error() && !console.is_error() && !system.is_error());
    if (ramdisk.is_error() || console.is_error() || system.is_error())
        return;
    const char typed[] = "typed\n";
    console.value()->receive(
        Core::ReadonlyBytes(reinterpret_cast<const Core::u8*>(typed), sizeof(typed) - 1));
    Kernel::Objects::HandleTable::Entry handles[] = {
        { Core::RefPtr<Kernel::Objects::KernelObject>(ramdisk.value()), ABI::Right::Read | ABI::Right::Map },
        { Core::RefPtr<Kernel::Objects::KernelObject>(console.value()),
            ABI::Right::Read | ABI::Right::Write | ABI::Right::Wait | ABI::Right::Duplicate },
        { Core::RefPtr<Kernel::Objects::KernelObject>(system.value()),
            ABI::Right::Read | ABI::Right::Manage | ABI::Right::Duplicate },
    };
    Kernel::Tasks::TestSupport::expect_program_passes(test_context, "tests/system", 0, handles);
    // Everything typed was read, and nothing was lost.
    EXPECT_EQ(console.value()->dropped_bytes(), 0u);
}
