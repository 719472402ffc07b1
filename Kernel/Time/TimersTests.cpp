#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Test/KernelTest.h>
#include <Kernel/Time/Clock.h>
#include <Kernel/Time/Timers.h>

namespace {

struct FiredAt {
    Core::u64 nanoseconds;
    Core::u32 calls;
};

void record_firing(Kernel::Time::Timer&, void* context)
{
    auto* fired = static_cast<FiredAt*>(context);
    fired->nanoseconds = Kernel::Time::monotonic_nanoseconds();
    ++fired->calls;
}

// Sleeps (hlt, interrupts on) until `done` or the limit passes. There is no periodic
// tick, so a timer of its own at the limit makes sure the CPU wakes up to notice.
template<typename Predicate> void wait_with_interrupts(Predicate done, Core::u64 limit_ns)
{
    FiredAt limit_reached {};
    Kernel::Time::Timer limit(record_firing, &limit_reached);
    Kernel::Time::arm_timer(limit, Kernel::Time::monotonic_nanoseconds() + limit_ns);
    while (!done() && limit_reached.calls == 0)
        asm volatile("sti; hlt; cli" ::: "memory");
    (void)Kernel::Time::cancel_timer(limit);
}

// The documented tolerance (docs/time.md): a one-shot timer never fires before its
// deadline, and fires at most this late under QEMU's TCG on a loaded 2-core host (the
// emulated CPU can be descheduled for tens of milliseconds).
constexpr Core::u64 lateness_tolerance_ns = 100'000'000;

} // namespace

KERNEL_TEST(time, one_shot_timers_fire_on_time_and_in_order)
{
    FiredAt first {}, second {};
    Kernel::Time::Timer later(record_firing, &second);
    Kernel::Time::Timer sooner(record_firing, &first);
    Core::u64 now = Kernel::Time::monotonic_nanoseconds();
    Core::u64 sooner_deadline = now + 3'000'000;
    Core::u64 later_deadline = now + 8'000'000;
    Kernel::Time::arm_timer(later, later_deadline);
    Kernel::Time::arm_timer(sooner, sooner_deadline);
    wait_with_interrupts([&] { return second.calls > 0; }, 500'000'000);
    EXPECT_EQ(first.calls, 1u);
    EXPECT_EQ(second.calls, 1u);
    EXPECT(first.nanoseconds >= sooner_deadline);
    EXPECT(second.nanoseconds >= later_deadline);
    EXPECT(first.nanoseconds - sooner_deadline < lateness_tolerance_ns);
    EXPECT(second.nanoseconds - later_deadline < lateness_tolerance_ns);
    EXPECT(first.nanoseconds <= second.nanoseconds);
}

KERNEL_TEST(time, cancelled_timers_do_not_fire)
{
    FiredAt fired {};
    Kernel::Time::Timer timer(record_firing, &fired);
    Kernel::Time::arm_timer(timer, Kernel::Time::monotonic_nanoseconds() + 2'000'000);
    EXPECT(Kernel::Time::cancel_timer(timer));
    EXPECT(!Kernel::Time::cancel_timer(timer));
    Core::u64 start = Kernel::Time::monotonic_nanoseconds();
    wait_with_interrupts([] { return false; }, 6'000'000);
    EXPECT(Kernel::Time::monotonic_nanoseconds() - start >= 6'000'000);
    EXPECT_EQ(fired.calls, 0u);
}
