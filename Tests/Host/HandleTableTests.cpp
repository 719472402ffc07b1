// Host tests for Kernel/Objects/HandleTable: handle values and generations, stale and
// forged values, the order of lookup's errors, duplicate's rule that rights only shrink,
// transfer between tables, revocation along the derivation forest, the slot limit,
// growth and allocation failure, retirement when a generation would wrap, object lifetime
// (closing the last handle destroys the object), and a long randomized run checked
// against a model built on std::map.

#include <ABI/Handle.h>
#include <ABI/Rights.h>
#include <Kernel/Objects/HandleTable.h>
#include <Tests/Host/FailingAllocator.h>
#include <Tests/Host/HandleTableModel.h>
#include <algorithm>
#include <cstdint>
#include <gtest/gtest.h>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

using ABI::HandleValue;
using ABI::ObjectType;
using ABI::Right;
using ABI::Rights;
using Core::ErrorCode;
using Core::RefPtr;
using Kernel::Objects::HandleTable;
using Kernel::Objects::KernelObject;
using Kernel::Objects::TypedKernelObject;
using TestSupport::DestructionLog;
using TestSupport::FailingAllocator;
using TestSupport::HandleTableModel;
using TestEvent = TestSupport::LoggedEvent;
using TestTimer = TestSupport::LoggedTimer;

namespace {

template<typename T> RefPtr<T> make_object(DestructionLog& log)
{
    auto result = Core::try_make_ref_counted<T>(log, log.add_object());
    VERIFY(!result.is_error());
    return result.release_value();
}

template<typename T> ErrorCode error_of(const Core::Result<T>& result)
{
    EXPECT_TRUE(result.is_error());
    return result.is_error() ? result.error().code() : ErrorCode::Count;
}

HandleValue must_add(HandleTable& table, RefPtr<KernelObject> object, Rights rights)
{
    auto result = table.add(Core::move(object), rights);
    EXPECT_FALSE(result.is_error()) << (result.is_error() ? result.error().name() : "");
    return result.is_error() ? ABI::invalid_handle : result.value();
}

HandleValue must_duplicate(HandleTable& table, HandleValue handle, Rights rights)
{
    auto result = table.duplicate(handle, rights);
    EXPECT_FALSE(result.is_error()) << (result.is_error() ? result.error().name() : "");
    return result.is_error() ? ABI::invalid_handle : result.value();
}

bool is_valid_handle(const HandleTable& table, HandleValue handle)
{
    return !table.rights(handle).is_error();
}

} // namespace

// ---- Values and lifetimes ---------------------------------------------------------------

TEST(HandleTable, AddThenLookupReturnsTheObject)
{
    DestructionLog log;
    HandleTable table;
    auto event = make_object<TestEvent>(log);
    HandleValue handle = must_add(table, event, Right::Read | Right::Wait);
    EXPECT_EQ(table.handle_count(), 1u);

    auto found = table.lookup<TestEvent>(handle, Right::Read);
    ASSERT_FALSE(found.is_error());
    EXPECT_EQ(found.value(), event);
    EXPECT_EQ(found.value()->identity(), event->identity());
    auto rights = table.rights(handle);
    ASSERT_FALSE(rights.is_error());
    EXPECT_EQ(rights.value(), Right::Read | Right::Wait);
    EXPECT_TRUE(table.check_consistency());
}

TEST(HandleTable, ValuesCarryIndexAndGenerationAndAreNeverZero)
{
    DestructionLog log;
    HandleTable table;
    std::set<HandleValue> values;
    for (Core::u32 count = 0; count < 100; ++count) {
        HandleValue handle = must_add(table, make_object<TestEvent>(log), Right::Read);
        EXPECT_NE(handle, ABI::invalid_handle);
        // No valid value fits in the index bits alone: the generation is at least 1.
        EXPECT_GE(handle, 1u << HandleTable::index_bits);
        EXPECT_EQ(HandleTable::index_of(handle), count);
        EXPECT_EQ(HandleTable::generation_of(handle), HandleTable::first_generation);
        EXPECT_EQ(HandleTable::encode(count, HandleTable::first_generation), handle);
        EXPECT_TRUE(values.insert(handle).second);
    }
    EXPECT_EQ(HandleTable::index_bits + HandleTable::generation_bits, 32u);
    EXPECT_EQ(HandleTable::max_slots, 65536u);
    EXPECT_EQ(HandleTable::last_generation, 65535u);
}

TEST(HandleTable, ClosingTheLastHandleDestroysTheObject)
{
    DestructionLog log;
    HandleTable table;
    HandleValue handle = must_add(table, make_object<TestEvent>(log), Right::Read | Right::Duplicate);
    HandleValue copy = must_duplicate(table, handle, Right::Read);
    ASSERT_FALSE(table.close(handle).is_error());
    EXPECT_EQ(log.destroyed(0), 0) << "a duplicate still names the object";
    ASSERT_FALSE(table.close(copy).is_error());
    EXPECT_EQ(log.destroyed(0), 1);
    EXPECT_EQ(table.handle_count(), 0u);
    EXPECT_TRUE(table.check_consistency());
}

TEST(HandleTable, AReferenceFromLookupOutlivesTheHandle)
{
    DestructionLog log;
    HandleTable table;
    HandleValue handle = must_add(table, make_object<TestEvent>(log), Right::Read);
    RefPtr<TestEvent> held = table.lookup<TestEvent>(handle, {}).release_value();
    ASSERT_FALSE(table.close(handle).is_error());
    EXPECT_EQ(log.destroyed(0), 0);
    EXPECT_EQ(held->reference_count(), 1u);
    held.clear();
    EXPECT_EQ(log.destroyed(0), 1);
}

