// The wall clock against the CMOS RTC of the machine the tests run on, QEMU, whose RTC
// follows the host's clock (so the date is recent) and whose ACPI FADT names CMOS index
// 0x32 as the century register.

#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/CmosRtc.h>
#include <Kernel/Test/KernelTest.h>
#include <Core/CalendarTime.h>
#include <Kernel/Time/Clock.h>
#include <Kernel/Time/WallClock.h>

namespace {

// QEMU's RTC_CENTURY, the index its FADT reports.
constexpr Core::u8 qemu_century_register = 0x32;
// No test machine's clock is older than the code that tests it.
constexpr Core::u16 earliest_plausible_year = 2024;

// Spins until the monotonic clock has moved `nanoseconds` past `start`.
void wait_for_monotonic_nanoseconds(Core::u64 start, Core::u64 nanoseconds)
{
    while (Kernel::Time::monotonic_nanoseconds() - start < nanoseconds)
        Kernel::Arch::pause();
}

} // namespace

KERNEL_TEST(time, rtc_holds_a_recent_date)
{
    auto registers = Kernel::Arch::read_cmos_rtc(0);
    EXPECT(!registers.is_error());
    if (registers.is_error())
        return;
    EXPECT_EQ(registers.value().century, 0);
    auto decoded = Core::decode_rtc_registers(registers.value());
    EXPECT(!decoded.is_error());
    if (decoded.is_error())
        return;
    EXPECT(decoded.value().year >= earliest_plausible_year);
    EXPECT(decoded.value().year < 2100);
}

KERNEL_TEST(time, rtc_century_register_gives_the_same_year)
{
    auto without_century = Kernel::Arch::read_cmos_rtc(0);
    auto with_century = Kernel::Arch::read_cmos_rtc(qemu_century_register);
    EXPECT(!without_century.is_error());
    EXPECT(!with_century.is_error());
    if (without_century.is_error() || with_century.is_error())
        return;
    EXPECT(with_century.value().century != 0);
    auto year_without = Core::decode_rtc_registers(without_century.value());
    auto year_with = Core::decode_rtc_registers(with_century.value());
    EXPECT(!year_without.is_error());
    EXPECT(!year_with.is_error());
    if (year_without.is_error() || year_with.is_error())
        return;
    // Both readings are from the same minute unless the test straddles New Year's Eve.
    EXPECT_EQ(year_with.value().year, year_without.value().year);
}

KERNEL_TEST(time, rtc_rejects_a_century_register_outside_cmos_ram)
{
    auto clock_register = Kernel::Arch::read_cmos_rtc(0x0B);
    EXPECT(clock_register.is_error() && clock_register.error().code() == Core::ErrorCode::InvalidArgument);
    auto beyond_the_bank = Kernel::Arch::read_cmos_rtc(0x80);
    EXPECT(beyond_the_bank.is_error() && beyond_the_bank.error().code() == Core::ErrorCode::InvalidArgument);
}

KERNEL_TEST(time, wall_clock_reads_a_recent_year)
{
    // Read the RTC again here, so the test does not depend on where boot initialised the
    // wall clock; reinitialising on the boot CPU is what boot does too.
    Kernel::Time::initialize_wall_clock(qemu_century_register);
    EXPECT(Kernel::Time::wall_clock_is_set());
    Core::CalendarTime now
        = Core::calendar_from_unix_seconds(Kernel::Time::wall_clock_unix_seconds());
    EXPECT(now.year >= earliest_plausible_year);
    EXPECT(now.year < 2100);
}

KERNEL_TEST(time, wall_clock_advances_with_monotonic_time)
{
    Kernel::Time::initialize_wall_clock(qemu_century_register);
    EXPECT(Kernel::Time::wall_clock_is_set());
    Core::u64 wall_start = Kernel::Time::wall_clock_unix_seconds();
    Core::u64 monotonic_start = Kernel::Time::monotonic_nanoseconds();
    // 1.2 s: the wall clock has second resolution, so it must move by 1 or 2.
    wait_for_monotonic_nanoseconds(monotonic_start, 1'200'000'000ull);
    Core::u64 wall_elapsed = Kernel::Time::wall_clock_unix_seconds() - wall_start;
    EXPECT(wall_elapsed >= 1);
    EXPECT(wall_elapsed <= 2);

    // And it still agrees with the RTC, which kept counting on its own meanwhile.
    auto registers = Kernel::Arch::read_cmos_rtc(qemu_century_register);
    EXPECT(!registers.is_error());
    if (registers.is_error())
        return;
    auto rtc_time = Core::decode_rtc_registers(registers.value());
    EXPECT(!rtc_time.is_error());
    if (rtc_time.is_error())
        return;
    Core::u64 rtc_seconds = Core::seconds_since_unix_epoch(rtc_time.value());
    Core::u64 wall_seconds = Kernel::Time::wall_clock_unix_seconds();
    Core::u64 difference
        = rtc_seconds > wall_seconds ? rtc_seconds - wall_seconds : wall_seconds - rtc_seconds;
    EXPECT(difference <= 2);
}
