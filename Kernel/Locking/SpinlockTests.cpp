#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Test/KernelTest.h>

namespace {

// Test locks with ranks of their own, so the tests never touch a real subsystem's lock.
Kernel::Locking::Spinlock s_lower("test-lower", Kernel::Locking::LockRank::KernelPageTables);
Kernel::Locking::Spinlock s_higher("test-higher", Kernel::Locking::LockRank::PhysicalMemory);

} // namespace

KERNEL_TEST(locking, nesting_in_rank_order_is_allowed)
{
    {
        Kernel::Locking::SpinlockLocker outer(s_lower);
        Kernel::Locking::SpinlockLocker inner(s_higher);
        EXPECT(s_lower.is_locked() && s_higher.is_locked());
    }
    EXPECT(!s_lower.is_locked() && !s_higher.is_locked());
    // Interrupts come back as they were: on if they were on before.
    Core::u64 flags_before = Kernel::Arch::read_flags();
    {
        Kernel::Locking::SpinlockLocker locker(s_lower);
        EXPECT((Kernel::Arch::read_flags() & Kernel::Arch::interrupt_flag) == 0);
    }
    EXPECT_EQ(Kernel::Arch::read_flags() & Kernel::Arch::interrupt_flag,
        flags_before & Kernel::Arch::interrupt_flag);
}

// Taking a lower-ranked lock while holding a higher-ranked one is the pattern that
// deadlocks against the correct order; the debug checker must stop the kernel with a report.
KERNEL_PANIC_TEST(locking, lock_order_inversion_is_reported)
{
    Kernel::Locking::SpinlockLocker outer(s_higher);
    Kernel::Locking::SpinlockLocker inner(s_lower);
    test_context.fail("the inversion was not reported", __FILE__, __LINE__);
}

KERNEL_PANIC_TEST(locking, sleeping_with_a_spinlock_held_is_reported)
{
    Kernel::Locking::SpinlockLocker locker(s_lower);
    Kernel::Locking::assert_may_sleep();
    test_context.fail("blocking under a spinlock was not reported", __FILE__, __LINE__);
}
