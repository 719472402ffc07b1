#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Locking/LockOrderChecker.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Panic/Panic.h>

namespace Kernel::Locking {

namespace {

// The locks each CPU holds, by processor index. Only that CPU touches its entry, with
// interrupts off (an interrupt handler taking a lock pushes and pops in between).
HeldLocks s_held_locks[Arch::max_processors];

[[noreturn]] void report(const LockOrderViolation& violation, const HeldLocks& held)
{
    Core::FixedStringBuilder<1024> text;
    format_violation(text, violation, held);
    Panic::panic_with_message(text.string_view());
}

HeldLocks& held_locks_of_this_cpu()
{
    return s_held_locks[Arch::current_processor_index()];
}

} // namespace

void check_not_held_before_spinning(const Spinlock& lock)
{
    Arch::InterruptsDisabled interrupts_disabled;
    HeldLocks& held = held_locks_of_this_cpu();
    if (held.holds(&lock)) {
        // Report it as the checker would, without spinning forever on our own lock first.
        if (auto violation = held.on_acquire(&lock, lock.name(), lock.rank()); violation.has_value())
            report(violation.value(), held);
    }
}

void check_lock_acquisition(const Spinlock& lock)
{
    Arch::InterruptsDisabled interrupts_disabled;
    HeldLocks& held = held_locks_of_this_cpu();
    if (auto violation = held.on_acquire(&lock, lock.name(), lock.rank()); violation.has_value())
        report(violation.value(), held);
}

void check_lock_release(const Spinlock& lock)
{
    Arch::InterruptsDisabled interrupts_disabled;
    HeldLocks& held = held_locks_of_this_cpu();
    if (auto violation = held.on_release(&lock); violation.has_value()) {
        violation->acquiring = LockIdentity { &lock, lock.name(), lock.rank() };
        report(violation.value(), held);
    }
}

void check_may_sleep()
{
    Arch::InterruptsDisabled interrupts_disabled;
    HeldLocks& held = held_locks_of_this_cpu();
    if (auto violation = held.check_may_sleep(); violation.has_value())
        report(violation.value(), held);
}

} // namespace Kernel::Locking
