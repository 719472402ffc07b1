#include <Kernel/Platform/Power.h>
#include <Kernel/Test/KernelTest.h>

// Both end the run: QEMU exits when the guest powers off, and on reset because the test
// runner starts it with -no-reboot. Tests/CMakeLists.txt checks the exit and the log.
KERNEL_PANIC_TEST(power, acpi_power_off_turns_the_machine_off)
{
    Kernel::Platform::power_off();
}

KERNEL_PANIC_TEST(power, reboot_resets_the_machine)
{
    Kernel::Platform::reboot();
}
