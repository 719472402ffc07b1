// Host tests for Kernel/Scheduling/FixedPriorityQueue: FIFO order within a level, higher
// levels first, round-robin rotation, enqueue_front for preempted threads, the edges of the
// two-word level bitmap (levels 1, 63, 64, 99, 100), dequeuing from anywhere, misuse caught by
// VERIFY, and a long randomized run checked against a std::map-of-deques model.

#include <Kernel/Scheduling/FixedPriorityQueue.h>
#include <cstdint>
#include <deque>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <random>
#include <type_traits>
#include <vector>

using Kernel::Scheduling::fixed_priority_level_count;
using Kernel::Scheduling::fixed_priority_time_slice_ns;
using Kernel::Scheduling::FixedPriorityEntity;
using Kernel::Scheduling::FixedPriorityQueue;
using Kernel::Scheduling::inherited_deadline_priority;
using Kernel::Scheduling::is_valid_fixed_priority;
using Kernel::Scheduling::is_valid_fixed_priority_level;
using Kernel::Scheduling::maximum_fixed_priority;
using Kernel::Scheduling::minimum_fixed_priority;

namespace {

struct NamedEntity : FixedPriorityEntity {
    explicit NamedEntity(int entity_name)
        : name(entity_name)
    {
    }
    int name;
};

int name_of(FixedPriorityEntity* entity)
{
    return entity == nullptr ? -1 : static_cast<NamedEntity*>(entity)->name;
}

std::vector<std::unique_ptr<NamedEntity>> make_entities(int count)
{
    std::vector<std::unique_ptr<NamedEntity>> entities;
    for (int name = 0; name < count; ++name)
        entities.push_back(std::make_unique<NamedEntity>(name));
    return entities;
}

// Empties the queue the way a run queue would if every thread ran to completion: take the
// highest, dequeue it, repeat. Returns the names in the order they ran.
std::vector<int> drain(FixedPriorityQueue& queue)
{
    std::vector<int> order;
    while (FixedPriorityEntity* entity = queue.highest()) {
        queue.dequeue(*entity);
        EXPECT_FALSE(entity->is_queued());
        EXPECT_EQ(entity->queued_priority(), 0u);
        order.push_back(name_of(entity));
    }
    EXPECT_TRUE(queue.is_empty());
    return order;
}

// A global queue needs no constructor to run and no destructor registered.
constinit FixedPriorityQueue s_global_queue;

} // namespace

static_assert(std::is_trivially_destructible_v<FixedPriorityQueue>);
static_assert(minimum_fixed_priority == 1 && maximum_fixed_priority == 99);
static_assert(inherited_deadline_priority == 100 && fixed_priority_level_count == 101);
static_assert(fixed_priority_time_slice_ns == 10'000'000);

TEST(FixedPriorityQueue, EmptyQueue)
{
    FixedPriorityQueue queue;
    EXPECT_TRUE(queue.is_empty());
    EXPECT_EQ(queue.count(), 0u);
    EXPECT_EQ(queue.highest(), nullptr);
    EXPECT_EQ(queue.highest_priority(), 0u);
    NamedEntity stranger(1);
    EXPECT_FALSE(stranger.is_queued());
    EXPECT_EQ(stranger.queued_priority(), 0u);
}

TEST(FixedPriorityQueue, GlobalQueueIsUsable)
{
    NamedEntity entity(7);
    s_global_queue.enqueue(entity, 42);
    EXPECT_EQ(name_of(s_global_queue.highest()), 7);
    EXPECT_EQ(s_global_queue.highest_priority(), 42u);
    s_global_queue.dequeue(entity);
    EXPECT_TRUE(s_global_queue.is_empty());
}

TEST(FixedPriorityQueue, ValidPriorities)
{
    EXPECT_FALSE(is_valid_fixed_priority(0));
    EXPECT_TRUE(is_valid_fixed_priority(1));
    EXPECT_TRUE(is_valid_fixed_priority(50));
    EXPECT_TRUE(is_valid_fixed_priority(99));
    EXPECT_FALSE(is_valid_fixed_priority(100)) << "the inherited level is never granted on request";
    EXPECT_FALSE(is_valid_fixed_priority(0xffffffffu));

    EXPECT_FALSE(is_valid_fixed_priority_level(0));
    EXPECT_TRUE(is_valid_fixed_priority_level(1));
    EXPECT_TRUE(is_valid_fixed_priority_level(99));
    EXPECT_TRUE(is_valid_fixed_priority_level(100));
    EXPECT_FALSE(is_valid_fixed_priority_level(101));
}

