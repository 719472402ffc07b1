// Host tests for Kernel/Time/CalendarTime: decoding the CMOS RTC's registers (BCD and
// binary, 12- and 24-hour) and converting between calendar time and Unix time.
//
// The expected Unix times below were computed with Python's calendar.timegm, e.g.
//   python3 -c "import calendar; print(calendar.timegm((2026, 11, 26, 0, 0, 0)))"
// (year 65535 is beyond Python's datetime and was computed with the same days-from-civil
// formula in plain Python integers). The conversions are also checked against a naive
// model here that walks the calendar one day at a time.

#include <Core/Error.h>
#include <Core/CalendarTime.h>
#include <cstdint>
#include <cstdio>
#include <gtest/gtest.h>
#include <random>
#include <string>

using Core::ErrorCode;
using Core::CalendarTime;
using Core::RtcRegisters;

namespace {

constexpr std::uint8_t status_b_bcd_12_hour = 0x00;
constexpr std::uint8_t status_b_bcd_24_hour = 0x02;
constexpr std::uint8_t status_b_binary_12_hour = 0x04;
constexpr std::uint8_t status_b_binary_24_hour = 0x06;

CalendarTime make_time(int year, int month, int day, int hour = 0, int minute = 0, int second = 0)
{
    return CalendarTime { static_cast<std::uint16_t>(year), static_cast<std::uint8_t>(month),
        static_cast<std::uint8_t>(day), static_cast<std::uint8_t>(hour), static_cast<std::uint8_t>(minute),
        static_cast<std::uint8_t>(second) };
}

std::string describe(const CalendarTime& time)
{
    char text[48];
    std::snprintf(text, sizeof text, "%04u-%02u-%02u %02u:%02u:%02u", time.year, time.month, time.day,
        time.hour, time.minute, time.second);
    return text;
}

// A reading of 2026-11-26 01:23:45 in BCD, 24-hour, with a century register.
RtcRegisters bcd_reading()
{
    return RtcRegisters { 0x45, 0x23, 0x01, 0x26, 0x11, 0x26, 0x20, status_b_bcd_24_hour };
}

ErrorCode decode_error(RtcRegisters raw)
{
    auto result = Core::decode_rtc_registers(raw);
    EXPECT_TRUE(result.is_error());
    return result.is_error() ? result.error().code() : ErrorCode::Count;
}

CalendarTime decode_value(RtcRegisters raw)
{
    auto result = Core::decode_rtc_registers(raw);
    EXPECT_FALSE(result.is_error()) << (result.is_error() ? result.error().name() : "");
    return result.is_error() ? CalendarTime {} : result.value();
}

std::uint8_t to_bcd(unsigned value)
{
    return static_cast<std::uint8_t>((value / 10) << 4 | value % 10);
}

// What an RTC in the given mode would hold for `time` (2000-2099 or any year with a
// century register), written independently of the decoder.
RtcRegisters encode(const CalendarTime& time, bool binary, bool twenty_four_hour)
{
    auto field = [&](unsigned value) { return binary ? static_cast<std::uint8_t>(value) : to_bcd(value); };
    std::uint8_t hour;
    if (twenty_four_hour) {
        hour = field(time.hour);
    } else {
        unsigned twelve_hour = time.hour % 12 == 0 ? 12 : time.hour % 12;
        hour = static_cast<std::uint8_t>(field(twelve_hour) | (time.hour >= 12 ? 0x80 : 0));
    }
    std::uint8_t status_b = static_cast<std::uint8_t>((binary ? 0x04 : 0) | (twenty_four_hour ? 0x02 : 0));
    return RtcRegisters { field(time.second), field(time.minute), hour, field(time.day), field(time.month),
        field(time.year % 100), field(time.year / 100), status_b };
}

// The naive model: the calendar rules written out directly, one day at a time.
bool model_is_leap_year(unsigned year)
{
    if (year % 400 == 0)
        return true;
    if (year % 100 == 0)
        return false;
    return year % 4 == 0;
}

unsigned model_month_length(unsigned year, unsigned month)
{
    static constexpr unsigned lengths[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return month == 2 && model_is_leap_year(year) ? 29 : lengths[month - 1];
}

void model_advance_one_day(CalendarTime& date)
{
    if (date.day < model_month_length(date.year, date.month)) {
        ++date.day;
        return;
    }
    date.day = 1;
    if (date.month < 12) {
        ++date.month;
        return;
    }
    date.month = 1;
    ++date.year;
}

} // namespace

// ---- decoding the RTC's registers -------------------------------------------------------

TEST(CalendarTimeRtc, DecodesBcd24Hour)
{
    EXPECT_EQ(decode_value(bcd_reading()), make_time(2026, 11, 26, 1, 23, 45));
    EXPECT_EQ(decode_value(RtcRegisters { 0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x20, status_b_bcd_24_hour }),
        make_time(2099, 12, 31, 23, 59, 59));
    EXPECT_EQ(decode_value(RtcRegisters { 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x20, status_b_bcd_24_hour }),
        make_time(2000, 1, 1, 0, 0, 0));
}

TEST(CalendarTimeRtc, DecodesBinary24Hour)
{
    EXPECT_EQ(decode_value(RtcRegisters { 45, 23, 1, 26, 11, 26, 20, status_b_binary_24_hour }),
        make_time(2026, 11, 26, 1, 23, 45));
    EXPECT_EQ(decode_value(RtcRegisters { 59, 59, 23, 31, 12, 99, 21, status_b_binary_24_hour }),
        make_time(2199, 12, 31, 23, 59, 59));
}

TEST(CalendarTimeRtc, TwelveHourBcdMapsAmAndPm)
{
    auto hour_of = [](std::uint8_t raw_hour) {
        RtcRegisters raw = bcd_reading();
        raw.status_b = status_b_bcd_12_hour;
        raw.hour = raw_hour;
        return decode_value(raw).hour;
    };
    EXPECT_EQ(hour_of(0x12), 0) << "12 AM is midnight";
    EXPECT_EQ(hour_of(0x01), 1);
    EXPECT_EQ(hour_of(0x11), 11);
    EXPECT_EQ(hour_of(0x80 | 0x12), 12) << "12 PM is noon";
    EXPECT_EQ(hour_of(0x80 | 0x01), 13);
    EXPECT_EQ(hour_of(0x80 | 0x11), 23);
}

TEST(CalendarTimeRtc, TwelveHourBinaryMapsAmAndPm)
{
    auto hour_of = [](std::uint8_t raw_hour) {
        return decode_value(RtcRegisters { 45, 23, raw_hour, 26, 11, 26, 20, status_b_binary_12_hour }).hour;
    };
    EXPECT_EQ(hour_of(12), 0);
    EXPECT_EQ(hour_of(7), 7);
    EXPECT_EQ(hour_of(0x80 | 12), 12);
    EXPECT_EQ(hour_of(0x80 | 7), 19);
    EXPECT_EQ(hour_of(0x80 | 11), 23);
}

TEST(CalendarTimeRtc, RejectsHoursOutsideTheMode)
{
    RtcRegisters twelve_hour = bcd_reading();
    twelve_hour.status_b = status_b_bcd_12_hour;
    for (std::uint8_t raw_hour : { 0x00, 0x80, 0x13, 0x93, 0x20 }) {
        twelve_hour.hour = raw_hour;
        EXPECT_EQ(decode_error(twelve_hour), ErrorCode::Malformed) << "12-hour BCD hour " << int(raw_hour);
    }
    RtcRegisters twenty_four_hour = bcd_reading();
    for (std::uint8_t raw_hour : { 0x24, 0x81, 0x99 }) {
        twenty_four_hour.hour = raw_hour;
        EXPECT_EQ(decode_error(twenty_four_hour), ErrorCode::Malformed)
            << "24-hour BCD hour " << int(raw_hour);
    }
    EXPECT_EQ(
        decode_error(RtcRegisters { 0, 0, 24, 1, 1, 26, 20, status_b_binary_24_hour }), ErrorCode::Malformed);
    EXPECT_EQ(
        decode_error(RtcRegisters { 0, 0, 13, 1, 1, 26, 20, status_b_binary_12_hour }), ErrorCode::Malformed);
    EXPECT_EQ(decode_error(RtcRegisters { 0, 0, 0x80, 1, 1, 26, 20, status_b_binary_12_hour }),
        ErrorCode::Malformed);
}

TEST(CalendarTimeRtc, RejectsInvalidBcdDigits)
{
    auto with = [](auto change) {
        RtcRegisters raw = bcd_reading();
        change(raw);
        return decode_error(raw);
    };
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.second = 0x4A; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.minute = 0xA0; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.hour = 0x0F; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.day = 0x1B; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.month = 0x0C; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.year = 0x2F; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.century = 0x2A; }), ErrorCode::Malformed);
    // The same values are fine numbers in binary mode, where only the range counts.
    RtcRegisters binary { 0x0A, 0x0B, 0x0C, 0x0D, 0x0C, 0x0F, 20, status_b_binary_24_hour };
    EXPECT_EQ(decode_value(binary), make_time(2015, 12, 13, 12, 11, 10));
}

