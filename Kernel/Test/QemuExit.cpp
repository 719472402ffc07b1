#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Test/QemuExit.h>

namespace Kernel::Test {

void exit_qemu(QemuExitCode code)
{
    constexpr Core::u16 isa_debug_exit_port = 0xF4;
    Arch::out32(isa_debug_exit_port, static_cast<Core::u32>(code));
    Arch::halt_forever();
}

} // namespace Kernel::Test
