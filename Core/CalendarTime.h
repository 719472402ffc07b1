#pragma once

// Calendar dates and times in UTC, and the conversion between them and Unix time
// (seconds since 1970-01-01 00:00:00 UTC, leap seconds not counted, as POSIX defines it).
// Also the decoding of the MC146818-style CMOS real-time clock's registers, which is kept
// here, away from the port I/O in Kernel/Arch/x86_64/CmosRtc, so that the host can test it.
//
// Pure code: no privileged instructions, compiled into the kernel and into host tests.

#include <Core/Error.h>
#include <Core/Types.h>

namespace Core {

// A proleptic Gregorian date and time of day in UTC, never before the Unix epoch.
struct CalendarTime {
    Core::u16 year;
    Core::u8 month; // 1-12
    Core::u8 day; // 1-31, at most the length of the month
    Core::u8 hour; // 0-23
    Core::u8 minute; // 0-59
    Core::u8 second; // 0-59 (the RTC and Unix time have no leap second)

    constexpr bool operator==(const CalendarTime&) const = default;
};

// The CMOS RTC's registers exactly as read from the chip: each time field is BCD or binary
// and the hour is 24-hour or 12-hour, as status register B says.
struct RtcRegisters {
    Core::u8 second;
    Core::u8 minute;
    Core::u8 hour;
    Core::u8 day;
    Core::u8 month;
    Core::u8 year; // year within the century, 0-99
    Core::u8 century; // 0 when the machine has no century register (the years 2000-2099 are assumed)
    Core::u8 status_b;

    constexpr bool operator==(const RtcRegisters&) const = default;
};

// Status register B bits that select the encoding of the time registers.
inline constexpr Core::u8 rtc_status_b_24_hour = 1u << 1;
inline constexpr Core::u8 rtc_status_b_binary = 1u << 2;
// In 12-hour mode the hour register's top bit says PM.
inline constexpr Core::u8 rtc_hour_pm_flag = 1u << 7;

// The time the registers hold. A field that is not valid BCD (in BCD mode) or that is
// out of range for its place (second 60, month 13, February 30, hour 0 in 12-hour mode,
// a year before 1970, ...) makes the whole reading ErrorCode::Malformed: the registers
// come from a device and may hold anything.
[[nodiscard]] Core::Result<CalendarTime> decode_rtc_registers(RtcRegisters raw);

[[nodiscard]] constexpr bool is_leap_year(Core::u32 year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// The number of days in `month` (1-12) of `year`; 0 for a month outside 1-12.
[[nodiscard]] Core::u8 days_in_month(Core::u32 year, Core::u8 month);

// Whether every field of `time` is in range (see CalendarTime) and the year is at least 1970.
[[nodiscard]] bool is_valid_calendar_time(const CalendarTime& time);

// Unix time of a valid calendar time (is_valid_calendar_time; anything else is a caller
// bug and fails a VERIFY).
[[nodiscard]] Core::u64 seconds_since_unix_epoch(const CalendarTime& time);

// The latest Unix time a CalendarTime can hold: 65535-12-31 23:59:59.
inline constexpr Core::u64 latest_calendar_unix_seconds = 2005949145599ull;

// The calendar time of a Unix time. Times after latest_calendar_unix_seconds, which the
// 16-bit year cannot hold, come back as that latest time.
[[nodiscard]] CalendarTime calendar_from_unix_seconds(Core::u64 unix_seconds);

} // namespace Core
