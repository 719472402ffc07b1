// The anonymous first-touch page fault (Userland/Tests/PageFaultBenchmark.cpp): from the
// store in user mode, through the fault, a zeroed frame and its mapping, back to the retried
// store.

#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Tasks/FirstProgram.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Test/KernelBenchmark.h>

KERNEL_BENCHMARK(memory, anonymous_first_touch_fault)
{
    constexpr Core::u64 pages = 512;
    auto thread = Kernel::Tasks::start_program_from_initial_ramdisk(
        "tests/page-fault-benchmark", Kernel::Arch::current_processor_index(), pages);
    EXPECT(!thread.is_error());
    if (thread.is_error())
        return;
    auto status = Kernel::Tasks::Scheduler::join(*thread.value());
    EXPECT(!status.is_error() && status.value() > 0);
    if (status.is_error() || status.value() <= 0)
        return;
    auto result = static_cast<Core::u64>(status.value());
    // Time-stamp counter ticks: instructions under -icount 0 (the two rdtsc included).
    Kernel::Test::report_value(test_context, "fastest first touch"_sv, result & 0xFFFFFFFF, "ticks"_sv);
    Kernel::Test::report_value(test_context, "median first touch"_sv, result >> 32, "ticks"_sv);
}