TEST(FixedPriorityQueue, FifoWithinALevel)
{
    FixedPriorityQueue queue;
    auto entities = make_entities(6);
    for (auto& entity : entities) {
        queue.enqueue(*entity, 30);
        EXPECT_TRUE(entity->is_queued());
        EXPECT_EQ(entity->queued_priority(), 30u);
    }
    EXPECT_EQ(queue.count(), 6u);
    EXPECT_EQ(queue.highest_priority(), 30u);
    EXPECT_EQ(name_of(queue.highest()), 0);
    EXPECT_EQ(name_of(queue.highest()), 0) << "highest() leaves the entity queued";
    EXPECT_EQ(drain(queue), (std::vector<int> { 0, 1, 2, 3, 4, 5 }));
}

TEST(FixedPriorityQueue, HigherLevelsGoFirst)
{
    FixedPriorityQueue queue;
    auto entities = make_entities(8);
    // Names 0..7 at levels chosen so the expected order is neither insertion order nor its
    // reverse; two pairs share a level to check FIFO among them too.
    const std::uint32_t levels[] = { 10, 90, 10, 50, 99, 1, 50, 100 };
    for (int name = 0; name < 8; ++name)
        queue.enqueue(*entities[name], levels[name]);
    EXPECT_EQ(queue.highest_priority(), 100u);
    EXPECT_EQ(drain(queue), (std::vector<int> { 7, 4, 1, 3, 6, 0, 2, 5 }));
}

TEST(FixedPriorityQueue, HigherArrivalPreemptsAndLeavingRestoresTheLowerLevel)
{
    FixedPriorityQueue queue;
    NamedEntity low(1);
    NamedEntity high(2);
    queue.enqueue(low, 20);
    EXPECT_EQ(name_of(queue.highest()), 1);
    queue.enqueue(high, 21);
    EXPECT_EQ(name_of(queue.highest()), 2);
    EXPECT_EQ(queue.highest_priority(), 21u);
    queue.dequeue(high);
    EXPECT_EQ(name_of(queue.highest()), 1);
    EXPECT_EQ(queue.highest_priority(), 20u);
}

TEST(FixedPriorityQueue, RotateMovesToTheTailOfItsLevel)
{
    FixedPriorityQueue queue;
    auto entities = make_entities(4);
    queue.enqueue(*entities[0], 40);
    queue.enqueue(*entities[1], 40);
    queue.enqueue(*entities[2], 40);
    queue.enqueue(*entities[3], 10);

    // Three quanta at level 40: each thread gets a turn, then the first comes round again.
    std::vector<int> turns;
    for (int quantum = 0; quantum < 7; ++quantum) {
        FixedPriorityEntity* running = queue.highest();
        turns.push_back(name_of(running));
        queue.rotate(*running);
        EXPECT_EQ(running->queued_priority(), 40u);
    }
    EXPECT_EQ(turns, (std::vector<int> { 0, 1, 2, 0, 1, 2, 0 }));
    EXPECT_EQ(queue.count(), 4u) << "rotation neither adds nor removes";
    // The lower level never got a turn and is untouched.
    EXPECT_EQ(entities[3]->queued_priority(), 10u);
    EXPECT_EQ(drain(queue), (std::vector<int> { 1, 2, 0, 3 }));
}

TEST(FixedPriorityQueue, RotateFromTheMiddleAndAlone)
{
    FixedPriorityQueue queue;
    auto entities = make_entities(4);
    for (int name = 0; name < 3; ++name)
        queue.enqueue(*entities[name], 5);
    queue.rotate(*entities[1]);
    // Already at the tail, a second rotation changes nothing.
    queue.rotate(*entities[1]);
    EXPECT_EQ(name_of(queue.highest()), 0);

    // Alone on its level (the highest one), an entity stays first.
    queue.enqueue(*entities[3], 6);
    queue.rotate(*entities[3]);
    EXPECT_EQ(name_of(queue.highest()), 3);
    EXPECT_EQ(queue.highest_priority(), 6u);
    EXPECT_EQ(drain(queue), (std::vector<int> { 3, 0, 2, 1 }));
}

