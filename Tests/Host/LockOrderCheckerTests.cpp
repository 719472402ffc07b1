// Host tests for Kernel/Locking/LockOrderChecker: each rule of docs/lock-order.md is
// broken once on purpose and the report is checked for the kind and both locks involved,
// and the held-lock record is checked to stay balanced through violations and
// out-of-order releases.

#include <Kernel/Locking/LockOrderChecker.h>
#include <cstdint>
#include <cstdio>
#include <gtest/gtest.h>
#include <string>
#include <string_view>
#include <vector>

using Kernel::Locking::HeldLocks;
using Kernel::Locking::LockIdentity;
using Kernel::Locking::LockOrderViolation;
using Kernel::Locking::LockOrderViolationKind;
using Kernel::Locking::LockRank;

namespace {

// Stand-ins for real locks: only their addresses matter to the checker.
struct FakeLock {
    const char* name;
    LockRank rank;
};

FakeLock page_tables_lock { "kernel-page-tables", LockRank::KernelPageTables };
FakeLock heap_lock { "heap", LockRank::Heap };
FakeLock physical_memory_lock { "physical-memory", LockRank::PhysicalMemory };
FakeLock log_lock { "log", LockRank::Leaf };
FakeLock log_call_site_lock { "log call site", LockRank::Leaf };
// A second lock sharing the heap's rank, as two slab caches with their own locks would.
FakeLock other_heap_lock { "other-heap", LockRank::Heap };

Core::Optional<LockOrderViolation> acquire(HeldLocks& held_locks, const FakeLock& lock)
{
    return held_locks.on_acquire(&lock, lock.name, lock.rank);
}

Core::Optional<LockOrderViolation> release(HeldLocks& held_locks, const FakeLock& lock)
{
    return held_locks.on_release(&lock);
}

class StringSink final : public Core::FormatSink {
public:
    void write(Core::StringView text) override { m_text.append(text.characters(), text.length()); }
    const std::string& text() const { return m_text; }

private:
    std::string m_text;
};

std::string format_to_string(const LockOrderViolation& violation, const HeldLocks& held_locks)
{
    StringSink sink;
    Kernel::Locking::format_violation(sink, violation, held_locks);
    return sink.text();
}

void expect_identity(const LockIdentity& identity, const FakeLock& lock)
{
    EXPECT_EQ(identity.lock, &lock);
    EXPECT_EQ(std::string_view(identity.name), std::string_view(lock.name));
    EXPECT_EQ(identity.rank, lock.rank);
}

std::vector<const void*> held_addresses(const HeldLocks& held_locks)
{
    std::vector<const void*> addresses;
    for (const LockIdentity& held : held_locks)
        addresses.push_back(held.lock);
    return addresses;
}

} // namespace

TEST(LockRank, FollowsTheDocumentedOrder)
{
    EXPECT_LT(LockRank::KernelPageTables, LockRank::Heap);
    EXPECT_LT(LockRank::Heap, LockRank::PhysicalMemory);
    EXPECT_LT(LockRank::PhysicalMemory, LockRank::Leaf);
    EXPECT_STREQ(Kernel::Locking::lock_rank_name(LockRank::Heap), "heap");
    EXPECT_STREQ(Kernel::Locking::lock_rank_name(LockRank::Leaf), "leaf");
    EXPECT_STREQ(Kernel::Locking::lock_rank_name(static_cast<LockRank>(99)), "unlisted");
}

TEST(LockOrderChecker, NestingInTheDocumentedOrderPasses)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, page_tables_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, heap_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, physical_memory_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, log_lock).has_value());
    EXPECT_EQ(held_locks.count(), 4u);
    ASSERT_TRUE(held_locks.top().has_value());
    expect_identity(*held_locks.top(), log_lock);

    EXPECT_FALSE(release(held_locks, log_lock).has_value());
    EXPECT_FALSE(release(held_locks, physical_memory_lock).has_value());
    EXPECT_FALSE(release(held_locks, heap_lock).has_value());
    EXPECT_FALSE(release(held_locks, page_tables_lock).has_value());
    EXPECT_TRUE(held_locks.is_empty());
    EXPECT_FALSE(held_locks.top().has_value());
}

TEST(LockOrderChecker, SkippingRanksPasses)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, page_tables_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, physical_memory_lock).has_value());
    EXPECT_FALSE(release(held_locks, physical_memory_lock).has_value());
    // After a release the same lower-ranked-than-before lock may be taken again.
    EXPECT_FALSE(acquire(held_locks, heap_lock).has_value());
}

