#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>

KERNEL_TEST(time, tsc_was_calibrated)
{
    // Any CPU this kernel runs on ticks faster than 10 MHz and slower than 100 GHz.
    Core::u64 frequency = Kernel::Time::timestamp_counter_frequency_hz();
    EXPECT(frequency > 10'000'000ull);
    EXPECT(frequency < 100'000'000'000ull);
}

KERNEL_TEST(time, monotonic_clock_never_goes_backwards)
{
    Core::u64 previous = Kernel::Time::monotonic_nanoseconds();
    Core::u32 backwards = 0;
    for (Core::u32 sample = 0; sample < 10000; ++sample) {
        Core::u64 now = Kernel::Time::monotonic_nanoseconds();
        if (now < previous)
            ++backwards;
        previous = now;
    }
    EXPECT_EQ(backwards, 0u);
}

KERNEL_TEST(time, monotonic_clock_advances_with_the_tsc)
{
    Core::u64 start = Kernel::Time::monotonic_nanoseconds();
    Core::u64 tsc_start = Kernel::Arch::read_timestamp_counter();
    // Wait for one million TSC ticks, then the clock must have moved by about that much.
    while (Kernel::Arch::read_timestamp_counter() - tsc_start < 1'000'000)
        Kernel::Arch::pause();
    Core::u64 elapsed = Kernel::Time::monotonic_nanoseconds() - start;
    Core::u64 expected = 1'000'000ull * 1'000'000'000ull / Kernel::Time::timestamp_counter_frequency_hz();
    EXPECT(elapsed >= expected);
    EXPECT(elapsed < expected * 100);
}
