// The memory-object and mapping calls from user space (Userland/Tests/MemoryTests.cpp).

#include <ABI/Memory.h>
#include <Kernel/Arch/x86_64/AddressSpaceLayout.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Test/KernelTest.h>

using namespace Kernel::Tasks::TestSupport;

// Every call's success and failure paths, demand-zero, copy-on-write isolation, and faults
// after vm_protect and vm_unmap, made by probe processes that the program starts.
KERNEL_TEST(syscalls, memory_calls_from_user_space)
{
    expect_program_passes(test_context, "tests/memory", 0);
}

// The first kernel-chosen mapping of two runs of the same program lands at different,
// page-aligned addresses inside the mapping window.
KERNEL_TEST(syscalls, kernel_chosen_addresses_are_random_between_runs)
{
    auto first = run_to_exit(test_context, "tests/memory", 1);
    auto second = run_to_exit(test_context, "tests/memory", 1);
    EXPECT(first.has_value() && second.has_value());
    if (!first.has_value() || !second.has_value())
        return;
    EXPECT(first.value() > 0 && second.value() > 0);
    EXPECT(first.value() != second.value());
    Core::i64 addresses[] = { first.value(), second.value() };
    for (Core::i64 address : addresses) {
        auto value = static_cast<Core::u64>(address);
        EXPECT_EQ(value % ABI::memory_page_size, 0u);
        EXPECT(value >= Kernel::Memory::mapping_window_start && value < Kernel::Memory::mapping_window_end);
    }
}
