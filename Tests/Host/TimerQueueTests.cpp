// Host tests for Kernel/Time/TimerQueue: deadline order, arm order among equal deadlines,
// cancelling, moving armed timers, callbacks that arm and cancel timers while the queue
// fires, and a long randomized run checked against a simple model (a std::map).

#include <Kernel/Time/TimerQueue.h>
#include <cstdint>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

using Kernel::Time::Timer;
using Kernel::Time::TimerQueue;

namespace {

// A timer that appends its name to a shared log when it fires, then runs an optional action.
struct NamedTimer {
    NamedTimer(std::string timer_name, std::vector<std::string>& fire_log)
        : name(std::move(timer_name))
        , log(&fire_log)
    {
    }

    static void on_fire(Timer& timer, void* context)
    {
        // Every NamedTimer's Timer carries the NamedTimer itself as its context.
        auto& self = *static_cast<NamedTimer*>(context);
        EXPECT_EQ(&timer, &self.timer);
        EXPECT_FALSE(timer.is_armed()) << "a timer is disarmed before its callback runs";
        self.log->push_back(self.name);
        if (self.action)
            self.action(self);
    }

    std::string name;
    std::vector<std::string>* log;
    std::function<void(NamedTimer&)> action;
    Timer timer { on_fire, this };
};

using Names = std::vector<std::string>;

std::optional<std::uint64_t> earliest(const TimerQueue& queue)
{
    auto deadline = queue.earliest_deadline();
    if (!deadline.has_value())
        return std::nullopt;
    return deadline.value();
}

} // namespace

TEST(TimerQueue, EmptyQueue)
{
    TimerQueue queue;
    EXPECT_EQ(queue.count(), 0u);
    EXPECT_EQ(earliest(queue), std::nullopt);
    EXPECT_EQ(queue.fire_expired(UINT64_MAX), 0u);
}

TEST(TimerQueue, FiresInDeadlineOrderUpToNow)
{
    Names log;
    NamedTimer first("first", log), second("second", log), third("third", log), fourth("fourth", log);
    TimerQueue queue;
    queue.arm(third.timer, 300);
    queue.arm(first.timer, 100);
    queue.arm(fourth.timer, 400);
    queue.arm(second.timer, 200);
    EXPECT_EQ(queue.count(), 4u);
    EXPECT_EQ(earliest(queue), 100u);
    EXPECT_TRUE(first.timer.is_armed());
    EXPECT_EQ(second.timer.deadline_ns, 200u);

    EXPECT_EQ(queue.fire_expired(99), 0u);
    EXPECT_TRUE(log.empty());
    // A deadline equal to now has expired.
    EXPECT_EQ(queue.fire_expired(300), 3u);
    EXPECT_EQ(log, (Names { "first", "second", "third" }));
    EXPECT_EQ(queue.count(), 1u);
    EXPECT_EQ(earliest(queue), 400u);
    EXPECT_FALSE(first.timer.is_armed());
    EXPECT_TRUE(fourth.timer.is_armed());

    EXPECT_EQ(queue.fire_expired(1000), 1u);
    EXPECT_EQ(log, (Names { "first", "second", "third", "fourth" }));
    EXPECT_EQ(queue.count(), 0u);
    EXPECT_EQ(earliest(queue), std::nullopt);
    EXPECT_EQ(queue.fire_expired(2000), 0u) << "one-shot: fired timers stay disarmed";
}

TEST(TimerQueue, EqualDeadlinesFireInArmOrder)
{
    Names log;
    NamedTimer alpha("alpha", log), bravo("bravo", log), charlie("charlie", log), delta("delta", log);
    TimerQueue queue;
    queue.arm(charlie.timer, 50);
    queue.arm(alpha.timer, 50);
    queue.arm(delta.timer, 10);
    queue.arm(bravo.timer, 50);
    // Re-arming counts as arming again: alpha moves behind bravo.
    queue.arm(alpha.timer, 50);
    EXPECT_EQ(queue.count(), 4u);
    EXPECT_EQ(queue.fire_expired(50), 4u);
    EXPECT_EQ(log, (Names { "delta", "charlie", "bravo", "alpha" }));
}

