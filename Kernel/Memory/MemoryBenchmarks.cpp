// The anonymous first-touch page fault (Userland/Tests/PageFaultBenchmark.cpp): from the
// store in user mode, through the fault, a zeroed frame and its mapping, back to the retried
// store.

#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Test/KernelBenchmark.h>

KERNEL_BENCHMARK(memory, anonymous_first_touch_fault)
{
    constexpr Core::u64 pages = 1000;
    Kernel::Tasks::TestSupport::report_program_samples(
        test_context, "tests/page-fault-benchmark", pages, "first touch"_sv);
}
