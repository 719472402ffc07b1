#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/PIT.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Time {

namespace {

Core::u64 s_tsc_at_calibration = 0;
Core::u64 s_tsc_frequency_hz = 0;
// Nanoseconds per TSC tick as a 32.32 fixed-point number, so that the hot path is a
// multiply and a shift rather than a division.
Core::u64 s_nanoseconds_per_tick_fixed = 0;

} // namespace

void calibrate_monotonic_clock()
{
    auto frequency = Arch::measure_tsc_frequency_with_pit();
    if (!frequency.has_value() || frequency.value() == 0)
        return;
    s_tsc_frequency_hz = frequency.value();
    s_nanoseconds_per_tick_fixed = (1000000000ull << 32) / s_tsc_frequency_hz;
    s_tsc_at_calibration = Arch::read_timestamp_counter();
}

Core::u64 monotonic_nanoseconds()
{
    if (s_tsc_frequency_hz == 0)
        return 0;
    Core::u64 ticks = Arch::read_timestamp_counter() - s_tsc_at_calibration;
    unsigned __int128 product = static_cast<unsigned __int128>(ticks) * s_nanoseconds_per_tick_fixed;
    return static_cast<Core::u64>(product >> 32);
}

Core::u64 timestamp_counter_frequency_hz()
{
    return s_tsc_frequency_hz;
}

} // namespace Kernel::Time
