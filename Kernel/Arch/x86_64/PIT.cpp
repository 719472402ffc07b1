#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/PIT.h>

namespace Kernel::Arch {

namespace {

constexpr u16 pit_channel2_data_port = 0x42;
constexpr u16 pit_command_port = 0x43;
constexpr u16 speaker_control_port = 0x61;
constexpr u64 pit_input_frequency_hz = 1193182;
// 10 ms of PIT counts: long enough for a stable estimate, short enough for boot time.
constexpr u64 calibration_pit_ticks = pit_input_frequency_hz / 100;

} // namespace

Core::Optional<u64> measure_tsc_frequency_with_pit()
{
    // Channel 2's gate is bit 0 of port 0x61 (bit 1 drives the speaker, kept off). Hold the
    // gate low while the count is loaded: in mode 0 a low gate stops the counter, so the
    // count only runs from the moment the gate rises, right before the TSC is read.
    u8 control = in8(speaker_control_port);
    out8(speaker_control_port, static_cast<u8>(control & ~0x03));

    // Channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count), binary.
    out8(pit_command_port, 0xB0);
    out8(pit_channel2_data_port, static_cast<u8>(calibration_pit_ticks & 0xFF));
    out8(pit_channel2_data_port, static_cast<u8>(calibration_pit_ticks >> 8));

    // Raise the gate and time until OUT2 (bit 5) goes high at the terminal count.
    out8(speaker_control_port, static_cast<u8>((control & ~0x02) | 0x01));
    u64 start = read_timestamp_counter();
    // Bound the wait: a PIT that never fires must not hang boot. 2^32 TSC ticks is more
    // than a second on any machine that can run this kernel.
    constexpr u64 give_up_after_tsc_ticks = 1ull << 32;
    u64 now = start;
    while (!(in8(speaker_control_port) & 0x20)) {
        now = read_timestamp_counter();
        if (now - start > give_up_after_tsc_ticks)
            return {};
    }
    now = read_timestamp_counter();
    u64 elapsed = now - start;
    if (elapsed == 0)
        return {};
    return elapsed * pit_input_frequency_hz / calibration_pit_ticks;
}

} // namespace Kernel::Arch
