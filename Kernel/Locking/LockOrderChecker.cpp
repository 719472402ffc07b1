#include <Kernel/Locking/LockOrderChecker.h>

namespace Kernel::Locking {

namespace {

// Classifies taking a lock of `rank` while `highest_held` (the held lock of highest
// rank) is held, or returns nothing if the order allows it.
Core::Optional<LockOrderViolationKind> classify_against_highest_held(LockRank rank, LockRank highest_held)
{
    // Checked before the rank comparison, because a leaf held is a rule of its own
    // ("nothing under a leaf") even when the new lock is itself a leaf of equal rank.
    if (highest_held == LockRank::Leaf)
        return LockOrderViolationKind::AcquiredWhileHoldingLeaf;
    if (highest_held > rank)
        return LockOrderViolationKind::LockOrderInversion;
    if (highest_held == rank)
        return LockOrderViolationKind::SameRankNested;
    return {};
}

const char* rule_broken_by(LockOrderViolationKind kind)
{
    switch (kind) {
    case LockOrderViolationKind::LockOrderInversion:
    case LockOrderViolationKind::SameRankNested:
        return "a lock may only be taken while every held lock has a strictly lower rank "
               "(docs/lock-order.md)";
    case LockOrderViolationKind::RecursiveAcquisition:
        return "a CPU may not take a lock it already holds: it would spin on itself forever";
    case LockOrderViolationKind::AcquiredWhileHoldingLeaf:
        return "nothing may be acquired while a leaf lock is held";
    case LockOrderViolationKind::ReleaseOfLockNotHeld:
        return "a lock may only be released by the CPU that holds it, once per acquisition";
    case LockOrderViolationKind::HeldLockStackOverflow:
        return "no legal chain of locks is this deep; a lock is probably never released";
    case LockOrderViolationKind::MaySleepWhileHoldingSpinlock:
        return "code that may sleep must not hold a spinlock";
    }
    return "unknown rule";
}

void format_lock(Core::FormatSink& sink, const LockIdentity& identity)
{
    Core::format_to(sink, "\"{}\" (rank {} = {}) at {}", identity.name, lock_rank_name(identity.rank),
        static_cast<Core::u8>(identity.rank), identity.lock);
}

} // namespace

Core::Optional<LockOrderViolation> HeldLocks::on_acquire(const void* lock, const char* name, LockRank rank)
{
    LockIdentity acquiring { lock, name, rank };

    if (m_count == capacity) {
        LockOrderViolation violation { LockOrderViolationKind::HeldLockStackOverflow, acquiring, nullptr,
            {} };
        return violation;
    }

    // One pass finds both a recursive acquisition and the highest-ranked held lock. Ties
    // go to the more recent lock (>=), which is the one a reader will look for first.
    const LockIdentity* same_lock = nullptr;
    const LockIdentity* highest_held = nullptr;
    for (const LockIdentity& held : entries()) {
        if (held.lock == lock && same_lock == nullptr)
            same_lock = &held;
        if (highest_held == nullptr || held.rank >= highest_held->rank)
            highest_held = &held;
    }

    Core::Optional<LockOrderViolation> result;
    if (same_lock != nullptr) {
        result = LockOrderViolation { LockOrderViolationKind::RecursiveAcquisition, acquiring, nullptr,
            *same_lock };
    } else if (highest_held != nullptr) {
        if (auto kind = classify_against_highest_held(rank, highest_held->rank))
            result = LockOrderViolation { *kind, acquiring, nullptr, *highest_held };
    }

    m_entries[m_count++] = acquiring;
    return result;
}

Core::Optional<LockOrderViolation> HeldLocks::on_release(const void* lock)
{
    // Searched from the most recent entry down, so that with a recursive acquisition on
    // record the later one goes first, mirroring the order of the releases.
    for (Core::usize position = m_count; position > 0; --position) {
        Core::usize index = position - 1;
        if (m_entries[index].lock != lock)
            continue;
        for (Core::usize later = index + 1; later < m_count; ++later)
            m_entries[later - 1] = m_entries[later];
        --m_count;
        m_entries[m_count] = {};
        return {};
    }
    LockOrderViolation violation { LockOrderViolationKind::ReleaseOfLockNotHeld, {}, lock, {} };
    return violation;
}

Core::Optional<LockOrderViolation> HeldLocks::check_may_sleep() const
{
    // Every lock recorded here is a spinlock, so any entry at all forbids sleeping.
    if (m_count == 0)
        return {};
    LockOrderViolation violation { LockOrderViolationKind::MaySleepWhileHoldingSpinlock, {}, nullptr,
        m_entries[m_count - 1] };
    return violation;
}

bool HeldLocks::holds(const void* lock) const
{
    for (const LockIdentity& held : entries()) {
        if (held.lock == lock)
            return true;
    }
    return false;
}

Core::Optional<LockIdentity> HeldLocks::top() const
{
    if (m_count == 0)
        return {};
    return m_entries[m_count - 1];
}

void format_violation(
    Core::FormatSink& sink, const LockOrderViolation& violation, const HeldLocks& held_locks)
{
    Core::format_to(sink, "lock checker: {}\n", lock_order_violation_kind_name(violation.kind));
    if (violation.acquiring.has_value()) {
        sink.write("  acquiring:      ");
        format_lock(sink, *violation.acquiring);
        sink.write("\n");
    }
    if (violation.released_lock != nullptr)
        Core::format_to(sink, "  releasing:      lock at {}\n", violation.released_lock);
    if (violation.conflicting.has_value()) {
        sink.write(violation.kind == LockOrderViolationKind::MaySleepWhileHoldingSpinlock
                ? "  while holding:  "
                : "  conflicts with: ");
        format_lock(sink, *violation.conflicting);
        sink.write("\n");
    }
    Core::format_to(sink, "  rule: {}\n", rule_broken_by(violation.kind));

    if (held_locks.is_empty()) {
        sink.write("  held locks: none\n");
        return;
    }
    Core::format_to(sink, "  held locks ({}, oldest first):\n", held_locks.count());
    Core::usize index = 0;
    for (const LockIdentity& held : held_locks) {
        Core::format_to(sink, "    #{} ", index++);
        format_lock(sink, held);
        sink.write("\n");
    }
}

} // namespace Kernel::Locking