TEST(LockOrderChecker, InversionIsCaughtAndNamesBothLocks)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, physical_memory_lock).has_value());
    auto violation = acquire(held_locks, heap_lock);
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->kind, LockOrderViolationKind::LockOrderInversion);
    ASSERT_TRUE(violation->acquiring.has_value());
    expect_identity(*violation->acquiring, heap_lock);
    ASSERT_TRUE(violation->conflicting.has_value());
    expect_identity(*violation->conflicting, physical_memory_lock);
    // Recorded anyway, so that its release is balanced.
    EXPECT_EQ(held_locks.count(), 2u);
    EXPECT_FALSE(release(held_locks, heap_lock).has_value());
    EXPECT_FALSE(release(held_locks, physical_memory_lock).has_value());
    EXPECT_TRUE(held_locks.is_empty());
}

TEST(LockOrderChecker, InversionReportsTheHighestRankedHeldLock)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, heap_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, physical_memory_lock).has_value());
    auto violation = acquire(held_locks, page_tables_lock);
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->kind, LockOrderViolationKind::LockOrderInversion);
    ASSERT_TRUE(violation->conflicting.has_value());
    expect_identity(*violation->conflicting, physical_memory_lock);
}

TEST(LockOrderChecker, InversionBelowAnEarlierViolationIsStillCaught)
{
    // After an inversion was reported (and recorded), the record is no longer sorted by
    // rank; the next check must still compare against every held lock, not just the top.
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, physical_memory_lock).has_value());
    EXPECT_TRUE(acquire(held_locks, page_tables_lock).has_value());
    auto violation = acquire(held_locks, heap_lock);
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->kind, LockOrderViolationKind::LockOrderInversion);
    ASSERT_TRUE(violation->conflicting.has_value());
    expect_identity(*violation->conflicting, physical_memory_lock);
}

TEST(LockOrderChecker, SameRankNestingIsCaught)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, heap_lock).has_value());
    auto violation = acquire(held_locks, other_heap_lock);
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->kind, LockOrderViolationKind::SameRankNested);
    ASSERT_TRUE(violation->acquiring.has_value());
    expect_identity(*violation->acquiring, other_heap_lock);
    ASSERT_TRUE(violation->conflicting.has_value());
    expect_identity(*violation->conflicting, heap_lock);
}

TEST(LockOrderChecker, AmongEquallyRankedHeldLocksTheMostRecentIsReported)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, heap_lock).has_value());
    EXPECT_TRUE(acquire(held_locks, other_heap_lock).has_value());
    auto violation = acquire(held_locks, page_tables_lock);
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->kind, LockOrderViolationKind::LockOrderInversion);
    ASSERT_TRUE(violation->conflicting.has_value());
    expect_identity(*violation->conflicting, other_heap_lock);
}

TEST(LockOrderChecker, RecursiveAcquisitionIsCaught)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, heap_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, physical_memory_lock).has_value());
    auto violation = acquire(held_locks, heap_lock);
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->kind, LockOrderViolationKind::RecursiveAcquisition);
    ASSERT_TRUE(violation->acquiring.has_value());
    expect_identity(*violation->acquiring, heap_lock);
    ASSERT_TRUE(violation->conflicting.has_value());
    expect_identity(*violation->conflicting, heap_lock);

    // Both acquisitions are on record; each release removes one.
    EXPECT_EQ(held_locks.count(), 3u);
    // The release removes the later acquisition, the one a nested scope would drop first.
    EXPECT_FALSE(release(held_locks, heap_lock).has_value());
    EXPECT_EQ(held_addresses(held_locks), (std::vector<const void*> { &heap_lock, &physical_memory_lock }));
    EXPECT_TRUE(held_locks.holds(&heap_lock));
    EXPECT_FALSE(release(held_locks, heap_lock).has_value());
    EXPECT_FALSE(held_locks.holds(&heap_lock));
    EXPECT_EQ(held_addresses(held_locks), std::vector<const void*> { &physical_memory_lock });
}