TEST(FixedPriorityQueue, EnqueueFrontKeepsAPreemptedThreadsPlace)
{
    FixedPriorityQueue queue;
    auto entities = make_entities(4);
    for (int name = 0; name < 3; ++name)
        queue.enqueue(*entities[name], 50);

    // Entity 0 runs and leaves the queue while it runs; entity 3 wakes at a higher level and
    // preempts it. Back at the head, entity 0 runs again as soon as the higher level empties.
    FixedPriorityEntity* running = queue.highest();
    ASSERT_EQ(name_of(running), 0);
    queue.dequeue(*running);
    queue.enqueue(*entities[3], 80);
    queue.enqueue_front(*running, 50);
    EXPECT_EQ(running->queued_priority(), 50u);
    EXPECT_EQ(name_of(queue.highest()), 3);
    queue.dequeue(*entities[3]);
    EXPECT_EQ(name_of(queue.highest()), 0);

    // Queued at the tail instead, it would have lost its turn.
    queue.dequeue(*running);
    queue.enqueue(*running, 50);
    EXPECT_EQ(name_of(queue.highest()), 1);

    // enqueue_front on an empty level, and at the head of a level above others.
    NamedEntity first_of_level(9);
    queue.enqueue_front(first_of_level, 70);
    EXPECT_EQ(queue.highest_priority(), 70u);
    EXPECT_EQ(drain(queue), (std::vector<int> { 9, 1, 2, 0 }));
}

TEST(FixedPriorityQueue, BitmapEdgesAlone)
{
    // Each level at the edge of a bitmap word (or of the valid range) found on its own.
    for (std::uint32_t level : { 1u, 2u, 62u, 63u, 64u, 65u, 98u, 99u, 100u }) {
        FixedPriorityQueue queue;
        NamedEntity entity(static_cast<int>(level));
        queue.enqueue(entity, level);
        EXPECT_EQ(queue.highest_priority(), level);
        EXPECT_EQ(name_of(queue.highest()), static_cast<int>(level));
        queue.dequeue(entity);
        EXPECT_EQ(queue.highest_priority(), 0u) << "level " << level << " emptied";
        EXPECT_EQ(queue.highest(), nullptr);
    }
}

TEST(FixedPriorityQueue, BitmapEdgesAcrossTheWordBoundary)
{
    FixedPriorityQueue queue;
    NamedEntity level_1(1);
    NamedEntity level_63(63);
    NamedEntity level_64(64);
    NamedEntity level_99(99);
    NamedEntity level_100(100);

    queue.enqueue(level_63, 63);
    queue.enqueue(level_1, 1);
    EXPECT_EQ(queue.highest_priority(), 63u);
    queue.enqueue(level_64, 64);
    EXPECT_EQ(queue.highest_priority(), 64u) << "the upper word wins over the lower";
    queue.dequeue(level_64);
    EXPECT_EQ(queue.highest_priority(), 63u) << "back to the lower word once the upper is empty";
    queue.dequeue(level_63);
    EXPECT_EQ(queue.highest_priority(), 1u);

    queue.enqueue(level_100, 100);
    queue.enqueue(level_99, 99);
    queue.enqueue(level_64, 64);
    EXPECT_EQ(queue.highest_priority(), 100u);
    queue.dequeue(level_100);
    EXPECT_EQ(queue.highest_priority(), 99u);
    queue.dequeue(level_99);
    EXPECT_EQ(queue.highest_priority(), 64u);
    // Emptying a low level leaves the upper word alone.
    queue.dequeue(level_1);
    EXPECT_EQ(queue.highest_priority(), 64u);
    queue.dequeue(level_64);
    EXPECT_TRUE(queue.is_empty());
    EXPECT_EQ(queue.highest_priority(), 0u);
}

TEST(FixedPriorityQueue, EveryLevelInOrder)
{
    FixedPriorityQueue queue;
    auto entities = make_entities(static_cast<int>(fixed_priority_level_count));
    // Queue levels 1..100 in a scrambled order (37 is coprime with 100).
    for (std::uint32_t step = 0; step < 100; ++step) {
        std::uint32_t level = (step * 37) % 100 + 1;
        queue.enqueue(*entities[level], level);
    }
    EXPECT_EQ(queue.count(), 100u);
    for (std::uint32_t level = 100; level >= 1; --level) {
        EXPECT_EQ(queue.highest_priority(), level);
        EXPECT_EQ(name_of(queue.highest()), static_cast<int>(level));
        queue.dequeue(*queue.highest());
    }
    EXPECT_TRUE(queue.is_empty());
}

TEST(FixedPriorityQueue, DequeueFromTheMiddleKeepsTheLevelUntilEmpty)
{
    FixedPriorityQueue queue;
    auto entities = make_entities(5);
    for (int name = 0; name < 4; ++name)
        queue.enqueue(*entities[name], 70);
    queue.enqueue(*entities[4], 3);
    queue.dequeue(*entities[2]);
    queue.dequeue(*entities[0]);
    queue.dequeue(*entities[3]);
    EXPECT_EQ(queue.highest_priority(), 70u) << "one entity is still at level 70";
    EXPECT_EQ(queue.count(), 2u);
    queue.dequeue(*entities[1]);
    EXPECT_EQ(queue.highest_priority(), 3u);

    // Requeued at another level, an entity reports where it now sits.
    queue.enqueue(*entities[2], 100);
    EXPECT_EQ(entities[2]->queued_priority(), 100u);
    EXPECT_EQ(drain(queue), (std::vector<int> { 2, 4 }));
}

