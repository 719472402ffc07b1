#include <Kernel/Arch/x86_64/CmosRtc.h>
#include <Kernel/Log/KernelLog.h>
#include <Core/CalendarTime.h>
#include <Kernel/Time/Clock.h>
#include <Kernel/Time/WallClock.h>

namespace Kernel::Time {

namespace {

constexpr Core::u64 nanoseconds_per_second = 1'000'000'000;

bool s_wall_clock_is_set = false;
Core::u64 s_unix_seconds_at_reading = 0;
Core::u64 s_monotonic_nanoseconds_at_reading = 0;

Core::Result<Core::u64> read_unix_seconds_from_rtc(Core::u8 century_register)
{
    Core::RtcRegisters registers = TRY(Arch::read_cmos_rtc(century_register));
    Core::CalendarTime time = TRY(decode_rtc_registers(registers));
    return seconds_since_unix_epoch(time);
}

} // namespace

void initialize_wall_clock(Core::u8 century_register)
{
    // The FADT comes from firmware: an index that cannot name CMOS RAM is ignored rather
    // than costing the whole wall clock.
    if (century_register != 0 && !Arch::is_cmos_ram_index(century_register)) {
        Log::warning(
            "time: ignoring the FADT's RTC century register {:#x}, not a CMOS RAM index", century_register);
        century_register = 0;
    }

    auto unix_seconds = read_unix_seconds_from_rtc(century_register);
    Core::u64 monotonic_now = monotonic_nanoseconds();
    if (unix_seconds.is_error()) {
        s_wall_clock_is_set = false;
        s_unix_seconds_at_reading = 0;
        s_monotonic_nanoseconds_at_reading = monotonic_now;
        Log::warning(
            "time: cannot read the CMOS RTC ({}); the wall clock reports 0 (1970-01-01 00:00:00 UTC)",
            unix_seconds.error().name());
        return;
    }
    s_unix_seconds_at_reading = unix_seconds.value();
    s_monotonic_nanoseconds_at_reading = monotonic_now;
    s_wall_clock_is_set = true;

    Core::CalendarTime time = Core::calendar_from_unix_seconds(s_unix_seconds_at_reading);
    Log::info("time: wall clock {:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC (from the CMOS RTC)", time.year,
        time.month, time.day, time.hour, time.minute, time.second);
}

bool wall_clock_is_set()
{
    return s_wall_clock_is_set;
}

Core::u64 wall_clock_unix_seconds()
{
    if (!s_wall_clock_is_set)
        return 0;
    Core::u64 now = monotonic_nanoseconds();
    // Only a monotonic clock calibrated after the reading could be behind it; count
    // nothing elapsed rather than wrapping around.
    Core::u64 elapsed
        = now > s_monotonic_nanoseconds_at_reading ? now - s_monotonic_nanoseconds_at_reading : 0;
    return s_unix_seconds_at_reading + elapsed / nanoseconds_per_second;
}

} // namespace Kernel::Time