TEST(HandleTable, DestroyingTheTableReleasesEveryObject)
{
    DestructionLog log;
    {
        HandleTable table;
        for (int count = 0; count < 10; ++count) {
            HandleValue handle = must_add(table, make_object<TestEvent>(log), Right::Duplicate | Right::Read);
            must_duplicate(table, handle, Right::Read);
        }
        EXPECT_EQ(table.handle_count(), 20u);
    }
    for (int identity = 0; identity < 10; ++identity)
        EXPECT_EQ(log.destroyed(identity), 1) << identity;
}

TEST(HandleTable, StaleHandlesStayBadAfterTheSlotIsReused)
{
    DestructionLog log;
    HandleTable table;
    HandleValue first = must_add(table, make_object<TestEvent>(log), Right::Read);
    ASSERT_FALSE(table.close(first).is_error());
    EXPECT_EQ(error_of(table.lookup<TestEvent>(first, {})), ErrorCode::BadHandle);
    EXPECT_EQ(error_of(table.close(first)), ErrorCode::BadHandle);

    HandleValue second = must_add(table, make_object<TestEvent>(log), Right::Read);
    // The same slot, with the next generation.
    EXPECT_EQ(HandleTable::index_of(second), HandleTable::index_of(first));
    EXPECT_EQ(HandleTable::generation_of(second), HandleTable::generation_of(first) + 1);
    EXPECT_EQ(error_of(table.lookup<TestEvent>(first, {})), ErrorCode::BadHandle);
    EXPECT_EQ(error_of(table.close(first)), ErrorCode::BadHandle);
    // The failed close of the stale value left the new handle alone.
    auto found = table.lookup<TestEvent>(second, {});
    ASSERT_FALSE(found.is_error());
    EXPECT_EQ(found.value()->identity(), 1);
}

TEST(HandleTable, FreeSlotsAreReusedOldestFirst)
{
    DestructionLog log;
    HandleTable table;
    HandleValue handles[3];
    for (auto& handle : handles)
        handle = must_add(table, make_object<TestEvent>(log), Right::Read);
    ASSERT_FALSE(table.close(handles[1]).is_error());
    ASSERT_FALSE(table.close(handles[0]).is_error());
    EXPECT_EQ(HandleTable::index_of(must_add(table, make_object<TestEvent>(log), Right::Read)), 1u);
    EXPECT_EQ(HandleTable::index_of(must_add(table, make_object<TestEvent>(log), Right::Read)), 0u);
    EXPECT_EQ(HandleTable::index_of(must_add(table, make_object<TestEvent>(log), Right::Read)), 3u);
    EXPECT_TRUE(table.check_consistency());
}

TEST(HandleTable, ForgedValuesAreBadHandleForEveryOperation)
{
    DestructionLog log;
    HandleTable table;
    HandleValue live = must_add(table, make_object<TestEvent>(log), ABI::all_rights);
    HandleValue closed = must_add(table, make_object<TestEvent>(log), ABI::all_rights);
    ASSERT_FALSE(table.close(closed).is_error());
    Core::u32 live_index = HandleTable::index_of(live);
    Core::u32 live_generation = HandleTable::generation_of(live);
    Core::u32 closed_index = HandleTable::index_of(closed);

    const HandleValue forgeries[] = {
        ABI::invalid_handle,
        0xFFFF'FFFF,
        live_index,
        HandleTable::encode(live_index, 0),
        HandleTable::encode(live_index, live_generation + 1),
        HandleTable::encode(live_index, HandleTable::last_generation),
        HandleTable::encode(2, HandleTable::first_generation),
        HandleTable::encode(HandleTable::max_slots - 1, HandleTable::first_generation),
        // The closed slot's next generation: predictable, but the slot is free.
        HandleTable::encode(closed_index, HandleTable::generation_of(closed) + 1),
        closed,
    };
    for (HandleValue forged : forgeries) {
        SCOPED_TRACE(testing::Message() << "value 0x" << std::hex << forged);
        EXPECT_EQ(error_of(table.lookup<TestEvent>(forged, {})), ErrorCode::BadHandle);
        EXPECT_EQ(error_of(table.lookup<KernelObject>(forged, {})), ErrorCode::BadHandle);
        EXPECT_EQ(error_of(table.rights(forged)), ErrorCode::BadHandle);
        EXPECT_EQ(error_of(table.duplicate(forged, {})), ErrorCode::BadHandle);
        EXPECT_EQ(error_of(table.close(forged)), ErrorCode::BadHandle);
        EXPECT_EQ(error_of(table.revoke(forged)), ErrorCode::BadHandle);
        EXPECT_EQ(error_of(table.check_transfer(forged)), ErrorCode::BadHandle);
        EXPECT_EQ(error_of(table.remove_for_transfer(forged)), ErrorCode::BadHandle);
    }
    EXPECT_EQ(table.handle_count(), 1u);
    EXPECT_TRUE(is_valid_handle(table, live));
    EXPECT_EQ(log.destroyed(0), 0);
    EXPECT_TRUE(table.check_consistency());
}

// ---- Lookup -------------------------------------------------------------------------------

