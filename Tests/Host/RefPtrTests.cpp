// Host tests for Core/RefCounted and Core/RefPtr: counting through copies, moves and
// assignments, destruction exactly when the last reference goes, adopt and leak_ref,
// upcasts and downcasts through a hierarchy with a virtual destructor, comparisons,
// try_make_ref_counted's OutOfMemory path, and concurrent counting from several threads.
// Lifetimes are recorded in counters, and AddressSanitizer catches any use after free.

#include <Core/RefPtr.h>
#include <atomic>
#include <gtest/gtest.h>
#include <thread>
#include <type_traits>
#include <vector>

using Core::ErrorCode;
using Core::RefPtr;

namespace {

struct Lifetimes {
    int constructed { 0 };
    int destroyed { 0 };
};

class Counted final : public Core::RefCounted<Counted> {
public:
    Counted(Lifetimes& lifetimes, int payload)
        : m_lifetimes(&lifetimes)
        , m_payload(payload)
    {
        ++m_lifetimes->constructed;
    }
    ~Counted() { ++m_lifetimes->destroyed; }

    int payload() const { return m_payload; }
    void set_payload(int payload) { m_payload = payload; }

private:
    Lifetimes* m_lifetimes;
    int m_payload;
};

// A hierarchy rooted at Base, deleted through Base* by the last unref.
class Base : public Core::RefCounted<Base> {
public:
    explicit Base(Lifetimes& lifetimes)
        : m_lifetimes(&lifetimes)
    {
        ++m_lifetimes->constructed;
    }
    virtual ~Base() { ++m_lifetimes->destroyed; }
    virtual int kind() const { return 1; }

private:
    Lifetimes* m_lifetimes;
};

class Derived final : public Base {
public:
    Derived(Lifetimes& lifetimes, int& derived_destroyed)
        : Base(lifetimes)
        , m_derived_destroyed(&derived_destroyed)
    {
    }
    ~Derived() override { ++*m_derived_destroyed; }
    int kind() const override { return 2; }

private:
    int* m_derived_destroyed;
};

// A type whose no-throw allocation always fails, for try_make_ref_counted's error path.
class NeverAllocated final : public Core::RefCounted<NeverAllocated> {
public:
    explicit NeverAllocated(int& constructions) { ++constructions; }

    static void* operator new(size_t, const Core::NoThrowTag&) noexcept { return nullptr; }
    static void operator delete(void* pointer) { ::operator delete(pointer); }
};

} // namespace

static_assert(std::is_convertible_v<RefPtr<Derived>, RefPtr<Base>>);
static_assert(!std::is_convertible_v<RefPtr<Base>, RefPtr<Derived>>);
static_assert(!std::is_constructible_v<RefPtr<Derived>, RefPtr<Base>>);
static_assert(!std::is_convertible_v<RefPtr<Counted>, RefPtr<Base>>);
static_assert(!std::is_copy_constructible_v<Counted>);
static_assert(!std::is_copy_assignable_v<Counted>);
static_assert(sizeof(RefPtr<Counted>) == sizeof(Counted*));

TEST(RefPtr, MakeRefCountedStartsWithOneReference)
{
    Lifetimes lifetimes;
    {
        auto result = Core::try_make_ref_counted<Counted>(lifetimes, 7);
        ASSERT_FALSE(result.is_error());
        RefPtr<Counted> counted = result.release_value();
        ASSERT_TRUE(counted);
        EXPECT_EQ(counted->reference_count(), 1u);
        EXPECT_EQ(counted->payload(), 7);
        EXPECT_EQ((*counted).payload(), 7);
        EXPECT_EQ(lifetimes.constructed, 1);
        EXPECT_EQ(lifetimes.destroyed, 0);
    }
    EXPECT_EQ(lifetimes.destroyed, 1);
}

