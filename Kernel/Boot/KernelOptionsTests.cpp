#include <Kernel/Boot/KernelOptions.h>
#include <Kernel/Test/KernelTest.h>

// The test kernel is booted with "test=all panic=qemu-exit log=info" (Tests/CMakeLists.txt);
// these check that those words from GRUB reached the option decoder intact.
KERNEL_TEST(boot, options_come_from_the_loader_command_line)
{
    const auto& options = Kernel::Boot::kernel_options();
    EXPECT(options.test_selector.string_view() == "all");
    EXPECT(options.panic_action == Kernel::Boot::PanicAction::QemuExit);
    EXPECT(options.log_level == Kernel::Log::Level::Info);
    EXPECT(options.problems.is_empty());
}
