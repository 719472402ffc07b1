#include <Kernel/Arch/x86_64/StaticStacks.h>

extern "C" char kernel_boot_stack_guard[], kernel_boot_stack_bottom[], kernel_boot_stack_top[];
extern "C" char double_fault_stack_guard[], double_fault_stack_bottom[], double_fault_stack_top[];
extern "C" char nmi_stack_guard[], nmi_stack_bottom[], nmi_stack_top[];
extern "C" char machine_check_stack_guard[], machine_check_stack_bottom[], machine_check_stack_top[];

namespace Kernel::Arch {

namespace {

Core::u64 address_of(const char* symbol)
{
    return reinterpret_cast<Core::u64>(symbol);
}

} // namespace

Core::Span<const StaticStack> static_kernel_stacks()
{
    // Built on first use: the symbols' addresses are link-time constants, but a pointer to
    // integer conversion cannot appear in a constant initialiser.
    static const StaticStack stacks[] = {
        { "boot", address_of(kernel_boot_stack_guard), address_of(kernel_boot_stack_bottom),
            address_of(kernel_boot_stack_top) },
        { "double fault", address_of(double_fault_stack_guard), address_of(double_fault_stack_bottom),
            address_of(double_fault_stack_top) },
        { "NMI", address_of(nmi_stack_guard), address_of(nmi_stack_bottom), address_of(nmi_stack_top) },
        { "machine check", address_of(machine_check_stack_guard), address_of(machine_check_stack_bottom),
            address_of(machine_check_stack_top) },
    };
    return { stacks, sizeof(stacks) / sizeof(stacks[0]) };
}

} // namespace Kernel::Arch