TEST(RefPtr, CopiesCountAndTheLastOneDestroys)
{
    Lifetimes lifetimes;
    RefPtr<Counted> first = Core::try_make_ref_counted<Counted>(lifetimes, 1).release_value();
    {
        RefPtr<Counted> second = first;
        EXPECT_EQ(first->reference_count(), 2u);
        EXPECT_EQ(second.get(), first.get());
        {
            RefPtr<Counted> third(second);
            EXPECT_EQ(first->reference_count(), 3u);
            // Changes through one reference are seen through the others: one object.
            third->set_payload(5);
            EXPECT_EQ(first->payload(), 5);
        }
        EXPECT_EQ(first->reference_count(), 2u);
    }
    EXPECT_EQ(first->reference_count(), 1u);
    EXPECT_EQ(lifetimes.destroyed, 0);
    first = nullptr;
    EXPECT_TRUE(first.is_null());
    EXPECT_EQ(lifetimes.destroyed, 1);
}

TEST(RefPtr, MovesHandOverWithoutCounting)
{
    Lifetimes lifetimes;
    RefPtr<Counted> source = Core::try_make_ref_counted<Counted>(lifetimes, 1).release_value();
    Counted* object = source.get();
    RefPtr<Counted> moved(Core::move(source));
    EXPECT_TRUE(source.is_null());
    EXPECT_EQ(moved.get(), object);
    EXPECT_EQ(object->reference_count(), 1u);

    RefPtr<Counted> assigned;
    assigned = Core::move(moved);
    EXPECT_TRUE(moved.is_null());
    EXPECT_EQ(assigned.get(), object);
    EXPECT_EQ(object->reference_count(), 1u);
    EXPECT_EQ(lifetimes.destroyed, 0);
    assigned.clear();
    EXPECT_EQ(lifetimes.destroyed, 1);
}

TEST(RefPtr, NullStateIsHarmless)
{
    RefPtr<Counted> empty;
    EXPECT_TRUE(empty.is_null());
    EXPECT_FALSE(empty);
    EXPECT_EQ(empty.get(), nullptr);
    EXPECT_TRUE(empty == nullptr);
    RefPtr<Counted> copy = empty;
    EXPECT_TRUE(copy.is_null());
    RefPtr<Counted> from_null(nullptr);
    EXPECT_TRUE(from_null.is_null());
    empty.clear();
    copy = empty;
    EXPECT_TRUE(copy.is_null());
    EXPECT_EQ(empty.leak_ref(), nullptr);
    // A null reference casts to null; there is no object whose type could be wrong.
    EXPECT_TRUE(Core::static_ref_cast<Counted>(RefPtr<Counted>()).is_null());
}

TEST(RefPtr, AssignmentReleasesTheOldObject)
{
    Lifetimes first_lifetimes;
    Lifetimes second_lifetimes;
    RefPtr<Counted> holder = Core::try_make_ref_counted<Counted>(first_lifetimes, 1).release_value();
    RefPtr<Counted> other = Core::try_make_ref_counted<Counted>(second_lifetimes, 2).release_value();
    holder = other;
    EXPECT_EQ(first_lifetimes.destroyed, 1);
    EXPECT_EQ(second_lifetimes.destroyed, 0);
    EXPECT_EQ(other->reference_count(), 2u);
    EXPECT_EQ(holder->payload(), 2);
}

TEST(RefPtr, SelfAssignmentKeepsTheObject)
{
    Lifetimes lifetimes;
    RefPtr<Counted> holder = Core::try_make_ref_counted<Counted>(lifetimes, 3).release_value();
    auto& alias = holder;
    holder = alias;
    ASSERT_TRUE(holder);
    EXPECT_EQ(holder->reference_count(), 1u);
    holder = Core::move(alias);
    ASSERT_TRUE(holder);
    EXPECT_EQ(holder->reference_count(), 1u);
    EXPECT_EQ(holder->payload(), 3);
    EXPECT_EQ(lifetimes.destroyed, 0);
}

TEST(RefPtr, AdoptTakesTheCreatorsReferenceAndLeakRefGivesItBack)
{
    Lifetimes lifetimes;
    auto* raw = new (Core::nothrow) Counted(lifetimes, 4);
    ASSERT_NE(raw, nullptr);
    EXPECT_EQ(raw->reference_count(), 1u);
    RefPtr<Counted> adopted = RefPtr<Counted>::adopt(raw);
    EXPECT_EQ(raw->reference_count(), 1u);

    Counted* leaked = adopted.leak_ref();
    EXPECT_TRUE(adopted.is_null());
    EXPECT_EQ(leaked, raw);
    EXPECT_EQ(leaked->reference_count(), 1u);
    EXPECT_EQ(lifetimes.destroyed, 0);

    RefPtr<Counted> readopted = RefPtr<Counted>::adopt(leaked);
    readopted.clear();
    EXPECT_EQ(lifetimes.destroyed, 1);
}