TEST(CalendarTimeRtc, RejectsOutOfRangeFields)
{
    auto with = [](auto change) {
        RtcRegisters raw = bcd_reading();
        change(raw);
        return decode_error(raw);
    };
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.second = 0x60; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.minute = 0x60; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.day = 0x00; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.day = 0x32; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.month = 0x00; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.month = 0x13; }), ErrorCode::Malformed);
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.century = 0x18; }), ErrorCode::Malformed);
    // 30 November exists, 31 November does not.
    EXPECT_EQ(with([](RtcRegisters& raw) { raw.day = 0x31; }), ErrorCode::Malformed);
    RtcRegisters thirtieth = bcd_reading();
    thirtieth.day = 0x30;
    EXPECT_EQ(decode_value(thirtieth), make_time(2026, 11, 30, 1, 23, 45));
    // Binary values past 59 and past the BCD range.
    EXPECT_EQ(
        decode_error(RtcRegisters { 60, 0, 0, 1, 1, 26, 20, status_b_binary_24_hour }), ErrorCode::Malformed);
    EXPECT_EQ(
        decode_error(RtcRegisters { 0, 0, 0, 1, 1, 100, 20, status_b_binary_24_hour }), ErrorCode::Malformed);
}

TEST(CalendarTimeRtc, AbsentRtcReadingAllOnesIsRejected)
{
    // A bus with no device answers 0xFF for every register, status B included.
    EXPECT_EQ(
        decode_error(RtcRegisters { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }), ErrorCode::Malformed);
    EXPECT_EQ(
        decode_error(RtcRegisters { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00 }), ErrorCode::Malformed);
}

