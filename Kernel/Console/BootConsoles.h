#pragma once

// The consoles the kernel drives itself: COM1 and the boot framebuffer. Both are started
// during boot, attached to the kernel log, and then live for the whole run.

#include <Kernel/Boot/BootInfo.h>
#include <Kernel/Console/FramebufferConsole.h>
#include <Kernel/Console/Serial16550.h>

namespace Kernel::Console {

// Probes COM1 and, if a UART answers, attaches it to the log.
void start_serial_console();
// Starts the framebuffer console when the boot loader provided a usable RGB framebuffer
// inside the boot direct map; logs why not otherwise.
void start_framebuffer_console(const Boot::BootInfo& boot_info);

// The running consoles, or nullptr when absent.
[[nodiscard]] Serial16550* serial_console();
[[nodiscard]] FramebufferConsole* framebuffer_console();

} // namespace Kernel::Console
