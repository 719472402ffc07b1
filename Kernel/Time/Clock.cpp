#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/PIT.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Time {

namespace {

Core::u64 s_tsc_at_calibration = 0;
// The clock's value at s_tsc_at_calibration: zero at first, the old clock's reading when
// the rate is refined, so that time never jumps.
Core::u64 s_nanoseconds_at_calibration = 0;
Core::u64 s_tsc_frequency_hz = 0;
// Nanoseconds per TSC tick as a 32.32 fixed-point number, so that the hot path is a
// multiply and a shift rather than a division.
Core::u64 s_nanoseconds_per_tick_fixed = 0;

void set_rate(Core::u64 frequency_hz)
{
    Core::u64 tsc_now = Arch::read_timestamp_counter();
    Core::u64 nanoseconds_now = s_tsc_frequency_hz ? monotonic_nanoseconds() : 0;
    s_tsc_frequency_hz = frequency_hz;
    s_nanoseconds_per_tick_fixed = (1000000000ull << 32) / frequency_hz;
    s_nanoseconds_at_calibration = nanoseconds_now;
    s_tsc_at_calibration = tsc_now;
}

// CPUID leaf 0x15: TSC = crystal * EBX / EAX, with the crystal in ECX (0 = not stated).
Core::u64 tsc_frequency_from_cpuid()
{
    if (Arch::cpuid(0).eax < 0x15)
        return 0;
    Arch::CpuidResult leaf = Arch::cpuid(0x15);
    if (leaf.eax == 0 || leaf.ebx == 0 || leaf.ecx == 0)
        return 0;
    return static_cast<Core::u64>(leaf.ecx) * leaf.ebx / leaf.eax;
}

// One reading of the reference clock and the TSC taken together. The reference is read
// between two TSC readings; of a few tries the narrowest pair wins, so that an emulated CPU
// descheduled between the two reads (tens of milliseconds on a loaded host) does not skew
// the measured rate: the window's length does not matter, only how exactly its two ends
// are paired.
struct PairedReading {
    Core::u64 reference_ns;
    Core::u64 tsc;
};

PairedReading read_paired(Core::u64 (*reference_nanoseconds)())
{
    constexpr int tries = 8;
    PairedReading best {};
    Core::u64 narrowest = ~0ull;
    for (int attempt = 0; attempt < tries; ++attempt) {
        Core::u64 before = Arch::read_timestamp_counter();
        Core::u64 reference = reference_nanoseconds();
        Core::u64 after = Arch::read_timestamp_counter();
        if (after - before < narrowest) {
            narrowest = after - before;
            best = { reference, before + (after - before) / 2 };
        }
    }
    return best;
}

} // namespace

void calibrate_monotonic_clock()
{
    auto frequency = Arch::measure_tsc_frequency_with_pit();
    if (!frequency.has_value() || frequency.value() == 0)
        return;
    set_rate(frequency.value());
}

void refine_monotonic_clock(Core::u64 (*reference_nanoseconds)(), Core::u64 window_ns)
{
    Core::u64 frequency = tsc_frequency_from_cpuid();
    if (frequency == 0) {
        PairedReading start = read_paired(reference_nanoseconds);
        while (reference_nanoseconds() - start.reference_ns < window_ns)
            Arch::pause();
        PairedReading end = read_paired(reference_nanoseconds);
        Core::u64 reference_elapsed = end.reference_ns - start.reference_ns;
        Core::u64 tsc_elapsed = end.tsc - start.tsc;
        if (reference_elapsed == 0)
            return;
        // TSC ticks * 1e9 / ns, split so that the product fits in 64 bits.
        frequency = tsc_elapsed / reference_elapsed * 1'000'000'000ull
            + tsc_elapsed % reference_elapsed * 1'000'000'000ull / reference_elapsed;
    }
    if (frequency != 0)
        set_rate(frequency);
}

Core::u64 timestamp_counter_at(Core::u64 nanoseconds)
{
    if (s_tsc_frequency_hz == 0 || nanoseconds <= s_nanoseconds_at_calibration)
        return Arch::read_timestamp_counter();
    Core::u64 delta_ns = nanoseconds - s_nanoseconds_at_calibration;
    // A deadline centuries away (user space may pass any 64-bit time, and a timer armed
    // for it must simply never fire) saturates instead of wrapping: a wrapped value would
    // lie in the past, fire at once, find nothing expired and re-arm in an endless storm.
    constexpr Core::u64 never = ~Core::u64(0);
    // delta_ns * frequency / 1e9, split so that no product passes 64 bits.
    Core::u64 ticks = 0;
    if (__builtin_mul_overflow(delta_ns / 1'000'000'000ull, s_tsc_frequency_hz, &ticks))
        return never;
    if (__builtin_add_overflow(
            ticks, delta_ns % 1'000'000'000ull * s_tsc_frequency_hz / 1'000'000'000ull, &ticks))
        return never;
    // monotonic_nanoseconds() rounds its factor down, so it runs up to ~1 ppb slow; one
    // extra part per million (and a tick) makes sure that at the returned TSC value the
    // clock already reads `nanoseconds`, so a deadline timer never fires "early" and
    // re-arms in a loop.
    Core::u64 result = 0;
    if (__builtin_add_overflow(ticks, (ticks >> 20) + 1, &ticks)
        || __builtin_add_overflow(s_tsc_at_calibration, ticks, &result))
        return never;
    return result;
}

void busy_wait_nanoseconds(Core::u64 nanoseconds)
{
    Core::u64 start = monotonic_nanoseconds();
    while (monotonic_nanoseconds() - start < nanoseconds)
        Arch::pause();
}

bool timestamp_counter_is_invariant()
{
    if (Arch::cpuid(0x80000000).eax < 0x80000007)
        return false;
    return Arch::cpuid(0x80000007).edx & (1u << 8);
}

Core::u64 monotonic_nanoseconds()
{
    if (s_tsc_frequency_hz == 0)
        return 0;
    Core::u64 ticks = Arch::read_timestamp_counter() - s_tsc_at_calibration;
    unsigned __int128 product = static_cast<unsigned __int128>(ticks) * s_nanoseconds_per_tick_fixed;
    return s_nanoseconds_at_calibration + static_cast<Core::u64>(product >> 32);
}

Core::u64 timestamp_counter_frequency_hz()
{
    return s_tsc_frequency_hz;
}

} // namespace Kernel::Time