TEST(FixedPriorityQueue, MisuseIsCaught)
{
    EXPECT_DEATH(
        {
            FixedPriorityQueue queue;
            NamedEntity entity(1);
            queue.enqueue(entity, 0);
        },
        "VERIFY");
    EXPECT_DEATH(
        {
            FixedPriorityQueue queue;
            NamedEntity entity(1);
            queue.enqueue_front(entity, inherited_deadline_priority + 1);
        },
        "VERIFY");
    EXPECT_DEATH(
        {
            FixedPriorityQueue queue;
            NamedEntity entity(1);
            queue.enqueue(entity, 5);
            queue.enqueue(entity, 6);
        },
        "VERIFY");
    EXPECT_DEATH(
        {
            FixedPriorityQueue queue;
            NamedEntity entity(1);
            queue.dequeue(entity);
        },
        "VERIFY");
    EXPECT_DEATH(
        {
            FixedPriorityQueue queue;
            NamedEntity entity(1);
            queue.rotate(entity);
        },
        "VERIFY");
    // Queued at the same level of another CPU's queue.
    EXPECT_DEATH(
        {
            FixedPriorityQueue queue;
            FixedPriorityQueue other_queue;
            NamedEntity entity(1);
            other_queue.enqueue(entity, 12);
            queue.dequeue(entity);
        },
        "VERIFY");
    EXPECT_DEATH(
        {
            FixedPriorityQueue queue;
            FixedPriorityQueue other_queue;
            NamedEntity entity(1);
            other_queue.enqueue(entity, 12);
            queue.enqueue(entity, 12);
        },
        "VERIFY");
}

// Random enqueues, front enqueues, dequeues and rotations, checked after every step against
// a model: a deque per level.
TEST(FixedPriorityQueue, RandomizedAgainstAModel)
{
    constexpr int entity_count = 64;
    FixedPriorityQueue queue;
    auto entities = make_entities(entity_count);
    std::map<std::uint32_t, std::deque<int>> model;
    std::mt19937 generator(20240917);
    // Levels clustered around the bitmap's word boundary and the ends of the range, so both
    // words and several entities per level get exercised.
    const std::uint32_t levels[] = { 1, 2, 62, 63, 64, 65, 98, 99, 100 };
    std::uniform_int_distribution<int> pick_entity(0, entity_count - 1);
    std::uniform_int_distribution<int> pick_level(0, static_cast<int>(std::size(levels)) - 1);
    std::uniform_int_distribution<int> pick_action(0, 9);

    auto erase_from_model = [&](int name, std::uint32_t level) {
        auto& names = model[level];
        for (auto position = names.begin(); position != names.end(); ++position) {
            if (*position == name) {
                names.erase(position);
                break;
            }
        }
        if (names.empty())
            model.erase(level);
    };

    for (int step = 0; step < 20000; ++step) {
        NamedEntity& entity = *entities[pick_entity(generator)];
        int action = pick_action(generator);
        if (!entity.is_queued()) {
            std::uint32_t level = levels[pick_level(generator)];
            if (action < 3) {
                queue.enqueue_front(entity, level);
                model[level].push_front(entity.name);
            } else {
                queue.enqueue(entity, level);
                model[level].push_back(entity.name);
            }
        } else if (action < 5) {
            std::uint32_t level = entity.queued_priority();
            queue.dequeue(entity);
            erase_from_model(entity.name, level);
        } else {
            std::uint32_t level = entity.queued_priority();
            queue.rotate(entity);
            erase_from_model(entity.name, level);
            model[level].push_back(entity.name);
        }

        std::size_t model_count = 0;
        for (auto& [level, names] : model)
            model_count += names.size();
        ASSERT_EQ(queue.count(), model_count) << "step " << step;
        if (model.empty()) {
            ASSERT_EQ(queue.highest(), nullptr);
            ASSERT_EQ(queue.highest_priority(), 0u);
        } else {
            auto& [top_level, top_names] = *model.rbegin();
            ASSERT_EQ(queue.highest_priority(), top_level) << "step " << step;
            ASSERT_EQ(name_of(queue.highest()), top_names.front()) << "step " << step;
        }
    }

    // The full order, level by level, must match too.
    std::vector<int> expected;
    for (auto level = model.rbegin(); level != model.rend(); ++level)
        expected.insert(expected.end(), level->second.begin(), level->second.end());
    EXPECT_EQ(drain(queue), expected);
}
