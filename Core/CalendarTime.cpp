#include <Core/Assertions.h>
#include <Core/CalendarTime.h>

namespace Core {

namespace {

using Core::u16;
using Core::u32;
using Core::u64;
using Core::u8;

constexpr u64 seconds_per_day = 86400;
// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. The day
// arithmetic below counts from a 1 March so that the leap day falls at the end of its
// (shifted) year, which turns "days before this month" into one linear formula.
constexpr u64 days_from_march_year_zero_to_unix_epoch = 719468;
// A Gregorian era repeats every 400 years, which is exactly this many days.
constexpr u64 days_per_era = 146097;

// One time register in the encoding status register B chose, as a plain number.
Core::Result<u8> decode_rtc_field(u8 raw, bool is_binary)
{
    if (is_binary)
        return raw;
    u8 tens = raw >> 4;
    u8 ones = raw & 0x0F;
    if (tens > 9 || ones > 9)
        return Core::ErrorCode::Malformed;
    return static_cast<u8>(tens * 10 + ones);
}

Core::Result<u8> decode_in_range(u8 raw, bool is_binary, u8 lowest, u8 highest)
{
    u8 value = TRY(decode_rtc_field(raw, is_binary));
    if (value < lowest || value > highest)
        return Core::ErrorCode::Malformed;
    return value;
}

// Days since 1970-01-01 of a date at or after it (Howard Hinnant's days_from_civil, in
// unsigned arithmetic, which the year >= 1970 precondition makes safe).
u64 days_since_unix_epoch(u32 year, u32 month, u32 day)
{
    // Years start on 1 March: January and February belong to the previous year.
    u64 march_based_year = month <= 2 ? year - 1 : year;
    u64 era = march_based_year / 400;
    u64 year_of_era = march_based_year - era * 400;
    u64 march_based_month = month > 2 ? month - 3 : month + 9;
    // Months from March run 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, (29): the days
    // before each month are exactly (153 * month + 2) / 5.
    u64 day_of_year = (153 * march_based_month + 2) / 5 + day - 1;
    u64 day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * days_per_era + day_of_era - days_from_march_year_zero_to_unix_epoch;
}

} // namespace

u8 days_in_month(u32 year, u8 month)
{
    constexpr u8 month_lengths[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month < 1 || month > 12)
        return 0;
    if (month == 2 && is_leap_year(year))
        return 29;
    return month_lengths[month - 1];
}

bool is_valid_calendar_time(const CalendarTime& time)
{
    return time.year >= 1970 && time.month >= 1 && time.month <= 12 && time.day >= 1
        && time.day <= days_in_month(time.year, time.month) && time.hour < 24 && time.minute < 60
        && time.second < 60;
}

Core::Result<CalendarTime> decode_rtc_registers(RtcRegisters raw)
{
    bool is_binary = raw.status_b & rtc_status_b_binary;
    bool is_24_hour = raw.status_b & rtc_status_b_24_hour;

    CalendarTime time {};
    time.second = TRY(decode_in_range(raw.second, is_binary, 0, 59));
    time.minute = TRY(decode_in_range(raw.minute, is_binary, 0, 59));
    if (is_24_hour) {
        time.hour = TRY(decode_in_range(raw.hour, is_binary, 0, 23));
    } else {
        // 12-hour clocks count 12, 1, ..., 11 in each half of the day, so 12 AM is
        // midnight (hour 0) and 12 PM is noon (hour 12).
        bool is_pm = raw.hour & rtc_hour_pm_flag;
        u8 twelve_hour
            = TRY(decode_in_range(static_cast<u8>(raw.hour & ~rtc_hour_pm_flag), is_binary, 1, 12));
        time.hour = static_cast<u8>(twelve_hour % 12 + (is_pm ? 12 : 0));
    }
    time.month = TRY(decode_in_range(raw.month, is_binary, 1, 12));
    u8 year_in_century = TRY(decode_in_range(raw.year, is_binary, 0, 99));
    // Without a century register the RTC cannot tell 1999 from 2099; a machine running
    // this kernel is from this century.
    u8 century = 20;
    if (raw.century != 0)
        century = TRY(decode_in_range(raw.century, is_binary, 19, 99));
    u32 year = century * 100u + year_in_century;
    if (year < 1970)
        return Core::ErrorCode::Malformed;
    time.year = static_cast<u16>(year);
    time.day = TRY(decode_in_range(raw.day, is_binary, 1, days_in_month(year, time.month)));
    return time;
}

u64 seconds_since_unix_epoch(const CalendarTime& time)
{
    VERIFY(is_valid_calendar_time(time));
    return days_since_unix_epoch(time.year, time.month, time.day) * seconds_per_day + time.hour * 3600ull
        + time.minute * 60ull + time.second;
}

CalendarTime calendar_from_unix_seconds(u64 unix_seconds)
{
    if (unix_seconds > latest_calendar_unix_seconds)
        unix_seconds = latest_calendar_unix_seconds;
    u64 seconds_of_day = unix_seconds % seconds_per_day;

    // The inverse of days_since_unix_epoch (Hinnant's civil_from_days), again from 1 March.
    u64 days_since_march_year_zero = unix_seconds / seconds_per_day + days_from_march_year_zero_to_unix_epoch;
    u64 era = days_since_march_year_zero / days_per_era;
    u64 day_of_era = days_since_march_year_zero - era * days_per_era;
    // Removes the leap days (every 4th year, except every 100th, except the era's last day)
    // so that what is left divides evenly into 365-day years.
    u64 year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    u64 day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    u64 march_based_month = (5 * day_of_year + 2) / 153;
    u64 day = day_of_year - (153 * march_based_month + 2) / 5 + 1;
    u64 month = march_based_month < 10 ? march_based_month + 3 : march_based_month - 9;
    u64 year = era * 400 + year_of_era + (month <= 2 ? 1 : 0);

    CalendarTime time {};
    time.year = static_cast<u16>(year);
    time.month = static_cast<u8>(month);
    time.day = static_cast<u8>(day);
    time.hour = static_cast<u8>(seconds_of_day / 3600);
    time.minute = static_cast<u8>(seconds_of_day / 60 % 60);
    time.second = static_cast<u8>(seconds_of_day % 60);
    return time;
}

} // namespace Core