TEST(HandleTable, LookupChecksTheHandleThenTheTypeThenTheRights)
{
    DestructionLog log;
    HandleTable table;
    HandleValue read_only = must_add(table, make_object<TestEvent>(log), Right::Read);
    HandleValue stale = must_add(table, make_object<TestEvent>(log), Right::Read);
    ASSERT_FALSE(table.close(stale).is_error());

    // Everything wrong at once: the handle is reported first.
    EXPECT_EQ(error_of(table.lookup<TestTimer>(stale, Right::Write)), ErrorCode::BadHandle);
    // A live handle of another type, lacking the right too: the type is reported.
    EXPECT_EQ(error_of(table.lookup<TestTimer>(read_only, Right::Write)), ErrorCode::WrongType);
    EXPECT_EQ(error_of(table.lookup<TestTimer>(read_only, Right::Read)), ErrorCode::WrongType);
    // The right type without the right.
    EXPECT_EQ(error_of(table.lookup<TestEvent>(read_only, Right::Write)), ErrorCode::AccessDenied);
    EXPECT_EQ(
        error_of(table.lookup<TestEvent>(read_only, Right::Read | Right::Write)), ErrorCode::AccessDenied);
    EXPECT_FALSE(table.lookup<TestEvent>(read_only, Right::Read).is_error());
    EXPECT_FALSE(table.lookup<TestEvent>(read_only, ABI::no_rights).is_error());
}

TEST(HandleTable, LookupAsKernelObjectAcceptsAnyTypeButStillChecksRights)
{
    DestructionLog log;
    HandleTable table;
    HandleValue timer = must_add(table, make_object<TestTimer>(log), Right::Wait);
    auto any = table.lookup<KernelObject>(timer, Right::Wait);
    ASSERT_FALSE(any.is_error());
    EXPECT_EQ(any.value()->type(), ObjectType::Timer);
    EXPECT_EQ(error_of(table.lookup<KernelObject>(timer, Right::Signal)), ErrorCode::AccessDenied);
    EXPECT_EQ(error_of(table.lookup<TestEvent>(timer, Right::Wait)), ErrorCode::WrongType);
    auto typed = table.lookup<TestTimer>(timer, Right::Wait);
    ASSERT_FALSE(typed.is_error());
    EXPECT_EQ(typed.value()->identity(), 0);
}

