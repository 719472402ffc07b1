#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/HardwareRandom.h>
#include <Kernel/Security/BootEntropy.h>

namespace Kernel::Security {

namespace {

// The finaliser of SplitMix64: a bijection that spreads every input bit over the output,
// so that a few jittery low bits affect the whole value.
Core::u64 mix(Core::u64 value)
{
    value ^= value >> 30;
    value *= 0xBF58476D1CE4E5B9ull;
    value ^= value >> 27;
    value *= 0x94D049BB133111EBull;
    value ^= value >> 31;
    return value;
}

Core::u64 timestamp_jitter()
{
    // The time a port read takes varies from run to run (bus and emulator timing); the
    // low bits of many such intervals carry a little entropy each.
    constexpr Core::u32 samples = 64;
    constexpr Core::u16 unused_port = 0x80;
    Core::u64 accumulated = Arch::read_timestamp_counter();
    for (Core::u32 sample = 0; sample < samples; ++sample) {
        Core::u64 before = Arch::read_timestamp_counter();
        (void)Arch::in8(unused_port);
        Core::u64 after = Arch::read_timestamp_counter();
        accumulated = mix(accumulated ^ (after - before) ^ (static_cast<Core::u64>(sample) << 56));
    }
    return accumulated;
}

} // namespace

BootRandom boot_random_u64()
{
    auto hardware = Arch::hardware_random_u64();
    if (hardware.has_value())
        return { hardware.value(), "RDSEED/RDRAND" };
    return { timestamp_jitter(), "TSC jitter" };
}

} // namespace Kernel::Security