TEST(TimerQueue, CancelRemovesFromAnyPosition)
{
    Names log;
    NamedTimer head("head", log), middle("middle", log), tail("tail", log), other("other", log);
    TimerQueue queue;
    queue.arm(head.timer, 1);
    queue.arm(middle.timer, 2);
    queue.arm(other.timer, 3);
    queue.arm(tail.timer, 4);

    EXPECT_TRUE(queue.cancel(middle.timer));
    EXPECT_FALSE(middle.timer.is_armed());
    EXPECT_FALSE(queue.cancel(middle.timer)) << "cancelling twice reports that nothing was armed";
    EXPECT_EQ(queue.count(), 3u);
    EXPECT_TRUE(queue.cancel(head.timer));
    EXPECT_EQ(earliest(queue), 3u);
    EXPECT_TRUE(queue.cancel(tail.timer));
    EXPECT_EQ(queue.count(), 1u);
    EXPECT_EQ(earliest(queue), 3u);

    EXPECT_EQ(queue.fire_expired(100), 1u);
    EXPECT_EQ(log, (Names { "other" }));

    // A cancelled timer can be armed again, in the same queue or another.
    TimerQueue another_queue;
    another_queue.arm(middle.timer, 7);
    EXPECT_EQ(another_queue.fire_expired(7), 1u);
    EXPECT_EQ(log, (Names { "other", "middle" }));
}

TEST(TimerQueue, NeverArmedTimerCancelsToFalse)
{
    Names log;
    NamedTimer idle("idle", log);
    TimerQueue queue;
    EXPECT_FALSE(idle.timer.is_armed());
    EXPECT_FALSE(queue.cancel(idle.timer));
    EXPECT_EQ(queue.count(), 0u);
}

TEST(TimerQueue, ArmingAnArmedTimerMovesIt)
{
    Names log;
    NamedTimer mover("mover", log), fixed("fixed", log);
    TimerQueue queue;
    queue.arm(mover.timer, 10);
    queue.arm(fixed.timer, 20);
    EXPECT_EQ(earliest(queue), 10u);

    queue.arm(mover.timer, 30);
    EXPECT_EQ(queue.count(), 2u) << "moving does not duplicate";
    EXPECT_EQ(mover.timer.deadline_ns, 30u);
    EXPECT_EQ(earliest(queue), 20u);
    EXPECT_EQ(queue.fire_expired(25), 1u);
    EXPECT_EQ(log, (Names { "fixed" }));

    queue.arm(mover.timer, 5);
    EXPECT_EQ(earliest(queue), 5u);
    EXPECT_EQ(queue.count(), 1u);
    EXPECT_EQ(queue.fire_expired(25), 1u);
    EXPECT_EQ(log, (Names { "fixed", "mover" }));
}

TEST(TimerQueue, CallbackRearmsItsOwnTimer)
{
    Names log;
    TimerQueue queue;
    NamedTimer periodic("tick", log);
    constexpr std::uint64_t period = 10;
    periodic.action = [&](NamedTimer& self) { queue.arm(self.timer, self.timer.deadline_ns + period); };
    queue.arm(periodic.timer, 10);

    // Re-armed for 20, which is after now: fires once.
    EXPECT_EQ(queue.fire_expired(15), 1u);
    EXPECT_TRUE(periodic.timer.is_armed());
    EXPECT_EQ(earliest(queue), 20u);
    // Behind by several periods: the re-armed deadlines 30 and 40 are still <= now, so it
    // catches up within the same call, then waits for 50.
    EXPECT_EQ(queue.fire_expired(45), 3u);
    EXPECT_EQ(log.size(), 4u);
    EXPECT_EQ(earliest(queue), 50u);
    EXPECT_EQ(queue.count(), 1u);
}

