#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/CmosRtc.h>

namespace Kernel::Arch {

namespace {

constexpr u16 cmos_index_port = 0x70;
constexpr u16 cmos_data_port = 0x71;
// Set in every index written to port 0x70 while reading: an NMI arriving between the index
// write and the data read could run a handler that selects another register.
constexpr u8 nmi_disable_bit = 0x80;
// Left selected when done, with NMIs unmasked. Status register D is read-only, and some
// firmware expects it to be the register selected when it next touches the CMOS.
constexpr u8 register_status_d = 0x0D;

constexpr u8 register_seconds = 0x00;
constexpr u8 register_minutes = 0x02;
constexpr u8 register_hours = 0x04;
constexpr u8 register_day_of_month = 0x07;
constexpr u8 register_month = 0x08;
constexpr u8 register_year = 0x09;
constexpr u8 register_status_a = 0x0A;
constexpr u8 register_status_b = 0x0B;
// Set from 244 us before an update until it ends (about 2 ms): the time registers may
// then be mid-change.
constexpr u8 status_a_update_in_progress = 0x80;

// Each poll is a port read, at least ~1 us on real ISA-style hardware, so this is far more
// than the ~2 ms an update lasts; an absent RTC (the bus reads 0xFF, flag always set)
// gives up instead of hanging boot.
constexpr u32 update_in_progress_polls_before_giving_up = 1'000'000;
// Two readings disagree only when a tick (once a second) falls between them, so a few
// attempts are plenty; more than this means the registers are not settling at all.
constexpr u32 readings_before_giving_up = 8;

u8 read_cmos_register(u8 index)
{
    // Without this, an interrupt handler on this CPU that used the CMOS between the index
    // write and the data read would leave another register selected.
    InterruptsDisabled interrupts_disabled;
    out8(cmos_index_port, static_cast<u8>(index | nmi_disable_bit));
    return in8(cmos_data_port);
}

bool wait_until_no_update_in_progress()
{
    for (u32 poll = 0; poll < update_in_progress_polls_before_giving_up; ++poll) {
        if (!(read_cmos_register(register_status_a) & status_a_update_in_progress))
            return true;
        pause();
    }
    return false;
}

Core::RtcRegisters read_time_registers(u8 century_register)
{
    Core::RtcRegisters registers {};
    registers.second = read_cmos_register(register_seconds);
    registers.minute = read_cmos_register(register_minutes);
    registers.hour = read_cmos_register(register_hours);
    registers.day = read_cmos_register(register_day_of_month);
    registers.month = read_cmos_register(register_month);
    registers.year = read_cmos_register(register_year);
    registers.century = century_register != 0 ? read_cmos_register(century_register) : 0;
    registers.status_b = read_cmos_register(register_status_b);
    return registers;
}

Core::Result<Core::RtcRegisters> read_settled_time_registers(u8 century_register)
{
    if (!wait_until_no_update_in_progress())
        return Core::ErrorCode::TimedOut;
    Core::RtcRegisters previous = read_time_registers(century_register);
    for (u32 reading = 1; reading < readings_before_giving_up; ++reading) {
        if (!wait_until_no_update_in_progress())
            return Core::ErrorCode::TimedOut;
        Core::RtcRegisters current = read_time_registers(century_register);
        // An update can start right after the flag was seen clear, so one reading may
        // straddle a tick; two identical readings in a row cannot both have.
        if (current == previous)
            return current;
        previous = current;
    }
    return Core::ErrorCode::TimedOut;
}

} // namespace

Core::Result<Core::RtcRegisters> read_cmos_rtc(u8 century_register)
{
    if (century_register != 0 && !is_cmos_ram_index(century_register))
        return Core::ErrorCode::InvalidArgument;
    auto registers = read_settled_time_registers(century_register);
    // The kernel never masks NMIs otherwise, so unmasking here restores what was there.
    out8(cmos_index_port, register_status_d);
    return registers;
}

} // namespace Kernel::Arch
