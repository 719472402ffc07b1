#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Hpet.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Platform/Platform.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>
#include <Kernel/Time/Timers.h>

namespace {

Core::u32 s_interrupts_seen = 0;
Core::u64 s_hpet_at_firing = 0;

void count_interrupt(Kernel::Arch::RegisterState&, void*)
{
    __atomic_add_fetch(&s_interrupts_seen, 1, __ATOMIC_RELAXED);
}

void note_hpet_time(Kernel::Time::Timer&, void* context)
{
    s_hpet_at_firing = Kernel::Arch::hpet_nanoseconds();
    *static_cast<bool*>(context) = true;
}

// Sleeps with interrupts on until `flag` is set or `limit_ns` passes (a timer of its own
// guarantees a wake-up: there is no periodic tick).
void sleep_until(const volatile bool& flag, Core::u64 limit_ns)
{
    bool limit_reached = false;
    Kernel::Time::Timer limit(
        [](Kernel::Time::Timer&, void* reached) { *static_cast<bool*>(reached) = true; }, &limit_reached);
    Kernel::Time::arm_timer(limit, Kernel::Time::monotonic_nanoseconds() + limit_ns);
    while (!flag && !limit_reached)
        asm volatile("sti; hlt; cli" ::: "memory");
    (void)Kernel::Time::cancel_timer(limit);
}

} // namespace

// The PIT's channel 0 raises ISA IRQ 0 once (mode 0, one-shot). The MADT usually moves
// IRQ 0 to GSI 2; the route must follow the override for the interrupt to arrive.
// The firmware left the PIT running periodically, and an edge that reached the masked pin
// may be kept by the I/O APIC and delivered when the route unmasks it. So a first one-shot
// runs out while the pin is still masked (mode 0's output then stays high), the route is
// made and anything left over taken, and only then is the counted one-shot started.
KERNEL_TEST(platform, isa_irq_0_arrives_through_the_io_apic)
{
    auto vector = Kernel::Arch::allocate_interrupt_vector(count_interrupt, nullptr);
    EXPECT(!vector.is_error());
    if (vector.is_error())
        return;
    constexpr Core::u16 pit_channel0 = 0x40, pit_command = 0x43;
    auto start_one_shot = [] {
        Kernel::Arch::out8(pit_command, 0x30); // channel 0, lobyte/hibyte, mode 0
        Kernel::Arch::out8(pit_channel0, 0xA9); // 1193 ticks: about 1 ms
        Kernel::Arch::out8(pit_channel0, 0x04);
    };
    bool never = false;
    start_one_shot();
    sleep_until(never, 5'000'000);
    auto gsi = Kernel::Platform::route_isa_irq(0, vector.value());
    EXPECT(!gsi.is_error());
    if (!gsi.is_error()) {
        sleep_until(never, 1'000'000);
        __atomic_store_n(&s_interrupts_seen, 0, __ATOMIC_RELAXED);
        start_one_shot();
        Core::u64 start = Kernel::Time::monotonic_nanoseconds();
        while (__atomic_load_n(&s_interrupts_seen, __ATOMIC_RELAXED) == 0
            && Kernel::Time::monotonic_nanoseconds() - start < 200'000'000)
            sleep_until(never, 5'000'000);
        // The output stays high after the count: a second interrupt would be wrong.
        sleep_until(never, 5'000'000);
        EXPECT_EQ(__atomic_load_n(&s_interrupts_seen, __ATOMIC_RELAXED), 1u);
        EXPECT(!Kernel::Platform::mask_isa_irq(0).is_error());
    }
    Kernel::Arch::free_interrupt_vector(vector.value());
}

// Timers are programmed from the TSC-based clock; measured on the independent HPET, a
// 10 ms timer must take 10 ms, within the tolerance docs/time.md gives (none early beyond
// the TSC's calibration error of 0.5%, at most 100 ms late under a loaded emulator).
KERNEL_TEST(time, one_shot_timers_agree_with_the_hpet)
{
    EXPECT(Kernel::Arch::hpet_ready());
    if (!Kernel::Arch::hpet_ready())
        return;
    constexpr Core::u64 delay_ns = 10'000'000;
    bool fired = false;
    Kernel::Time::Timer timer(note_hpet_time, &fired);
    Core::u64 hpet_start = Kernel::Arch::hpet_nanoseconds();
    Kernel::Time::arm_timer(timer, Kernel::Time::monotonic_nanoseconds() + delay_ns);
    sleep_until(fired, 1'000'000'000);
    EXPECT(fired);
    Core::u64 measured = s_hpet_at_firing - hpet_start;
    EXPECT(measured >= delay_ns - delay_ns / 200);
    EXPECT(measured < delay_ns + 100'000'000);
}