TEST(TimerQueue, CallbackArmsAnotherTimerThatHasAlreadyExpired)
{
    // Timers whose deadline is <= now when they are reached fire in the same call, in
    // deadline order with the rest: `late` lands between `early` and `last`, and `past`
    // (a deadline before the one that just fired) becomes the head and fires next.
    Names log;
    TimerQueue queue;
    NamedTimer early("early", log), late("late", log), past("past", log), last("last", log),
        future("future", log);
    early.action = [&](NamedTimer&) {
        queue.arm(last.timer, 30);
        queue.arm(late.timer, 20);
        queue.arm(past.timer, 1);
        queue.arm(future.timer, 31);
    };
    queue.arm(early.timer, 10);
    EXPECT_EQ(queue.fire_expired(30), 4u);
    EXPECT_EQ(log, (Names { "early", "past", "late", "last" }));
    EXPECT_EQ(queue.count(), 1u);
    EXPECT_EQ(earliest(queue), 31u) << "a timer armed in a callback for after now waits for the next call";
    EXPECT_EQ(queue.fire_expired(31), 1u);
    EXPECT_EQ(log.back(), "future");
}

TEST(TimerQueue, CallbackCancelsAnExpiredTimerBeforeItIsReached)
{
    Names log;
    TimerQueue queue;
    NamedTimer canceller("canceller", log), victim("victim", log), survivor("survivor", log);
    bool cancel_result = false;
    canceller.action = [&](NamedTimer&) { cancel_result = queue.cancel(victim.timer); };
    queue.arm(canceller.timer, 1);
    queue.arm(victim.timer, 2);
    queue.arm(survivor.timer, 3);
    EXPECT_EQ(queue.fire_expired(3), 2u);
    EXPECT_TRUE(cancel_result);
    EXPECT_EQ(log, (Names { "canceller", "survivor" }));
    EXPECT_FALSE(victim.timer.is_armed());
}

TEST(TimerQueue, CallbackCancellingItselfFindsItDisarmed)
{
    Names log;
    TimerQueue queue;
    NamedTimer self_cancelling("self", log);
    std::optional<bool> cancel_result;
    self_cancelling.action = [&](NamedTimer& self) { cancel_result = queue.cancel(self.timer); };
    queue.arm(self_cancelling.timer, 5);
    EXPECT_EQ(queue.fire_expired(5), 1u);
    EXPECT_EQ(cancel_result, false);
    EXPECT_EQ(queue.count(), 0u);
}

TEST(TimerQueue, EarliestDeadlineFollowsEveryChange)
{
    Names log;
    NamedTimer first("first", log), second("second", log);
    TimerQueue queue;
    queue.arm(first.timer, 500);
    EXPECT_EQ(earliest(queue), 500u);
    queue.arm(second.timer, 200);
    EXPECT_EQ(earliest(queue), 200u);
    queue.arm(second.timer, 900);
    EXPECT_EQ(earliest(queue), 500u);
    EXPECT_TRUE(queue.cancel(first.timer));
    EXPECT_EQ(earliest(queue), 900u);
    EXPECT_EQ(queue.fire_expired(900), 1u);
    EXPECT_EQ(earliest(queue), std::nullopt);
}

TEST(TimerQueue, ExtremeDeadlines)
{
    Names log;
    NamedTimer zero("zero", log), maximum("maximum", log);
    TimerQueue queue;
    queue.arm(maximum.timer, UINT64_MAX);
    queue.arm(zero.timer, 0);
    EXPECT_EQ(queue.fire_expired(0), 1u);
    EXPECT_EQ(queue.fire_expired(UINT64_MAX - 1), 0u);
    EXPECT_EQ(queue.fire_expired(UINT64_MAX), 1u);
    EXPECT_EQ(log, (Names { "zero", "maximum" }));
}

TEST(TimerQueueDeathTest, MisuseIsABug)
{
    Names log;
    NamedTimer armed_elsewhere("elsewhere", log);
    TimerQueue home_queue;
    TimerQueue other_queue;
    home_queue.arm(armed_elsewhere.timer, 10);
    // Both name the queue check: the timer is armed, but not in this queue.
    EXPECT_DEATH(other_queue.arm(armed_elsewhere.timer, 20), "VERIFY\\(.*m_timers.contains\\(timer\\)");
    EXPECT_DEATH((void)other_queue.cancel(armed_elsewhere.timer), "VERIFY\\(m_timers.contains\\(timer\\)");
    Timer without_callback;
    EXPECT_DEATH(home_queue.arm(without_callback, 10), "VERIFY\\(timer.callback != nullptr");
    EXPECT_TRUE(home_queue.cancel(armed_elsewhere.timer));
}

