#pragma once

#include <Core/Types.h>

namespace Kernel::Test {

// Codes written to QEMU's isa-debug-exit device (port 0xF4). QEMU exits with status
// (code << 1) | 1, so the host sees 33, 35 and 37; Tools/qemu_runner.py decodes them.
enum class QemuExitCode : Core::u8 {
    TestsPassed = 0x10,
    TestsFailed = 0x11,
    Panic = 0x12,
};

// Leaves QEMU. Anywhere else (CPUID names no QEMU hypervisor) it writes nothing to the
// port and stops the CPU instead.
[[noreturn]] void exit_qemu(QemuExitCode code);

} // namespace Kernel::Test