TEST(RefPtr, ReferenceFromAnObjectTakesANewReference)
{
    Lifetimes lifetimes;
    RefPtr<Counted> owner = Core::try_make_ref_counted<Counted>(lifetimes, 1).release_value();
    RefPtr<Counted> from_reference(*owner);
    EXPECT_EQ(owner->reference_count(), 2u);
    owner.clear();
    EXPECT_EQ(lifetimes.destroyed, 0);
    from_reference.clear();
    EXPECT_EQ(lifetimes.destroyed, 1);
}

TEST(RefPtr, ManualRefAndUnrefReportTheLastReference)
{
    Lifetimes lifetimes;
    Counted* raw = Core::try_make_ref_counted<Counted>(lifetimes, 1).release_value().leak_ref();
    raw->ref();
    EXPECT_EQ(raw->reference_count(), 2u);
    EXPECT_FALSE(raw->unref());
    EXPECT_EQ(lifetimes.destroyed, 0);
    EXPECT_TRUE(raw->unref());
    EXPECT_EQ(lifetimes.destroyed, 1);
}

TEST(RefPtr, UpcastsShareTheObjectAndTheLastReferenceRunsTheDerivedDestructor)
{
    Lifetimes lifetimes;
    int derived_destroyed = 0;
    RefPtr<Derived> derived
        = Core::try_make_ref_counted<Derived>(lifetimes, derived_destroyed).release_value();
    RefPtr<Base> base_copy = derived;
    EXPECT_EQ(derived->reference_count(), 2u);
    EXPECT_EQ(base_copy->kind(), 2);
    EXPECT_TRUE(base_copy == derived);
    EXPECT_TRUE(derived == base_copy);

    RefPtr<Base> base_moved = Core::move(derived);
    EXPECT_TRUE(derived.is_null());
    EXPECT_EQ(base_moved->reference_count(), 2u);

    RefPtr<Base> assigned;
    assigned = base_moved;
    RefPtr<Derived> another_derived
        = Core::try_make_ref_counted<Derived>(lifetimes, derived_destroyed).release_value();
    assigned = another_derived;
    assigned = Core::move(another_derived);
    EXPECT_TRUE(another_derived.is_null());
    EXPECT_EQ(assigned->reference_count(), 1u);

    base_copy.clear();
    base_moved.clear();
    EXPECT_EQ(derived_destroyed, 1);
    EXPECT_EQ(lifetimes.destroyed, 1);
    assigned.clear();
    EXPECT_EQ(derived_destroyed, 2);
    EXPECT_EQ(lifetimes.destroyed, 2);
    EXPECT_EQ(lifetimes.constructed, 2);
}

TEST(RefPtr, StaticRefCastMovesTheReferenceDown)
{
    Lifetimes lifetimes;
    int derived_destroyed = 0;
    RefPtr<Base> base = Core::try_make_ref_counted<Derived>(lifetimes, derived_destroyed).release_value();
    Base* object = base.get();
    // `base` was made as a Derived just above, so the downcast names that Derived.
    RefPtr<Derived> derived = Core::static_ref_cast<Derived>(Core::move(base));
    EXPECT_TRUE(base.is_null());
    // An upcast of the live Derived to its Base, to compare with the address taken before.
    EXPECT_EQ(static_cast<Base*>(derived.get()), object);
    EXPECT_EQ(derived->reference_count(), 1u);
    derived.clear();
    EXPECT_EQ(derived_destroyed, 1);
}

