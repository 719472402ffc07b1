#pragma once

// The pure half of the debug-build lock checker: it records which locks a CPU holds and
// judges each acquisition against the global order of LockRank.h, so that an ordering
// bug is reported the first time the wrong order runs, not only when two CPUs happen to
// deadlock on it. It also answers whether the CPU may sleep (it may not while holding a
// spinlock, which keeps interrupts off and would stall every CPU spinning on it).
//
// Nothing here touches the hardware or global state: the kernel keeps one HeldLocks per
// CPU and calls on_acquire()/on_release() from the lock operations, so the same code runs
// in host tests.

#include <Core/Format.h>
#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Locking/LockRank.h>

namespace Kernel::Locking {

// One lock as the checker sees it. The address tells locks apart (two locks may share a
// name or rank); the name and rank are what a report shows.
struct LockIdentity {
    const void* lock { nullptr };
    const char* name { nullptr };
    LockRank rank { LockRank::Leaf };
};

enum class LockOrderViolationKind : Core::u8 {
    // The lock ranks lower than a lock already held.
    LockOrderInversion,
    // The lock has the same rank as a lock already held.
    SameRankNested,
    // The lock is already held by this CPU, which would spin on itself forever.
    RecursiveAcquisition,
    // A lock was taken while a Leaf lock is held.
    AcquiredWhileHoldingLeaf,
    // on_release() was given a lock this CPU does not hold.
    ReleaseOfLockNotHeld,
    // More locks are held at once than HeldLocks can record.
    HeldLockStackOverflow,
    // check_may_sleep() found a spinlock held.
    MaySleepWhileHoldingSpinlock,
};

constexpr const char* lock_order_violation_kind_name(LockOrderViolationKind kind)
{
    switch (kind) {
    case LockOrderViolationKind::LockOrderInversion:
        return "lock order inversion";
    case LockOrderViolationKind::SameRankNested:
        return "same rank nested";
    case LockOrderViolationKind::RecursiveAcquisition:
        return "recursive acquisition";
    case LockOrderViolationKind::AcquiredWhileHoldingLeaf:
        return "acquired while holding a leaf lock";
    case LockOrderViolationKind::ReleaseOfLockNotHeld:
        return "release of a lock not held";
    case LockOrderViolationKind::HeldLockStackOverflow:
        return "held-lock stack overflow";
    case LockOrderViolationKind::MaySleepWhileHoldingSpinlock:
        return "may sleep while holding a spinlock";
    }
    return "unknown violation";
}

struct LockOrderViolation {
    LockOrderViolationKind kind;
    // The lock being acquired; present for every violation on_acquire() reports.
    Core::Optional<LockIdentity> acquiring;
    // The address given to on_release() for a lock that is not held. Only the address is
    // known there: the checker has no record of the lock, so no name or rank.
    const void* released_lock { nullptr };
    // The held lock that makes the operation wrong: the highest-ranked held lock for an
    // ordering problem, the earlier acquisition for a recursive one, the most recently
    // taken spinlock for check_may_sleep(). Absent for overflow and unbalanced release,
    // which involve no particular held lock.
    Core::Optional<LockIdentity> conflicting;
};

// The locks one CPU holds, oldest first. Only ever touched by its own CPU with interrupts
// off (every tracked lock is a Spinlock), so it needs no lock of its own.
class HeldLocks {
public:
    // Deeper than the lock order's longest legal chain (one lock per rank) with room to
    // spare; reaching it means locks are being leaked, not legitimately nested.
    static constexpr Core::usize capacity = 16;

    constexpr HeldLocks() = default;

    // Records that this CPU is about to take `lock` and reports if that breaks the lock
    // order. The lock is recorded even when a violation is reported, so that its
    // release stays balanced; only on overflow is it left out (there is no room).
    // Overflow is reported in preference to an ordering problem for that reason: it is
    // the one report after which the lock's release will not find it.
    [[nodiscard]] Core::Optional<LockOrderViolation> on_acquire(
        const void* lock, const char* name, LockRank rank);

    // Forgets `lock`. Releasing out of acquisition order is allowed (the entry is removed
    // wherever it sits); releasing a lock that is not recorded is reported.
    [[nodiscard]] Core::Optional<LockOrderViolation> on_release(const void* lock);

    // Reports a violation if any spinlock is held, for code about to block.
    [[nodiscard]] Core::Optional<LockOrderViolation> check_may_sleep() const;

    [[nodiscard]] constexpr Core::usize count() const { return m_count; }
    [[nodiscard]] constexpr bool is_empty() const { return m_count == 0; }
    [[nodiscard]] bool holds(const void* lock) const;
    // The most recently acquired lock still held, if any.
    [[nodiscard]] Core::Optional<LockIdentity> top() const;

    // The held locks, oldest first, for diagnostics.
    [[nodiscard]] Core::Span<const LockIdentity> entries() const { return { m_entries, m_count }; }
    const LockIdentity* begin() const { return m_entries; }
    const LockIdentity* end() const { return m_entries + m_count; }

private:
    LockIdentity m_entries[capacity] {};
    Core::usize m_count { 0 };
};

// Writes a multi-line report of `violation`: what went wrong, the locks involved with
// their ranks and addresses, the rule that was broken, and every lock in `held_locks`.
void format_violation(
    Core::FormatSink& sink, const LockOrderViolation& violation, const HeldLocks& held_locks);

} // namespace Kernel::Locking
