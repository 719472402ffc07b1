#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Test/QemuExit.h>

namespace Kernel::Test {

namespace {

// True when CPUID names QEMU's TCG or KVM as the hypervisor: only there is port 0xF4 the
// isa-debug-exit device rather than whatever a real board puts at that address.
bool running_under_qemu()
{
    constexpr Core::u32 hypervisor_present = 1u << 31;
    if (!(Arch::cpuid(1).ecx & hypervisor_present))
        return false;
    Arch::CpuidResult vendor = Arch::cpuid(0x40000000);
    char name[12];
    __builtin_memcpy(name, &vendor.ebx, 4);
    __builtin_memcpy(name + 4, &vendor.ecx, 4);
    __builtin_memcpy(name + 8, &vendor.edx, 4);
    return __builtin_memcmp(name, "TCGTCGTCGTCG", 12) == 0
        || __builtin_memcmp(name, "KVMKVMKVM\0\0\0", 12) == 0;
}

} // namespace

void exit_qemu(QemuExitCode code)
{
    constexpr Core::u16 isa_debug_exit_port = 0xF4;
    if (running_under_qemu())
        Arch::out32(isa_debug_exit_port, static_cast<Core::u32>(code));
    Arch::halt_forever();
}

} // namespace Kernel::Test