TEST(CalendarTimeRtc, CenturyRegisterIsOptional)
{
    RtcRegisters raw = bcd_reading();
    raw.century = 0;
    EXPECT_EQ(decode_value(raw).year, 2026);
    raw.year = 0x99;
    EXPECT_EQ(decode_value(raw).year, 2099) << "without a century register, years are 2000-2099";
    raw.year = 0x00;
    EXPECT_EQ(decode_value(raw).year, 2000);
    raw.century = 0x19;
    raw.year = 0x99;
    EXPECT_EQ(decode_value(raw).year, 1999);
    raw.century = 0x21;
    raw.year = 0x05;
    EXPECT_EQ(decode_value(raw).year, 2105);
}

TEST(CalendarTimeRtc, RejectsYearsBeforeTheUnixEpoch)
{
    RtcRegisters raw = bcd_reading();
    raw.century = 0x19;
    raw.year = 0x69;
    EXPECT_EQ(decode_error(raw), ErrorCode::Malformed);
    raw.year = 0x70;
    EXPECT_EQ(decode_value(raw).year, 1970);
}

TEST(CalendarTimeRtc, LeapDays)
{
    auto february_29 = [](std::uint8_t century, std::uint8_t year) {
        return RtcRegisters { 0x00, 0x00, 0x12, 0x29, 0x02, year, century, status_b_bcd_24_hour };
    };
    EXPECT_EQ(decode_value(february_29(0x20, 0x00)), make_time(2000, 2, 29, 12)) << "divisible by 400";
    EXPECT_EQ(decode_value(february_29(0x20, 0x24)), make_time(2024, 2, 29, 12));
    EXPECT_EQ(decode_value(february_29(0x00, 0x24)), make_time(2024, 2, 29, 12));
    EXPECT_EQ(decode_error(february_29(0x21, 0x00)), ErrorCode::Malformed) << "2100 is not a leap year";
    EXPECT_EQ(decode_error(february_29(0x20, 0x25)), ErrorCode::Malformed);
    EXPECT_EQ(decode_error(february_29(0x20, 0x26)), ErrorCode::Malformed);
    RtcRegisters february_30 = february_29(0x20, 0x24);
    february_30.day = 0x30;
    EXPECT_EQ(decode_error(february_30), ErrorCode::Malformed);
}

TEST(CalendarTimeRtc, IgnoresUnrelatedStatusBBits)
{
    // Bit 0 (daylight saving), bits 3-6 (interrupt enables, square wave) and bit 7 (SET)
    // do not change how the time registers are encoded.
    RtcRegisters raw = bcd_reading();
    raw.status_b = status_b_bcd_24_hour | 0x01 | 0x10 | 0x20 | 0x40 | 0x08;
    EXPECT_EQ(decode_value(raw), make_time(2026, 11, 26, 1, 23, 45));
}