TEST(RefPtr, ComparisonsAreByIdentity)
{
    Lifetimes lifetimes;
    RefPtr<Counted> first = Core::try_make_ref_counted<Counted>(lifetimes, 1).release_value();
    RefPtr<Counted> same = first;
    RefPtr<Counted> equal_payload = Core::try_make_ref_counted<Counted>(lifetimes, 1).release_value();
    RefPtr<Counted> empty;

    EXPECT_TRUE(first == same);
    EXPECT_FALSE(first != same);
    EXPECT_FALSE(first == equal_payload);
    EXPECT_TRUE(first != equal_payload);
    EXPECT_TRUE(first == first.get());
    EXPECT_TRUE(first.get() == first);
    EXPECT_TRUE(first != equal_payload.get());
    EXPECT_TRUE(first != nullptr);
    EXPECT_TRUE(nullptr != first);
    EXPECT_TRUE(empty == nullptr);
    EXPECT_TRUE(nullptr == empty);
    EXPECT_FALSE(empty == first);
    EXPECT_TRUE(empty == RefPtr<Counted>());
}

TEST(RefPtr, SwapExchangesWithoutCounting)
{
    Lifetimes lifetimes;
    RefPtr<Counted> first = Core::try_make_ref_counted<Counted>(lifetimes, 1).release_value();
    RefPtr<Counted> second = Core::try_make_ref_counted<Counted>(lifetimes, 2).release_value();
    first.swap(second);
    EXPECT_EQ(first->payload(), 2);
    EXPECT_EQ(second->payload(), 1);
    EXPECT_EQ(first->reference_count(), 1u);
    EXPECT_EQ(second->reference_count(), 1u);
}

TEST(RefPtr, MakeRefCountedReportsOutOfMemory)
{
    int constructions = 0;
    auto result = Core::try_make_ref_counted<NeverAllocated>(constructions);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ErrorCode::OutOfMemory);
    // Nothing was constructed in memory that does not exist.
    EXPECT_EQ(constructions, 0);
}

TEST(RefPtr, ConcurrentCopiesDestroyExactlyOnce)
{
    constexpr int thread_count = 8;
    constexpr int copies_per_thread = 20000;
    for (int round = 0; round < 20; ++round) {
        Lifetimes lifetimes;
        std::atomic<bool> start { false };
        std::vector<std::thread> threads;
        {
            RefPtr<Counted> shared = Core::try_make_ref_counted<Counted>(lifetimes, round).release_value();
            for (int thread_index = 0; thread_index < thread_count; ++thread_index) {
                // Each thread gets its own reference, copies and drops it many times, and
                // drops its own last; which thread drops the very last one is up to timing.
                threads.emplace_back([own = shared, &start]() mutable {
                    while (!start.load())
                        std::this_thread::yield();
                    for (int copy_index = 0; copy_index < copies_per_thread; ++copy_index) {
                        RefPtr<Counted> copy = own;
                        RefPtr<Counted> moved = Core::move(copy);
                        EXPECT_GE(moved->reference_count(), 2u);
                    }
                    own.clear();
                });
            }
            start.store(true);
        }
        for (auto& thread : threads)
            thread.join();
        EXPECT_EQ(lifetimes.constructed, 1);
        EXPECT_EQ(lifetimes.destroyed, 1) << "round " << round;
    }
}

// ---- Misuse stops the program -----------------------------------------------------------

TEST(RefPtrDeathTest, DereferencingNullAborts)
{
    RefPtr<Counted> empty;
    EXPECT_DEATH((void)empty->payload(), "VERIFY\\(m_pointer != nullptr\\) failed");
    EXPECT_DEATH((void)(*empty).payload(), "VERIFY\\(m_pointer != nullptr\\) failed");
}

TEST(RefPtrDeathTest, AdoptingNullAborts)
{
    EXPECT_DEATH((void)RefPtr<Counted>::adopt(nullptr), "VERIFY\\(object != nullptr\\) failed");
}

TEST(RefPtrDeathTest, DeletingAReferencedObjectAborts)
{
    Lifetimes lifetimes;
    EXPECT_DEATH(
        {
            auto* raw = new (Core::nothrow) Counted(lifetimes, 1);
            delete raw;
        },
        "VERIFY\\(__atomic_load_n\\(&m_reference_count, __ATOMIC_RELAXED\\) == 0\\) failed");
}