TEST(LockOrderChecker, AnyLockAfterALeafIsCaught)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, log_lock).has_value());

    auto lower = acquire(held_locks, heap_lock);
    ASSERT_TRUE(lower.has_value());
    EXPECT_EQ(lower->kind, LockOrderViolationKind::AcquiredWhileHoldingLeaf);
    ASSERT_TRUE(lower->conflicting.has_value());
    expect_identity(*lower->conflicting, log_lock);
    EXPECT_FALSE(release(held_locks, heap_lock).has_value());

    auto other_leaf = acquire(held_locks, log_call_site_lock);
    ASSERT_TRUE(other_leaf.has_value());
    EXPECT_EQ(other_leaf->kind, LockOrderViolationKind::AcquiredWhileHoldingLeaf);
    ASSERT_TRUE(other_leaf->acquiring.has_value());
    expect_identity(*other_leaf->acquiring, log_call_site_lock);
    ASSERT_TRUE(other_leaf->conflicting.has_value());
    expect_identity(*other_leaf->conflicting, log_lock);
}

TEST(LockOrderChecker, LeafMayBeTakenUnderAnyNonLeaf)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, physical_memory_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, log_call_site_lock).has_value());
    EXPECT_FALSE(release(held_locks, log_call_site_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, log_lock).has_value());
}

TEST(LockOrderChecker, ReleaseOfALockNotHeldIsCaught)
{
    HeldLocks held_locks;
    auto on_empty = release(held_locks, heap_lock);
    ASSERT_TRUE(on_empty.has_value());
    EXPECT_EQ(on_empty->kind, LockOrderViolationKind::ReleaseOfLockNotHeld);
    EXPECT_EQ(on_empty->released_lock, &heap_lock);
    EXPECT_FALSE(on_empty->acquiring.has_value());
    EXPECT_FALSE(on_empty->conflicting.has_value());

    EXPECT_FALSE(acquire(held_locks, page_tables_lock).has_value());
    EXPECT_FALSE(release(held_locks, page_tables_lock).has_value());
    // Released twice: the second release is unbalanced.
    auto twice = release(held_locks, page_tables_lock);
    ASSERT_TRUE(twice.has_value());
    EXPECT_EQ(twice->kind, LockOrderViolationKind::ReleaseOfLockNotHeld);
    EXPECT_EQ(twice->released_lock, &page_tables_lock);
    EXPECT_TRUE(held_locks.is_empty());
}

TEST(LockOrderChecker, OutOfOrderReleaseKeepsTheRecordConsistent)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, page_tables_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, heap_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, physical_memory_lock).has_value());

    // The middle lock goes first: allowed, and the others keep their order.
    EXPECT_FALSE(release(held_locks, heap_lock).has_value());
    EXPECT_EQ(
        held_addresses(held_locks), (std::vector<const void*> { &page_tables_lock, &physical_memory_lock }));
    EXPECT_FALSE(held_locks.holds(&heap_lock));
    ASSERT_TRUE(held_locks.top().has_value());
    expect_identity(*held_locks.top(), physical_memory_lock);

    // The record still judges correctly: heap is below physical-memory, still held.
    auto violation = acquire(held_locks, heap_lock);
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->kind, LockOrderViolationKind::LockOrderInversion);
    EXPECT_FALSE(release(held_locks, heap_lock).has_value());

    EXPECT_FALSE(release(held_locks, page_tables_lock).has_value());
    EXPECT_EQ(held_addresses(held_locks), std::vector<const void*> { &physical_memory_lock });
    EXPECT_FALSE(release(held_locks, physical_memory_lock).has_value());
    EXPECT_TRUE(held_locks.is_empty());
}

TEST(LockOrderChecker, OverflowIsReportedAndTheLockIsNotRecorded)
{
    HeldLocks held_locks;
    // Distinct addresses in strictly increasing rank, so nothing but depth is wrong.
    static constexpr Core::usize lock_count = HeldLocks::capacity + 1;
    char locks[lock_count] {};
    for (Core::usize index = 0; index < HeldLocks::capacity; ++index) {
        auto rank = static_cast<LockRank>(1 + index);
        EXPECT_FALSE(held_locks.on_acquire(&locks[index], "deep", rank).has_value()) << index;
    }
    EXPECT_EQ(held_locks.count(), HeldLocks::capacity);

    auto violation = held_locks.on_acquire(&locks[HeldLocks::capacity], "one too many", LockRank::Leaf);
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->kind, LockOrderViolationKind::HeldLockStackOverflow);
    ASSERT_TRUE(violation->acquiring.has_value());
    EXPECT_EQ(violation->acquiring->lock, &locks[HeldLocks::capacity]);
    EXPECT_FALSE(violation->conflicting.has_value());
    EXPECT_EQ(held_locks.count(), HeldLocks::capacity);
    EXPECT_FALSE(held_locks.holds(&locks[HeldLocks::capacity]));

    // The ones recorded still release cleanly.
    for (Core::usize index = HeldLocks::capacity; index > 0; --index)
        EXPECT_FALSE(held_locks.on_release(&locks[index - 1]).has_value()) << index;
    EXPECT_TRUE(held_locks.is_empty());
}

