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

// A deadline user space may pass (any 64-bit time) must map to a TSC value at or after
// now: one that wrapped into the past would make a TSC-deadline timer fire in a storm.
KERNEL_TEST(time, far_deadlines_saturate_instead_of_wrapping)
{
    Core::u64 now_tsc = Kernel::Arch::read_timestamp_counter();
    const Core::u64 far_deadlines[] = { ~Core::u64(0), ~Core::u64(0) - 1, ~Core::u64(0) / 2,
        ~Core::u64(0) / 3, 1ull << 62, 1ull << 61, 1ull << 60 };
    for (Core::u64 deadline : far_deadlines)
        EXPECT(Kernel::Time::timestamp_counter_at(deadline) > now_tsc);
    Core::u64 in_a_second
        = Kernel::Time::timestamp_counter_at(Kernel::Time::monotonic_nanoseconds() + 1'000'000'000);
    EXPECT(in_a_second > now_tsc);
}