// ---- Randomized comparison against a model ------------------------------------------------

namespace {

constexpr int randomized_timer_count = 48;

// What a timer's callback does on its n-th firing, chosen from the timer's id and n only,
// so that the queue under test and the model make the same choices.
enum class CallbackAction {
    Nothing,
    RearmSelfLater, // at now + a future offset
    RearmSelfByStep, // at its old deadline + a small step: may still be <= now
    ArmOtherExpired, // another timer at or before now: fires in the same call
    ArmOtherFuture, // another timer after now
    CancelOther, // another timer, armed or not
};

CallbackAction action_for(int id, std::uint64_t firing)
{
    switch ((static_cast<std::uint64_t>(id) * 31 + firing * 7) % 9) {
    case 0:
    case 1:
        return CallbackAction::RearmSelfLater;
    case 2:
        return CallbackAction::RearmSelfByStep;
    case 3:
        return CallbackAction::ArmOtherExpired;
    case 4:
        return CallbackAction::ArmOtherFuture;
    case 5:
        return CallbackAction::CancelOther;
    default:
        return CallbackAction::Nothing;
    }
}

int other_timer_of(int id, std::uint64_t firing)
{
    return static_cast<int>((static_cast<std::uint64_t>(id) + 1 + firing % 5) % randomized_timer_count);
}

// Arms and cancels in the queue under test or in the model: the callback logic is written
// once against this interface.
class TimerSet {
public:
    virtual ~TimerSet() = default;
    virtual void arm(int id, std::uint64_t deadline) = 0;
    virtual bool cancel(int id) = 0;
    virtual std::uint64_t deadline_of(int id) const = 0;
};

struct FiringContext {
    std::uint64_t now { 0 };
    // Arms of already-expired timers left in this fire_expired call: bounds the chains
    // of timers arming each other so that every call ends.
    int expired_arms_left { 0 };
    std::vector<std::uint64_t> firings_per_timer = std::vector<std::uint64_t>(randomized_timer_count, 0);
    std::vector<std::string> events;
};

void run_callback(TimerSet& timers, FiringContext& context, int id)
{
    std::uint64_t firing = context.firings_per_timer[id]++;
    context.events.push_back("fire " + std::to_string(id));
    int other = other_timer_of(id, firing);
    switch (action_for(id, firing)) {
    case CallbackAction::Nothing:
        break;
    case CallbackAction::RearmSelfLater:
        timers.arm(id, context.now + 1 + (id * 13 + firing) % 200);
        break;
    case CallbackAction::RearmSelfByStep:
        timers.arm(id, timers.deadline_of(id) + 1 + id % 4);
        break;
    case CallbackAction::ArmOtherExpired:
        if (context.expired_arms_left > 0) {
            --context.expired_arms_left;
            timers.arm(other, context.now - std::min<std::uint64_t>(context.now, firing % 3));
        }
        break;
    case CallbackAction::ArmOtherFuture:
        timers.arm(other, context.now + 1 + firing % 50);
        break;
    case CallbackAction::CancelOther:
        context.events.push_back(
            "cancel " + std::to_string(other) + (timers.cancel(other) ? " was armed" : " was idle"));
        break;
    }
}

class RealTimers final : public TimerSet {
public:
    explicit RealTimers(FiringContext& context)
        : m_context(context)
    {
        for (int id = 0; id < randomized_timer_count; ++id) {
            m_entries[id].owner = this;
            m_entries[id].id = id;
            m_entries[id].timer.context = &m_entries[id];
            m_entries[id].timer.callback = [](Timer&, void* entry_context) {
                // The constructor set each entry's own address as its timer's context.
                auto& entry = *static_cast<Entry*>(entry_context);
                run_callback(*entry.owner, entry.owner->m_context, entry.id);
            };
        }
    }
    void arm(int id, std::uint64_t deadline) override { queue.arm(m_entries[id].timer, deadline); }
    bool cancel(int id) override { return queue.cancel(m_entries[id].timer); }
    std::uint64_t deadline_of(int id) const override { return m_entries[id].timer.deadline_ns; }
    bool is_armed(int id) const { return m_entries[id].timer.is_armed(); }