TEST(CalendarTimeRtc, EncodedRandomTimesDecodeBackInEveryMode)
{
    std::mt19937 generator(20261126);
    for (int sample = 0; sample < 5000; ++sample) {
        unsigned year = 1970 + generator() % 130;
        unsigned month = 1 + generator() % 12;
        unsigned day = 1 + generator() % model_month_length(year, month);
        CalendarTime time = make_time(static_cast<int>(year), static_cast<int>(month), static_cast<int>(day),
            static_cast<int>(generator() % 24), static_cast<int>(generator() % 60),
            static_cast<int>(generator() % 60));
        for (bool binary : { false, true }) {
            for (bool twenty_four_hour : { false, true }) {
                ASSERT_EQ(decode_value(encode(time, binary, twenty_four_hour)), time)
                    << describe(time) << " binary=" << binary << " 24-hour=" << twenty_four_hour;
            }
        }
    }
}

// ---- calendar time and Unix time ---------------------------------------------------------

TEST(CalendarTimeUnix, Epoch)
{
    EXPECT_EQ(Core::seconds_since_unix_epoch(make_time(1970, 1, 1)), 0u);
    EXPECT_EQ(Core::calendar_from_unix_seconds(0), make_time(1970, 1, 1));
    EXPECT_EQ(Core::calendar_from_unix_seconds(59), make_time(1970, 1, 1, 0, 0, 59));
    EXPECT_EQ(Core::calendar_from_unix_seconds(86399), make_time(1970, 1, 1, 23, 59, 59));
    EXPECT_EQ(Core::calendar_from_unix_seconds(86400), make_time(1970, 1, 2));
}

TEST(CalendarTimeUnix, KnownTimestamps)
{
    struct Known {
        CalendarTime time;
        std::uint64_t unix_seconds;
    };
    // From calendar.timegm (see the top of the file).
    const Known known[] = {
        { make_time(2026, 11, 26), 1795651200 },
        { make_time(2026, 11, 26, 1, 23, 45), 1795656225 },
        { make_time(1999, 12, 31, 23, 59, 59), 946684799 },
        { make_time(2000, 2, 29), 951782400 },
        { make_time(2024, 2, 29), 1709164800 },
        { make_time(2038, 1, 19, 3, 14, 8), 2147483648 },
        { make_time(2099, 12, 31, 23, 59, 59), 4102444799 },
        { make_time(2100, 2, 28), 4107456000 },
        { make_time(2100, 3, 1), 4107542400 },
        { make_time(9999, 12, 31, 23, 59, 59), 253402300799 },
        { make_time(65535, 12, 31, 23, 59, 59), 2005949145599 },
    };
    for (const Known& entry : known) {
        EXPECT_EQ(Core::seconds_since_unix_epoch(entry.time), entry.unix_seconds)
            << describe(entry.time);
        EXPECT_EQ(Core::calendar_from_unix_seconds(entry.unix_seconds), entry.time)
            << describe(entry.time);
    }
}

TEST(CalendarTimeUnix, KnownTimestampByHand)
{
    // 2026-11-26 00:00:00, counted without the code under test: 56 whole years from 1970,
    // 14 of them leap (1972, 1976, ..., 2024), then January-October 2026 and 25 days.
    std::uint64_t leap_years = 0;
    for (unsigned year = 1972; year <= 2024; year += 4)
        ++leap_years;
    ASSERT_EQ(leap_years, 14u);
    std::uint64_t days = 56 * 365 + leap_years;
    days += 31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31; // January to October, 2026 not leap
    days += 26 - 1;
    EXPECT_EQ(days * 86400, 1795651200u);
    EXPECT_EQ(Core::seconds_since_unix_epoch(make_time(2026, 11, 26)), days * 86400);
}

TEST(CalendarTimeUnix, LeapDaysAndTheDaysAroundThem)
{
    using Core::seconds_since_unix_epoch;
    // A leap February is one day longer: 1 March is two days after 28 February.
    EXPECT_EQ(
        seconds_since_unix_epoch(make_time(2000, 3, 1)) - seconds_since_unix_epoch(make_time(2000, 2, 28)),
        2 * 86400u);
    EXPECT_EQ(
        seconds_since_unix_epoch(make_time(2024, 3, 1)) - seconds_since_unix_epoch(make_time(2024, 2, 28)),
        2 * 86400u);
    EXPECT_EQ(
        seconds_since_unix_epoch(make_time(2100, 3, 1)) - seconds_since_unix_epoch(make_time(2100, 2, 28)),
        86400u);
    EXPECT_EQ(Core::calendar_from_unix_seconds(951782400 - 1), make_time(2000, 2, 28, 23, 59, 59));
    EXPECT_EQ(Core::calendar_from_unix_seconds(951782400 + 86400), make_time(2000, 3, 1));
    EXPECT_EQ(Core::calendar_from_unix_seconds(4107456000 + 86400), make_time(2100, 3, 1));
    EXPECT_TRUE(Core::is_leap_year(2000));
    EXPECT_TRUE(Core::is_leap_year(2024));
    EXPECT_FALSE(Core::is_leap_year(2100));
    EXPECT_FALSE(Core::is_leap_year(2026));
    EXPECT_EQ(Core::days_in_month(2024, 2), 29);
    EXPECT_EQ(Core::days_in_month(2100, 2), 28);
    EXPECT_EQ(Core::days_in_month(2026, 0), 0);
    EXPECT_EQ(Core::days_in_month(2026, 13), 0);
}