TEST(LockOrderChecker, MaySleepOnlyWithNoSpinlockHeld)
{
    HeldLocks held_locks;
    EXPECT_FALSE(held_locks.check_may_sleep().has_value());

    EXPECT_FALSE(acquire(held_locks, heap_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, log_lock).has_value());
    auto violation = held_locks.check_may_sleep();
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->kind, LockOrderViolationKind::MaySleepWhileHoldingSpinlock);
    EXPECT_FALSE(violation->acquiring.has_value());
    ASSERT_TRUE(violation->conflicting.has_value());
    expect_identity(*violation->conflicting, log_lock);
    // Checking changes nothing.
    EXPECT_EQ(held_locks.count(), 2u);

    EXPECT_FALSE(release(held_locks, log_lock).has_value());
    EXPECT_TRUE(held_locks.check_may_sleep().has_value());
    EXPECT_FALSE(release(held_locks, heap_lock).has_value());
    EXPECT_FALSE(held_locks.check_may_sleep().has_value());
}

TEST(LockOrderChecker, ReportNamesTheLocksTheRuleAndEveryHeldLock)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, page_tables_lock).has_value());
    EXPECT_FALSE(acquire(held_locks, physical_memory_lock).has_value());
    auto violation = acquire(held_locks, heap_lock);
    ASSERT_TRUE(violation.has_value());

    std::string report = format_to_string(*violation, held_locks);
    EXPECT_NE(report.find("lock order inversion"), std::string::npos) << report;
    EXPECT_NE(report.find("acquiring:      \"heap\" (rank heap = 20)"), std::string::npos) << report;
    EXPECT_NE(
        report.find("conflicts with: \"physical-memory\" (rank physical-memory = 30)"), std::string::npos)
        << report;
    EXPECT_NE(report.find("strictly lower rank"), std::string::npos) << report;
    EXPECT_NE(report.find("held locks (3, oldest first):"), std::string::npos) << report;
    auto first = report.find("#0 \"kernel-page-tables\" (rank kernel-page-tables = 10)");
    auto second = report.find("#1 \"physical-memory\"");
    auto third = report.find("#2 \"heap\"");
    ASSERT_NE(first, std::string::npos) << report;
    ASSERT_NE(second, std::string::npos) << report;
    ASSERT_NE(third, std::string::npos) << report;
    EXPECT_LT(first, second);
    EXPECT_LT(second, third);
    // Each line ends, so the report reads as lines when written to a console.
    EXPECT_EQ(report.back(), '\n');
}

TEST(LockOrderChecker, ReportOfAnUnbalancedReleaseShowsTheAddress)
{
    HeldLocks held_locks;
    auto violation = release(held_locks, heap_lock);
    ASSERT_TRUE(violation.has_value());

    char expected_address[32];
    std::snprintf(expected_address, sizeof expected_address, "0x%016llx",
        static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(&heap_lock)));
    std::string report = format_to_string(*violation, held_locks);
    EXPECT_NE(report.find("release of a lock not held"), std::string::npos) << report;
    EXPECT_NE(report.find(std::string("releasing:      lock at ") + expected_address), std::string::npos)
        << report;
    EXPECT_NE(report.find("held locks: none"), std::string::npos) << report;
    EXPECT_EQ(report.find("acquiring:"), std::string::npos) << report;
}

TEST(LockOrderChecker, ReportOfSleepingNamesTheHeldSpinlock)
{
    HeldLocks held_locks;
    EXPECT_FALSE(acquire(held_locks, heap_lock).has_value());
    auto violation = held_locks.check_may_sleep();
    ASSERT_TRUE(violation.has_value());
    std::string report = format_to_string(*violation, held_locks);
    EXPECT_NE(report.find("may sleep while holding a spinlock"), std::string::npos) << report;
    EXPECT_NE(report.find("while holding:  \"heap\""), std::string::npos) << report;
    EXPECT_NE(report.find("#0 \"heap\""), std::string::npos) << report;
}