    TimerQueue queue;

private:
    struct Entry {
        RealTimers* owner { nullptr };
        int id { 0 };
        Timer timer;
    };
    FiringContext& m_context;
    Entry m_entries[randomized_timer_count];
};

// The model: armed timers in a std::map ordered by (deadline, arm sequence).
class ModelTimers final : public TimerSet {
public:
    using Key = std::pair<std::uint64_t, std::uint64_t>;

    void arm(int id, std::uint64_t deadline) override
    {
        cancel(id);
        Key key { deadline, m_next_sequence++ };
        m_armed.emplace(key, id);
        m_keys[id] = key;
        m_deadlines[id] = deadline;
    }
    bool cancel(int id) override
    {
        if (!m_keys[id].has_value())
            return false;
        m_armed.erase(*m_keys[id]);
        m_keys[id].reset();
        return true;
    }
    std::uint64_t deadline_of(int id) const override { return m_deadlines[id]; }
    bool is_armed(int id) const { return m_keys[id].has_value(); }
    std::size_t count() const { return m_armed.size(); }
    std::optional<std::uint64_t> earliest() const
    {
        if (m_armed.empty())
            return std::nullopt;
        return m_armed.begin()->first.first;
    }

    std::size_t fire_expired(FiringContext& context)
    {
        std::size_t fired = 0;
        while (!m_armed.empty() && m_armed.begin()->first.first <= context.now) {
            int id = m_armed.begin()->second;
            cancel(id);
            run_callback(*this, context, id);
            ++fired;
        }
        return fired;
    }

private:
    std::map<Key, int> m_armed;
    std::optional<Key> m_keys[randomized_timer_count];
    std::uint64_t m_deadlines[randomized_timer_count] {};
    std::uint64_t m_next_sequence { 0 };
};

} // namespace

TEST(TimerQueue, RandomizedAgainstModel)
{
    std::mt19937_64 generator(0x7133'0e0e);
    FiringContext real_context;
    FiringContext model_context;
    RealTimers real(real_context);
    ModelTimers model;
    std::uint64_t now = 0;
    std::size_t total_fired = 0;

    for (int step = 0; step < 100000; ++step) {
        int id = static_cast<int>(generator() % randomized_timer_count);
        std::uint64_t choice = generator() % 10;
        if (choice < 5) {
            // Mostly ahead of now, sometimes already expired, sometimes equal to others.
            std::uint64_t deadline = now + generator() % 1000;
            if (generator() % 8 == 0)
                deadline = now - std::min<std::uint64_t>(now, generator() % 100);
            if (generator() % 8 == 0)
                deadline = (deadline / 64) * 64;
            real.arm(id, deadline);
            model.arm(id, deadline);
        } else if (choice < 7) {
            ASSERT_EQ(real.cancel(id), model.cancel(id)) << "step " << step;
        } else {
            now += generator() % 400;
            real_context.now = model_context.now = now;
            real_context.expired_arms_left = model_context.expired_arms_left = 4;
            std::size_t real_fired = real.queue.fire_expired(now);
            std::size_t model_fired = model.fire_expired(model_context);
            ASSERT_EQ(real_fired, model_fired) << "step " << step;
            ASSERT_EQ(real_context.events, model_context.events) << "step " << step;
            total_fired += real_fired;
            real_context.events.clear();
            model_context.events.clear();
        }
        ASSERT_EQ(real.queue.count(), model.count()) << "step " << step;
        ASSERT_EQ(earliest(real.queue), model.earliest()) << "step " << step;
        for (int check = 0; check < randomized_timer_count; ++check) {
            ASSERT_EQ(real.is_armed(check), model.is_armed(check)) << "step " << step << " timer " << check;
            if (model.is_armed(check))
                ASSERT_EQ(real.deadline_of(check), model.deadline_of(check)) << "step " << step;
        }
    }
    // The run must actually have exercised firing, including from callbacks.
    EXPECT_GT(total_fired, 10000u);
}