TEST(CalendarTimeUnix, EveryDayFrom1970To2500MatchesTheModel)
{
    // The model walks the calendar a day at a time; each day, both directions must agree
    // with it at a time of day that moves around so that hours, minutes and seconds vary.
    CalendarTime date = make_time(1970, 1, 1);
    std::uint64_t day_number = 0;
    while (date.year < 2500) {
        std::uint64_t second_of_day = (day_number * 7919) % 86400;
        CalendarTime expected = date;
        expected.hour = static_cast<std::uint8_t>(second_of_day / 3600);
        expected.minute = static_cast<std::uint8_t>(second_of_day / 60 % 60);
        expected.second = static_cast<std::uint8_t>(second_of_day % 60);
        std::uint64_t unix_seconds = day_number * 86400 + second_of_day;
        ASSERT_EQ(Core::calendar_from_unix_seconds(unix_seconds), expected) << describe(expected);
        ASSERT_EQ(Core::seconds_since_unix_epoch(expected), unix_seconds) << describe(expected);
        model_advance_one_day(date);
        ++day_number;
    }
}

TEST(CalendarTimeUnix, RandomRoundTripsUpToTheLatestTime)
{
    std::mt19937_64 generator(1795651200);
    for (int sample = 0; sample < 200000; ++sample) {
        std::uint64_t unix_seconds = generator() % (Core::latest_calendar_unix_seconds + 1);
        CalendarTime time = Core::calendar_from_unix_seconds(unix_seconds);
        ASSERT_TRUE(Core::is_valid_calendar_time(time)) << unix_seconds;
        ASSERT_EQ(Core::seconds_since_unix_epoch(time), unix_seconds) << describe(time);
    }
}

TEST(CalendarTimeUnix, TimesPastYear65535Clamp)
{
    CalendarTime latest = make_time(65535, 12, 31, 23, 59, 59);
    EXPECT_EQ(Core::seconds_since_unix_epoch(latest), Core::latest_calendar_unix_seconds);
    EXPECT_EQ(
        Core::calendar_from_unix_seconds(Core::latest_calendar_unix_seconds + 1), latest);
    EXPECT_EQ(Core::calendar_from_unix_seconds(UINT64_MAX), latest);
}

TEST(CalendarTimeUnix, ValidityCheck)
{
    EXPECT_TRUE(Core::is_valid_calendar_time(make_time(2024, 2, 29, 23, 59, 59)));
    EXPECT_FALSE(Core::is_valid_calendar_time(make_time(1969, 12, 31, 23, 59, 59)));
    EXPECT_FALSE(Core::is_valid_calendar_time(make_time(2025, 2, 29)));
    EXPECT_FALSE(Core::is_valid_calendar_time(make_time(2025, 0, 1)));
    EXPECT_FALSE(Core::is_valid_calendar_time(make_time(2025, 13, 1)));
    EXPECT_FALSE(Core::is_valid_calendar_time(make_time(2025, 1, 0)));
    EXPECT_FALSE(Core::is_valid_calendar_time(make_time(2025, 1, 1, 24)));
    EXPECT_FALSE(Core::is_valid_calendar_time(make_time(2025, 1, 1, 0, 60)));
    EXPECT_FALSE(Core::is_valid_calendar_time(make_time(2025, 1, 1, 0, 0, 60)));
}

TEST(CalendarTimeUnixDeathTest, InvalidCalendarTimeIsACallerBug)
{
    EXPECT_DEATH((void)Core::seconds_since_unix_epoch(make_time(1969, 12, 31)),
        "VERIFY\\(is_valid_calendar_time");
    EXPECT_DEATH((void)Core::seconds_since_unix_epoch(make_time(2025, 2, 29)),
        "VERIFY\\(is_valid_calendar_time");
}
