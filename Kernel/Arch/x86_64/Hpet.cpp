#include <Kernel/Arch/x86_64/Hpet.h>
#include <Kernel/Memory/MemoryManager.h>

namespace Kernel::Arch {

using Core::u32;
using Core::u64;
using Core::u8;

namespace {

constexpr u32 capabilities_register = 0x000 / 8;
constexpr u32 configuration_register = 0x010 / 8;
constexpr u32 main_counter_register = 0x0F0 / 8;
constexpr u64 enable_counter = 1u << 0;
// The specification caps the period at 100 ns (0x05F5E100 femtoseconds).
constexpr u64 longest_valid_period_fs = 100'000'000;

volatile u64* s_registers = nullptr;
u64 s_period_fs = 0;

} // namespace

Core::Result<void> initialize_hpet(u64 physical_address)
{
    void* mapped = TRY(Memory::map_device(physical_address, 0x400, CacheMode::Uncached));
    auto* registers = static_cast<volatile u64*>(mapped);
    // Invariant: `registers` maps the HPET's 1 KiB register block uncached; the registers
    // used are 64-bit and 8-byte aligned.
    u64 capabilities = registers[capabilities_register];
    u64 period = capabilities >> 32;
    // A 32-bit main counter wraps within a minute at common rates; the reference clock needs
    // the 64-bit one (COUNT_SIZE_CAP, bit 13).
    constexpr u64 counter_is_64_bit = 1u << 13;
    if (period == 0 || period > longest_valid_period_fs || !(capabilities & counter_is_64_bit))
        return Core::ErrorCode::NotSupported;
    registers[configuration_register] = registers[configuration_register] | enable_counter;
    s_period_fs = period;
    __atomic_store_n(&s_registers, registers, __ATOMIC_RELEASE);
    return {};
}

bool hpet_ready()
{
    return __atomic_load_n(&s_registers, __ATOMIC_ACQUIRE) != nullptr;
}

u64 hpet_nanoseconds()
{
    // Invariant: as above; only the main counter is read.
    u64 ticks = s_registers[main_counter_register];
    // Femtoseconds to nanoseconds without overflowing 64 bits: whole millions of ticks
    // first, then the remainder (at most 10^6 * 10^8 femtoseconds).
    constexpr u64 femtoseconds_per_nanosecond = 1'000'000;
    return (ticks / femtoseconds_per_nanosecond) * s_period_fs
        + (ticks % femtoseconds_per_nanosecond) * s_period_fs / femtoseconds_per_nanosecond;
}

u64 hpet_frequency_hz()
{
    return s_period_fs ? 1'000'000'000'000'000ull / s_period_fs : 0;
}

} // namespace Kernel::Arch