TEST(HandleTable, AddRefusesUnknownRightBits)
{
    DestructionLog log;
    HandleTable table;
    auto event = make_object<TestEvent>(log);
    EXPECT_EQ(error_of(table.add(event, Rights::from_raw(1u << 9))), ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(table.add(event, Rights::from_raw(0xFFFF'FFFF))), ErrorCode::InvalidArgument);
    EXPECT_EQ(table.handle_count(), 0u);
    EXPECT_EQ(table.slot_count(), 0u);
    EXPECT_EQ(event->reference_count(), 1u);
}

// ---- Duplicate ----------------------------------------------------------------------------

TEST(HandleTable, DuplicateKeepsOrReducesRightsAndNeverWidens)
{
    DestructionLog log;
    HandleTable table;
    const Rights holder_rights = Right::Duplicate | Right::Read | Right::Map | Right::Wait;
    HandleValue holder = must_add(table, make_object<TestEvent>(log), holder_rights);
    // Every one of the 512 masks of known bits: a subset succeeds with exactly those
    // rights, anything else is refused.
    for (Core::u32 mask = 0; mask <= Rights::known_bits; ++mask) {
        Rights requested = Rights::from_raw(mask);
        auto duplicated = table.duplicate(holder, requested);
        if (requested.is_subset_of(holder_rights)) {
            ASSERT_FALSE(duplicated.is_error()) << mask;
            EXPECT_EQ(table.rights(duplicated.value()).value(), requested);
            EXPECT_EQ(table.lookup<TestEvent>(duplicated.value(), {}).value()->identity(), 0);
            ASSERT_FALSE(table.close(duplicated.value()).is_error());
        } else {
            EXPECT_EQ(error_of(duplicated), ErrorCode::AccessDenied) << mask;
        }
    }
    EXPECT_EQ(table.handle_count(), 1u);
    EXPECT_EQ(table.rights(holder).value(), holder_rights);
    EXPECT_TRUE(table.check_consistency());
}

TEST(HandleTable, DuplicateNeedsTheDuplicateRight)
{
    DestructionLog log;
    HandleTable table;
    HandleValue holder = must_add(table, make_object<TestEvent>(log), Right::Duplicate | Right::Read);
    // A duplicate may drop Duplicate itself, and then cannot be duplicated further.
    HandleValue final_copy = must_duplicate(table, holder, Right::Read);
    EXPECT_EQ(error_of(table.duplicate(final_copy, Right::Read)), ErrorCode::AccessDenied);
    EXPECT_EQ(error_of(table.duplicate(final_copy, ABI::no_rights)), ErrorCode::AccessDenied);
    HandleValue no_duplicate
        = must_add(table, make_object<TestEvent>(log), ABI::all_rights.without(Right::Duplicate));
    EXPECT_EQ(error_of(table.duplicate(no_duplicate, Right::Read)), ErrorCode::AccessDenied);
    EXPECT_EQ(table.handle_count(), 3u);
}

TEST(HandleTable, DuplicateChecksTheHandleThenTheBitsThenTheRights)
{
    DestructionLog log;
    HandleTable table;
    HandleValue without_duplicate = must_add(table, make_object<TestEvent>(log), Right::Read);
    HandleValue with_duplicate = must_add(table, make_object<TestEvent>(log), Right::Read | Right::Duplicate);
    HandleValue stale = must_add(table, make_object<TestEvent>(log), ABI::all_rights);
    ASSERT_FALSE(table.close(stale).is_error());
    Rights unknown_bits = Rights::from_raw(static_cast<Core::u32>(Right::Read) | 1u << 20);

    EXPECT_EQ(error_of(table.duplicate(stale, unknown_bits)), ErrorCode::BadHandle);
    EXPECT_EQ(error_of(table.duplicate(without_duplicate, unknown_bits)), ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(table.duplicate(with_duplicate, unknown_bits)), ErrorCode::InvalidArgument);
    EXPECT_EQ(error_of(table.duplicate(without_duplicate, Right::Read)), ErrorCode::AccessDenied);
    EXPECT_EQ(error_of(table.duplicate(with_duplicate, Right::Read | Right::Write)), ErrorCode::AccessDenied);
    EXPECT_EQ(table.handle_count(), 2u);
}

TEST(HandleTable, DuplicatesShareTheObjectAndOutliveTheOriginal)
{
    DestructionLog log;
    HandleTable table;
    HandleValue original = must_add(table, make_object<TestEvent>(log), Right::Duplicate | Right::Signal);
    HandleValue copy = must_duplicate(table, original, Right::Signal);
    EXPECT_NE(copy, original);
    EXPECT_EQ(table.lookup<TestEvent>(copy, {}).value(), table.lookup<TestEvent>(original, {}).value());
    ASSERT_FALSE(table.close(original).is_error());
    EXPECT_FALSE(table.lookup<TestEvent>(copy, Right::Signal).is_error());
    EXPECT_EQ(log.destroyed(0), 0);
    EXPECT_TRUE(table.check_consistency());
}

// ---- Transfer -----------------------------------------------------------------------------

TEST(HandleTable, TransferMovesAHandleToAnotherTable)
{
    DestructionLog log;
    HandleTable sender;
    HandleTable receiver;
    const Rights rights = Right::Transfer | Right::Read | Right::Signal;
    HandleValue sent = must_add(sender, make_object<TestEvent>(log), rights);

    EXPECT_FALSE(sender.check_transfer(sent).is_error());
    auto removed = sender.remove_for_transfer(sent);
    ASSERT_FALSE(removed.is_error());
    HandleTable::Entry entry = removed.release_value();
    EXPECT_EQ(entry.rights, rights);
    EXPECT_EQ(entry.object->type(), ObjectType::Event);
    EXPECT_EQ(sender.handle_count(), 0u);
    EXPECT_EQ(error_of(sender.lookup<TestEvent>(sent, {})), ErrorCode::BadHandle);
    EXPECT_EQ(log.destroyed(0), 0) << "the entry in flight holds the object";

    ASSERT_FALSE(receiver.reserve(1).is_error());
    HandleValue received = must_add(receiver, Core::move(entry.object), entry.rights);
    auto found = receiver.lookup<TestEvent>(received, Right::Read | Right::Signal);
    ASSERT_FALSE(found.is_error());
    EXPECT_EQ(found.value()->identity(), 0);
    EXPECT_EQ(receiver.rights(received).value(), rights);
    found.value().clear();
    ASSERT_FALSE(receiver.close(received).is_error());
    EXPECT_EQ(log.destroyed(0), 1);
    EXPECT_TRUE(sender.check_consistency());
    EXPECT_TRUE(receiver.check_consistency());
}

TEST(HandleTable, TransferNeedsTheTransferRight)
{
    DestructionLog log;
    HandleTable table;
    HandleValue handle
        = must_add(table, make_object<TestEvent>(log), ABI::all_rights.without(Right::Transfer));
    EXPECT_EQ(error_of(table.check_transfer(handle)), ErrorCode::AccessDenied);
    EXPECT_EQ(error_of(table.remove_for_transfer(handle)), ErrorCode::AccessDenied);
    // Refused, so still here and usable.
    EXPECT_FALSE(table.lookup<TestEvent>(handle, Right::Read).is_error());
    EXPECT_EQ(table.handle_count(), 1u);
}

TEST(HandleTable, DroppingAnEntryInFlightDestroysTheObject)
{
    DestructionLog log;
    HandleTable table;
    HandleValue handle = must_add(table, make_object<TestEvent>(log), Right::Transfer);
    {
        auto entry = table.remove_for_transfer(handle);
        ASSERT_FALSE(entry.is_error());
        EXPECT_EQ(log.destroyed(0), 0);
    }
    EXPECT_EQ(log.destroyed(0), 1);
}

// ---- Revocation ---------------------------------------------------------------------------

namespace {

// A table with one event and this derivation forest (every handle has all rights):
//   root ── a ── b ── e
//     │     └── c
//     └── d
//   other (a second root for the same object)
struct RevocationFixture {
    DestructionLog log;
    HandleTable table;
    HandleValue root, a, b, c, d, e, other;

    RevocationFixture()
    {
        auto event = make_object<TestEvent>(log);
        root = must_add(table, event, ABI::all_rights);
        other = must_add(table, event, ABI::all_rights);
        a = must_duplicate(table, root, ABI::all_rights);
        b = must_duplicate(table, a, ABI::all_rights);
        c = must_duplicate(table, a, ABI::all_rights);
        d = must_duplicate(table, root, ABI::all_rights);
        e = must_duplicate(table, b, ABI::all_rights);
    }
};

} // namespace

TEST(HandleTable, RevokeClosesTheHandleAndEverythingDerivedFromIt)
{
    RevocationFixture fixture;
    auto& table = fixture.table;
    auto closed = table.revoke(fixture.a);
    ASSERT_FALSE(closed.is_error());
    EXPECT_EQ(closed.value(), 4u);
    for (HandleValue gone : { fixture.a, fixture.b, fixture.c, fixture.e })
        EXPECT_FALSE(is_valid_handle(table, gone));
    for (HandleValue kept : { fixture.root, fixture.d, fixture.other })
        EXPECT_TRUE(is_valid_handle(table, kept));
    EXPECT_EQ(table.handle_count(), 3u);
    EXPECT_TRUE(table.check_consistency());

    EXPECT_EQ(table.revoke(fixture.root).value(), 2u);
    EXPECT_EQ(table.handle_count(), 1u);
    EXPECT_EQ(fixture.log.destroyed(0), 0);
    EXPECT_EQ(table.revoke(fixture.other).value(), 1u);
    EXPECT_EQ(fixture.log.destroyed(0), 1);
    EXPECT_TRUE(table.check_consistency());
}

TEST(HandleTable, RevokingALeafClosesOnlyIt)
{
    RevocationFixture fixture;
    EXPECT_EQ(fixture.table.revoke(fixture.e).value(), 1u);
    EXPECT_EQ(fixture.table.handle_count(), 6u);
    EXPECT_TRUE(is_valid_handle(fixture.table, fixture.b));
    EXPECT_TRUE(fixture.table.check_consistency());
}

TEST(HandleTable, RevokeReachesThroughClosedIntermediates)
{
    RevocationFixture fixture;
    auto& table = fixture.table;
    // Closing a moves b and c up to root; closing b moves e up to root.
    ASSERT_FALSE(table.close(fixture.a).is_error());
    ASSERT_FALSE(table.close(fixture.b).is_error());
    EXPECT_TRUE(table.check_consistency());
    EXPECT_EQ(table.revoke(fixture.root).value(), 4u);
    for (HandleValue gone : { fixture.root, fixture.c, fixture.d, fixture.e })
        EXPECT_FALSE(is_valid_handle(table, gone));
    EXPECT_TRUE(is_valid_handle(table, fixture.other));
    EXPECT_EQ(table.handle_count(), 1u);
    EXPECT_TRUE(table.check_consistency());
}

TEST(HandleTable, RevokeDoesNotReachAHandleTransferredAway)
{
    RevocationFixture fixture;
    auto& table = fixture.table;
    HandleTable receiver;
    // b leaves the table; e, derived from it, moves up to a.
    auto entry = table.remove_for_transfer(fixture.b).release_value();
    HandleValue received = must_add(receiver, Core::move(entry.object), entry.rights);
    EXPECT_TRUE(table.check_consistency());

    EXPECT_EQ(table.revoke(fixture.a).value(), 3u);
    EXPECT_FALSE(is_valid_handle(table, fixture.e));
    EXPECT_FALSE(is_valid_handle(table, fixture.c));
    EXPECT_TRUE(is_valid_handle(receiver, received));
    EXPECT_EQ(table.handle_count(), 3u);
}

TEST(HandleTable, RevokeOfADeepChainClosesItAll)
{
    DestructionLog log;
    HandleTable table;
    HandleValue root = must_add(table, make_object<TestEvent>(log), Right::Duplicate);
    HandleValue tip = root;
    for (int depth = 0; depth < 10000; ++depth)
        tip = must_duplicate(table, tip, Right::Duplicate);
    EXPECT_EQ(table.revoke(root).value(), 10001u);
    EXPECT_EQ(table.handle_count(), 0u);
    EXPECT_EQ(log.destroyed(0), 1);
    EXPECT_TRUE(table.check_consistency());
}

// ---- Limits, growth and allocation failure ------------------------------------------------

TEST(HandleTable, TheSlotLimitIsOutOfRangeAndClosingMakesRoom)
{
    DestructionLog log;
    HandleTable table(4);
    std::vector<HandleValue> handles;
    for (int count = 0; count < 4; ++count)
        handles.push_back(must_add(table, make_object<TestEvent>(log), ABI::all_rights));
    auto extra = make_object<TestEvent>(log);
    EXPECT_EQ(error_of(table.add(extra, Right::Read)), ErrorCode::OutOfRange);
    EXPECT_EQ(error_of(table.duplicate(handles[0], Right::Read)), ErrorCode::OutOfRange);
    EXPECT_EQ(error_of(table.reserve(1)), ErrorCode::OutOfRange);
    EXPECT_EQ(extra->reference_count(), 1u) << "the refused add let go of its reference";
    EXPECT_EQ(table.handle_count(), 4u);
    EXPECT_EQ(table.slot_capacity(), 4u) << "growth stops at the limit";

    ASSERT_FALSE(table.close(handles[2]).is_error());
    EXPECT_FALSE(table.reserve(1).is_error());
    EXPECT_EQ(error_of(table.reserve(2)), ErrorCode::OutOfRange);
    HandleValue reused = must_add(table, extra, Right::Read);
    EXPECT_EQ(HandleTable::index_of(reused), 2u);
    EXPECT_NE(reused, handles[2]);
    EXPECT_TRUE(table.check_consistency());
}

TEST(HandleTable, GrowthKeepsEveryHandleValid)
{
    DestructionLog log;
    FailingAllocator allocator;
    {
        HandleTable table(HandleTable::max_slots, allocator);
        EXPECT_EQ(allocator.attempts(), 0) << "an empty table allocates nothing";
        std::vector<HandleValue> handles;
        for (int count = 0; count < 5000; ++count)
            handles.push_back(must_add(table, make_object<TestEvent>(log), Right::Read));
        EXPECT_EQ(table.slot_count(), 5000u);
        EXPECT_GE(table.slot_capacity(), 5000u);
        // Doubling from 16: 16, 32, ..., 8192.
        EXPECT_EQ(allocator.attempts(), 10);
        for (int count = 0; count < 5000; ++count) {
            auto found = table.lookup<TestEvent>(handles[count], Right::Read);
            ASSERT_FALSE(found.is_error());
            ASSERT_EQ(found.value()->identity(), count);
        }
        EXPECT_TRUE(table.check_consistency());
    }
    EXPECT_EQ(allocator.outstanding(), 0u);
    EXPECT_EQ(allocator.foreign_frees(), 0);
    for (int identity = 0; identity < 5000; ++identity)
        ASSERT_EQ(log.destroyed(identity), 1);
}

TEST(HandleTable, AllocationFailureIsOutOfMemoryAndChangesNothing)
{
    DestructionLog log;
    FailingAllocator allocator;
    HandleTable table(HandleTable::max_slots, allocator);
    auto event = make_object<TestEvent>(log);

    allocator.fail_allocation(1);
    EXPECT_EQ(error_of(table.add(event, Right::Read)), ErrorCode::OutOfMemory);
    EXPECT_EQ(table.handle_count(), 0u);
    EXPECT_EQ(table.slot_count(), 0u);
    EXPECT_EQ(event->reference_count(), 1u);

    // Fill the first block of 16 slots, then fail the growth to 32.
    std::vector<HandleValue> handles;
    for (int count = 0; count < 16; ++count)
        handles.push_back(must_add(table, event, Right::Read | Right::Duplicate));
    allocator.fail_allocation(1);
    EXPECT_EQ(error_of(table.add(event, Right::Read)), ErrorCode::OutOfMemory);
    allocator.fail_allocation(1);
    EXPECT_EQ(error_of(table.duplicate(handles[0], Right::Read)), ErrorCode::OutOfMemory);
    allocator.fail_allocation(1);
    EXPECT_EQ(error_of(table.reserve(1)), ErrorCode::OutOfMemory);
    EXPECT_EQ(table.handle_count(), 16u);
    EXPECT_EQ(event->reference_count(), 17u);
    for (HandleValue handle : handles)
        EXPECT_TRUE(is_valid_handle(table, handle));
    EXPECT_TRUE(table.check_consistency());

    // Memory again: the same operations work.
    HandleValue added = must_add(table, event, Right::Read);
    EXPECT_EQ(HandleTable::index_of(added), 16u);
    must_duplicate(table, handles[0], Right::Read);
    EXPECT_TRUE(table.check_consistency());
}

TEST(HandleTable, ReserveMakesTheNextAddsInfallible)
{
    DestructionLog log;
    FailingAllocator allocator;
    HandleTable table(100, allocator);
    auto event = make_object<TestEvent>(log);
    std::vector<HandleValue> handles;
    for (int count = 0; count < 10; ++count)
        handles.push_back(must_add(table, event, Right::Read));
    for (int count = 0; count < 5; ++count)
        ASSERT_FALSE(table.close(handles[count]).is_error());

    // Five free slots need no allocation at all.
    allocator.fail_all(true);
    EXPECT_FALSE(table.reserve(5).is_error());
    EXPECT_EQ(error_of(table.reserve(80)), ErrorCode::OutOfMemory);
    allocator.fail_all(false);

    ASSERT_FALSE(table.reserve(80).is_error());
    allocator.fail_all(true);
    for (int count = 0; count < 80; ++count)
        must_add(table, event, Right::Read);
    EXPECT_EQ(table.handle_count(), 85u);
    // The reservation is used up: 85 slots fit in the capacity, the limit leaves 15 more.
    EXPECT_EQ(error_of(table.reserve(16)), ErrorCode::OutOfRange);
    EXPECT_FALSE(table.reserve(0).is_error());
    allocator.fail_all(false);
    EXPECT_TRUE(table.check_consistency());
}

TEST(HandleTable, ASlotIsRetiredWhenItsGenerationWouldWrap)
{
    DestructionLog log;
    HandleTable table(2);
    auto event = make_object<TestEvent>(log);
    HandleValue first = ABI::invalid_handle;
    HandleValue previous = ABI::invalid_handle;
    // With one slot in use at a time, slot 0 takes every generation in turn.
    for (Core::u32 generation = HandleTable::first_generation; generation <= HandleTable::last_generation;
         ++generation) {
        HandleValue handle = must_add(table, event, Right::Read);
        ASSERT_EQ(HandleTable::index_of(handle), 0u);
        ASSERT_EQ(HandleTable::generation_of(handle), generation);
        ASSERT_NE(handle, previous);
        if (generation == HandleTable::first_generation)
            first = handle;
        ASSERT_FALSE(table.close(handle).is_error());
        previous = handle;
    }
    EXPECT_EQ(table.retired_slot_count(), 1u);
    EXPECT_TRUE(table.check_consistency());
    EXPECT_FALSE(is_valid_handle(table, first));
    EXPECT_FALSE(is_valid_handle(table, previous));

    // The retired slot is never used again; the next handle gets slot 1 ...
    HandleValue next = must_add(table, event, Right::Read);
    EXPECT_EQ(HandleTable::index_of(next), 1u);
    EXPECT_EQ(HandleTable::generation_of(next), HandleTable::first_generation);
    EXPECT_FALSE(is_valid_handle(table, previous));
    // ... and with slot 1 in use the limit of two slots is reached.
    EXPECT_EQ(error_of(table.add(event, Right::Read)), ErrorCode::OutOfRange);
    EXPECT_EQ(error_of(table.reserve(1)), ErrorCode::OutOfRange);
    EXPECT_TRUE(table.check_consistency());
}

TEST(HandleTable, CloseAllClosesEverythingAndTheTableStaysUsable)
{
    DestructionLog log;
    HandleTable table;
    std::vector<HandleValue> handles;
    for (int count = 0; count < 8; ++count) {
        HandleValue handle = must_add(table, make_object<TestEvent>(log), ABI::all_rights);
        handles.push_back(handle);
        handles.push_back(must_duplicate(table, handle, ABI::all_rights));
        handles.push_back(must_duplicate(table, handles.back(), ABI::all_rights));
    }
    table.close_all();
    EXPECT_EQ(table.handle_count(), 0u);
    for (int identity = 0; identity < 8; ++identity)
        EXPECT_EQ(log.destroyed(identity), 1);
    for (HandleValue handle : handles)
        EXPECT_FALSE(is_valid_handle(table, handle));
    EXPECT_TRUE(table.check_consistency());

    HandleValue again = must_add(table, make_object<TestEvent>(log), Right::Read);
    EXPECT_EQ(std::count(handles.begin(), handles.end(), again), 0);
    EXPECT_TRUE(table.check_consistency());
}

// ---- Randomized run against a model -------------------------------------------------------

TEST(HandleTable, RandomOperationsMatchTheModel)
{
    constexpr Core::u32 slot_limit = 64;
    DestructionLog log;
    HandleTable table(slot_limit);
    HandleTableModel model;
    std::vector<ObjectType> object_types;
    struct InFlight {
        HandleTable::Entry entry;
        int object;
    };
    std::vector<InFlight> in_flight;
    // How often each outcome happened, so that the run shows it reached every path.
    std::map<std::string, int> outcomes;
    std::mt19937 random(20240607);
    auto pick = [&](Core::u32 bound) { return static_cast<Core::u32>(random() % bound); };

    auto random_rights = [&]() {
        // Mostly rich rights, so that operations succeed often enough to build deep forests;
        // now and then a mask with unknown bits.
        if (pick(12) == 0)
            return Rights::from_raw(static_cast<Core::u32>(random()));
        Core::u32 bits
            = pick(4) == 0 ? pick(Rights::known_bits + 1) : (Rights::known_bits & ~(1u << pick(9)));
        return Rights::from_raw(bits);
    };
    auto random_handle = [&]() -> HandleValue {
        Core::u32 choice = pick(20);
        if (choice < 14 && !model.handles.empty()) {
            auto entry = model.handles.begin();
            std::advance(entry, pick(static_cast<Core::u32>(model.handles.size())));
            return entry->first;
        }
        if (choice < 17 && !model.ever_issued.empty()) {
            auto entry = model.ever_issued.begin();
            std::advance(entry, pick(static_cast<Core::u32>(model.ever_issued.size())));
            return *entry;
        }
        return static_cast<HandleValue>(random());
    };
    auto identity_of = [&](HandleValue handle) {
        auto object = table.lookup<KernelObject>(handle, {}).release_value();
        // This test makes only LoggedEvents (type Event) and LoggedTimers (type Timer), so
        // the type names the class each downcast below goes to.
        if (object->type() == ObjectType::Event)
            return Core::static_ref_cast<TestEvent>(Core::move(object))->identity();
        return Core::static_ref_cast<TestTimer>(Core::move(object))->identity();
    };
    // Checks a result against the error the model expects (Count: success) and counts the
    // outcome; true when the operation succeeded.
    auto expect_outcome = [&](const char* operation, ErrorCode actual, ErrorCode expected) {
        EXPECT_EQ(actual, expected) << operation << ": got " << Core::Error(actual).name() << ", expected "
                                    << Core::Error(expected).name();
        ++outcomes[std::string(operation) + "."
            + (expected == ErrorCode::Count ? "ok" : Core::Error(expected).name())];
        return actual == expected && expected == ErrorCode::Count;
    };
    auto code_of
        = [](const auto& result) { return result.is_error() ? result.error().code() : ErrorCode::Count; };
    // No slot retires in this run (that takes 65535 closes of one slot), so the table is
    // full exactly when every slot holds a live handle.
    auto creation_error
        = [&]() { return model.handles.size() == slot_limit ? ErrorCode::OutOfRange : ErrorCode::Count; };
    auto record_new_handle = [&](HandleValue handle, int object, Rights rights, HandleValue parent) {
        ASSERT_LT(HandleTable::index_of(handle), slot_limit);
        ASSERT_GE(HandleTable::generation_of(handle), HandleTable::first_generation);
        ASSERT_TRUE(model.issue(handle, object, rights, parent)) << "value handed out twice: " << handle;
    };

    for (int step = 0; step < 30000; ++step) {
        SCOPED_TRACE(testing::Message() << "step " << step);
        Core::u32 operation = pick(100);
        if (operation < 15) {
            int object = log.add_object();
            bool is_event = pick(2) == 0;
            object_types.push_back(is_event ? ObjectType::Event : ObjectType::Timer);
            RefPtr<KernelObject> reference;
            if (is_event)
                reference = Core::try_make_ref_counted<TestEvent>(log, object).release_value();
            else
                reference = Core::try_make_ref_counted<TestTimer>(log, object).release_value();
            Rights rights = random_rights();
            auto result = table.add(reference, rights);
            ErrorCode expected = !rights.is_valid() ? ErrorCode::InvalidArgument : creation_error();
            if (expect_outcome("add", code_of(result), expected))
                record_new_handle(result.value(), object, rights, ABI::invalid_handle);
        } else if (operation < 40) {
            HandleValue handle = random_handle();
            auto found = model.handles.find(handle);
            // Mostly a part of what the handle has, to build deep forests; otherwise anything.
            Rights rights = random_rights();
            if (found != model.handles.end() && pick(3) != 0)
                rights = found->second.rights.intersection(rights);
            auto result = table.duplicate(handle, rights);
            ErrorCode expected = ErrorCode::Count;
            if (found == model.handles.end())
                expected = ErrorCode::BadHandle;
            else if (!rights.is_valid())
                expected = ErrorCode::InvalidArgument;
            else if (!found->second.rights.contains(Right::Duplicate)
                || !rights.is_subset_of(found->second.rights))
                expected = ErrorCode::AccessDenied;
            else
                expected = creation_error();
            if (expect_outcome("duplicate", code_of(result), expected))
                record_new_handle(result.value(), found->second.object, rights, handle);
        } else if (operation < 55) {
            HandleValue handle = random_handle();
            auto result = table.close(handle);
            bool known = model.contains(handle);
            if (expect_outcome("close", code_of(result), known ? ErrorCode::Count : ErrorCode::BadHandle))
                model.remove(handle);
        } else if (operation < 60) {
            HandleValue handle = random_handle();
            auto result = table.revoke(handle);
            bool known = model.contains(handle);
            if (expect_outcome("revoke", code_of(result), known ? ErrorCode::Count : ErrorCode::BadHandle)) {
                std::vector<HandleValue> subtree = model.subtree(handle);
                ASSERT_EQ(result.value(), subtree.size());
                if (subtree.size() > 1)
                    ++outcomes["revoke.several"];
                for (HandleValue gone : subtree)
                    model.handles.erase(gone);
            }
        } else if (operation < 70) {
            HandleValue handle = random_handle();
            auto checked = table.check_transfer(handle);
            auto result = table.remove_for_transfer(handle);
            auto found = model.handles.find(handle);
            ErrorCode expected = ErrorCode::Count;
            if (found == model.handles.end())
                expected = ErrorCode::BadHandle;
            else if (!found->second.rights.contains(Right::Transfer))
                expected = ErrorCode::AccessDenied;
            ASSERT_EQ(code_of(checked), expected);
            if (expect_outcome("transfer", code_of(result), expected)) {
                HandleTable::Entry entry = result.release_value();
                ASSERT_EQ(entry.rights, found->second.rights);
                int object = found->second.object;
                model.remove(handle);
                in_flight.push_back({ Core::move(entry), object });
            }
        } else if (operation < 78) {
            if (in_flight.empty())
                continue;
            Core::u32 chosen = pick(static_cast<Core::u32>(in_flight.size()));
            InFlight delivery = Core::move(in_flight[chosen]);
            in_flight.erase(in_flight.begin() + chosen);
            if (pick(4) == 0) {
                // Dropped, as when a channel is closed with messages unread.
                ++outcomes["deliver.dropped"];
                continue;
            }
            auto result = table.add(Core::move(delivery.entry.object), delivery.entry.rights);
            if (expect_outcome("deliver", code_of(result), creation_error()))
                record_new_handle(
                    result.value(), delivery.object, delivery.entry.rights, ABI::invalid_handle);
        } else {
            HandleValue handle = random_handle();
            Rights required = random_rights().intersection(Rights::from_raw(pick(Rights::known_bits + 1)));
            bool as_event = pick(3) != 0;
            auto found = model.handles.find(handle);
            ErrorCode expected = ErrorCode::Count;
            if (found == model.handles.end())
                expected = ErrorCode::BadHandle;
            else if ((object_types[found->second.object] == ObjectType::Event) != as_event)
                expected = ErrorCode::WrongType;
            else if (!found->second.rights.contains(required))
                expected = ErrorCode::AccessDenied;
            int identity = -1;
            ErrorCode actual = ErrorCode::Count;
            if (as_event) {
                auto result = table.lookup<TestEvent>(handle, required);
                actual = code_of(result);
                identity = result.is_error() ? -1 : result.value()->identity();
            } else {
                auto result = table.lookup<TestTimer>(handle, required);
                actual = code_of(result);
                identity = result.is_error() ? -1 : result.value()->identity();
            }
            if (expect_outcome("lookup", actual, expected))
                ASSERT_EQ(identity, found->second.object);
        }
        if (HasFailure())
            return;

        ASSERT_EQ(table.handle_count(), model.handles.size());
        if (step % 97 == 0) {
            ASSERT_TRUE(table.check_consistency());
            for (const auto& [handle, entry] : model.handles) {
                ASSERT_EQ(table.rights(handle).value(), entry.rights);
                ASSERT_EQ(identity_of(handle), entry.object);
            }
            // An object is alive exactly while a handle or an entry in flight names it.
            for (int object = 0; object < static_cast<int>(object_types.size()); ++object) {
                int holders = model.handles_to(object);
                for (const auto& flight : in_flight)
                    holders += flight.object == object;
                ASSERT_EQ(log.destroyed(object), holders > 0 ? 0 : 1) << "object " << object;
            }
        }
    }
    EXPECT_TRUE(table.check_consistency());
    for (const char* outcome :
        { "add.ok", "add.InvalidArgument", "add.OutOfRange", "duplicate.ok", "duplicate.BadHandle",
            "duplicate.InvalidArgument", "duplicate.AccessDenied", "duplicate.OutOfRange", "close.ok",
            "close.BadHandle", "revoke.ok", "revoke.several", "revoke.BadHandle", "transfer.ok",
            "transfer.BadHandle", "transfer.AccessDenied", "deliver.ok", "deliver.OutOfRange",
            "deliver.dropped", "lookup.ok", "lookup.BadHandle", "lookup.WrongType", "lookup.AccessDenied" })
        EXPECT_GT(outcomes[outcome], 10) << outcome;
}

// ---- Misuse by the kernel itself stops it -------------------------------------------------

TEST(HandleTableDeathTest, AddingNullAborts)
{
    HandleTable table;
    EXPECT_DEATH((void)table.add(nullptr, Right::Read), "VERIFY\\(object\\) failed");
}

TEST(HandleTableDeathTest, AnImpossibleSlotLimitAborts)
{
    EXPECT_DEATH(HandleTable(0), "VERIFY\\(slot_limit >= 1 && slot_limit <= max_slots\\) failed");
    EXPECT_DEATH(HandleTable(HandleTable::max_slots + 1), "failed");
}
