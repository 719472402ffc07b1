// Host tests for Kernel/Scheduling/EdfQueue: deadline order, FIFO order among equal
// deadlines, removal from anywhere in the heap, a long randomized run checked against a
// std::set model, and single-CPU EDF simulations over a hyperperiod: task sets accepted by
// DeadlineAdmission, run by EdfQueue with DeadlineServer budgets, meet every deadline, while
// an overloaded set (the control) is seen to miss.

#include <Kernel/Scheduling/DeadlineAdmission.h>
#include <Kernel/Scheduling/DeadlineServer.h>
#include <Kernel/Scheduling/EdfQueue.h>
#include <algorithm>
#include <cstdint>
#include <gtest/gtest.h>
#include <iterator>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

using Kernel::Scheduling::bandwidth_unit;
using Kernel::Scheduling::DeadlineAdmission;
using Kernel::Scheduling::DeadlineServer;
using Kernel::Scheduling::EdfEntity;
using Kernel::Scheduling::EdfQueue;

namespace {

struct NamedEntity : EdfEntity {
    explicit NamedEntity(int entity_name)
        : name(entity_name)
    {
    }
    int name;
};

int name_of(EdfEntity* entity)
{
    return entity == nullptr ? -1 : static_cast<NamedEntity*>(entity)->name;
}

std::vector<int> drain(EdfQueue& queue)
{
    std::vector<int> order;
    while (EdfEntity* entity = queue.pop_earliest()) {
        EXPECT_FALSE(entity->is_queued());
        order.push_back(name_of(entity));
    }
    return order;
}

} // namespace

TEST(EdfQueue, EmptyQueue)
{
    EdfQueue queue;
    EXPECT_TRUE(queue.is_empty());
    EXPECT_EQ(queue.count(), 0u);
    EXPECT_EQ(queue.earliest(), nullptr);
    EXPECT_EQ(queue.pop_earliest(), nullptr);
    NamedEntity stranger(1);
    EXPECT_FALSE(queue.remove(stranger));
}

TEST(EdfQueue, OrdersByDeadline)
{
    EdfQueue queue;
    std::vector<std::unique_ptr<NamedEntity>> entities;
    const std::uint64_t deadlines[] = { 50, 10, 40, 30, 20, 60, 5 };
    for (std::uint64_t deadline : deadlines) {
        entities.push_back(std::make_unique<NamedEntity>(static_cast<int>(deadline)));
        queue.insert(*entities.back(), deadline);
        EXPECT_TRUE(entities.back()->is_queued());
        EXPECT_EQ(entities.back()->deadline_ns(), deadline);
    }
    EXPECT_EQ(queue.count(), 7u);
    EXPECT_EQ(name_of(queue.earliest()), 5);
    EXPECT_EQ(drain(queue), (std::vector<int> { 5, 10, 20, 30, 40, 50, 60 }));
    EXPECT_TRUE(queue.is_empty());
}

TEST(EdfQueue, EqualDeadlinesLeaveInInsertionOrder)
{
    EdfQueue queue;
    std::vector<std::unique_ptr<NamedEntity>> entities;
    for (int name = 0; name < 12; ++name)
        entities.push_back(std::make_unique<NamedEntity>(name));
    // Interleave two deadlines; within each, names were inserted in increasing order.
    for (int name = 0; name < 12; ++name)
        queue.insert(*entities[name], name % 2 == 0 ? 100 : 50);
    EXPECT_EQ(drain(queue), (std::vector<int> { 1, 3, 5, 7, 9, 11, 0, 2, 4, 6, 8, 10 }));

    // Re-inserting moves an entity behind the others with its deadline.
    queue.insert(*entities[0], 7);
    queue.insert(*entities[1], 7);
    queue.insert(*entities[2], 7);
    ASSERT_TRUE(queue.remove(*entities[0]));
    queue.insert(*entities[0], 7);
    EXPECT_EQ(drain(queue), (std::vector<int> { 1, 2, 0 }));
}

TEST(EdfQueue, RemovesFromTheMiddle)
{
    EdfQueue queue;
    std::vector<std::unique_ptr<NamedEntity>> entities;
    for (int name = 0; name < 9; ++name) {
        entities.push_back(std::make_unique<NamedEntity>(name));
        queue.insert(*entities.back(), static_cast<std::uint64_t>(name) * 10);
    }
    // Pop once so the heap has real structure (children and siblings), then cut inside it.
    EXPECT_EQ(name_of(queue.pop_earliest()), 0);
    EXPECT_TRUE(queue.remove(*entities[4]));
    EXPECT_FALSE(entities[4]->is_queued());
    EXPECT_FALSE(queue.remove(*entities[4])) << "a second removal finds nothing";
    EXPECT_TRUE(queue.remove(*entities[7]));
    EXPECT_TRUE(queue.remove(*entities[1])) << "removing the root";
    EXPECT_EQ(queue.count(), 5u);
    EXPECT_EQ(drain(queue), (std::vector<int> { 2, 3, 5, 6, 8 }));
}

TEST(EdfQueue, MisuseIsABug)
{
    EXPECT_DEATH(
        {
            EdfQueue queue;
            NamedEntity entity(1);
            queue.insert(entity, 10);
            queue.insert(entity, 20);
        },
        "VERIFY");
    EXPECT_DEATH(
        {
            EdfQueue first_queue;
            EdfQueue second_queue;
            NamedEntity entity(1);
            first_queue.insert(entity, 10);
            second_queue.remove(entity);
        },
        "VERIFY");
}

TEST(EdfQueue, RandomizedAgainstAModel)
{
    std::mt19937 random(12345);
    EdfQueue queue;
    constexpr int entity_count = 300;
    std::vector<std::unique_ptr<NamedEntity>> entities;
    for (int name = 0; name < entity_count; ++name)
        entities.push_back(std::make_unique<NamedEntity>(name));
    // The model: (deadline, insertion number, name), whose order is EDF with FIFO ties.
    std::set<std::tuple<std::uint64_t, std::uint64_t, int>> model;
    std::vector<std::tuple<std::uint64_t, std::uint64_t, int>> key_of(entity_count);
    std::uint64_t insertions = 0;

    for (int step = 0; step < 50'000; ++step) {
        int name = static_cast<int>(random() % entity_count);
        NamedEntity& entity = *entities[name];
        switch (random() % 3) {
        case 0:
        case 1:
            if (!entity.is_queued()) {
                // Few distinct deadlines so that ties are common.
                std::uint64_t deadline = random() % 64;
                queue.insert(entity, deadline);
                key_of[name] = { deadline, insertions++, name };
                model.insert(key_of[name]);
            } else {
                EXPECT_TRUE(queue.remove(entity));
                model.erase(key_of[name]);
            }
            break;
        case 2:
            if (!model.empty()) {
                EdfEntity* popped = queue.pop_earliest();
                ASSERT_NE(popped, nullptr);
                EXPECT_EQ(name_of(popped), std::get<2>(*model.begin()));
                model.erase(model.begin());
            } else {
                EXPECT_EQ(queue.pop_earliest(), nullptr);
            }
            break;
        }
        ASSERT_EQ(queue.count(), model.size());
        if (!model.empty())
            ASSERT_EQ(name_of(queue.earliest()), std::get<2>(*model.begin())) << "step " << step;
    }
}

namespace {

// One periodic task with implicit deadlines, served by a CBS.
struct SimulatedTask : EdfEntity {
    SimulatedTask(DeadlineServer task_server, std::uint64_t job_execution_ns)
        : server(task_server)
        , execution_ns(job_execution_ns)
    {
    }
    DeadlineServer server;
    std::uint64_t execution_ns;
    std::uint64_t remaining_work_ns { 0 };
    std::uint64_t next_release_ns { 0 };
    std::uint64_t missed_deadlines { 0 };
    bool throttled { false };
};

struct SimulationResult {
    std::uint64_t jobs { 0 };
    std::uint64_t missed_deadlines { 0 };
};

// A single-CPU EDF simulator over [0, horizon): every task releases a job at each multiple of
// its period, due one period later (its next release). Events are job releases, job
// completions, budget exhaustion and replenishment; between events the earliest-deadline
// server of the EdfQueue runs. A job still unfinished at its deadline is a miss (it is then
// dropped so that the simulation goes on).
SimulationResult simulate_edf(std::vector<std::unique_ptr<SimulatedTask>>& tasks, std::uint64_t horizon)
{
    EdfQueue queue;
    SimulationResult result;
    std::uint64_t now = 0;
    auto enqueue = [&](SimulatedTask& task) { queue.insert(task, task.server.absolute_deadline_ns()); };

    while (true) {
        for (auto& task : tasks) {
            if (task->throttled && task->server.replenish_if_due(now)) {
                task->throttled = false;
                if (task->remaining_work_ns > 0)
                    enqueue(*task);
            }
        }
        for (auto& task : tasks) {
            if (task->next_release_ns != now)
                continue;
            if (task->remaining_work_ns > 0) {
                ++result.missed_deadlines;
                ++task->missed_deadlines;
                queue.remove(*task);
            }
            if (now == horizon)
                continue;
            ++result.jobs;
            task->remaining_work_ns = task->execution_ns;
            task->next_release_ns = now + task->server.period_ns();
            task->server.on_wakeup(now);
            task->throttled = task->server.is_throttled();
            if (!task->throttled)
                enqueue(*task);
        }
        if (now == horizon)
            break;

        std::uint64_t next_event = horizon;
        for (auto& task : tasks) {
            next_event = std::min(next_event, task->next_release_ns);
            if (task->throttled)
                next_event = std::min(next_event, task->server.absolute_deadline_ns());
        }
        auto* running = static_cast<SimulatedTask*>(queue.earliest());
        if (running == nullptr) {
            now = next_event;
            continue;
        }
        std::uint64_t slice = std::min(
            { running->remaining_work_ns, running->server.remaining_runtime_ns(), next_event - now });
        now += slice;
        running->remaining_work_ns -= slice;
        running->server.charge(slice);
        if (running->remaining_work_ns == 0) {
            queue.remove(*running);
        } else if (running->server.is_throttled()) {
            queue.remove(*running);
            running->throttled = true;
        }
    }
    return result;
}

struct TaskParameters {
    std::uint64_t runtime_ns;
    std::uint64_t period_ns;
};

std::vector<std::unique_ptr<SimulatedTask>> make_tasks(const std::vector<TaskParameters>& parameters)
{
    std::vector<std::unique_ptr<SimulatedTask>> tasks;
    for (auto [runtime, period] : parameters) {
        auto server = DeadlineServer::create(runtime, period);
        EXPECT_FALSE(server.is_error());
        tasks.push_back(std::make_unique<SimulatedTask>(server.release_value(), runtime));
    }
    return tasks;
}

std::uint64_t hyperperiod_of(const std::vector<TaskParameters>& parameters)
{
    std::uint64_t hyperperiod = 1;
    for (auto task : parameters)
        hyperperiod = std::lcm(hyperperiod, task.period_ns);
    return hyperperiod;
}

} // namespace

TEST(EdfQueue, AdmittedTaskSetMeetsEveryDeadline)
{
    // Utilization 1/4 + 3/16 + 5/32 + 13/64 + 26/128 = 1.0 exactly, EDF's limit. The shares
    // are multiples of 2^-20, so admission's rounding up is exact and a 100% cap takes them.
    std::vector<TaskParameters> parameters = { { 1, 4 }, { 3, 16 }, { 5, 32 }, { 13, 64 }, { 26, 128 } };
    for (auto& task : parameters) {
        task.runtime_ns *= 1000;
        task.period_ns *= 1000;
    }
    auto admission = DeadlineAdmission::create(bandwidth_unit).release_value();
    for (auto task : parameters)
        ASSERT_FALSE(admission.admit(task.runtime_ns, task.period_ns).is_error());

    auto tasks = make_tasks(parameters);
    std::uint64_t hyperperiod = hyperperiod_of(parameters);
    auto result = simulate_edf(tasks, hyperperiod);
    EXPECT_EQ(admission.utilization(), bandwidth_unit);
    EXPECT_EQ(result.jobs,
        hyperperiod / 4000 + hyperperiod / 16000 + hyperperiod / 32000 + hyperperiod / 64000
            + hyperperiod / 128000);
    EXPECT_EQ(result.missed_deadlines, 0u);
}

TEST(EdfQueue, OverloadedTaskSetMissesDeadlines)
{
    // The control for the simulator: 1/2 + 1/3 + 1/4 > 1 cannot be scheduled, and the
    // simulation must notice. Admission would have refused the third task.
    std::vector<TaskParameters> parameters = { { 50, 100 }, { 100, 300 }, { 100, 400 } };
    auto admission = DeadlineAdmission::create(bandwidth_unit).release_value();
    ASSERT_FALSE(admission.admit(50, 100).is_error());
    ASSERT_FALSE(admission.admit(100, 300).is_error());
    EXPECT_TRUE(admission.admit(100, 400).is_error());

    auto tasks = make_tasks(parameters);
    auto result = simulate_edf(tasks, hyperperiod_of(parameters));
    EXPECT_GT(result.missed_deadlines, 0u);
}

TEST(EdfQueue, RandomAdmittedTaskSetsMeetEveryDeadline)
{
    // Periods divide 1200 us so the hyperperiod stays short; runtimes are random and tasks are
    // offered to admission at the default 95% cap until it refuses one.
    const std::uint64_t periods_us[]
        = { 10, 12, 15, 20, 24, 25, 30, 40, 50, 60, 75, 100, 120, 150, 200, 300 };
    std::mt19937 random(2024);
    for (int trial = 0; trial < 200; ++trial) {
        DeadlineAdmission admission;
        std::vector<TaskParameters> parameters;
        for (int attempt = 0; attempt < 12; ++attempt) {
            std::uint64_t period = periods_us[random() % std::size(periods_us)] * 1000;
            std::uint64_t runtime = 1 + random() % (period / 3);
            if (admission.admit(runtime, period).is_error())
                break;
            parameters.push_back({ runtime, period });
        }
        auto tasks = make_tasks(parameters);
        auto result = simulate_edf(tasks, hyperperiod_of(parameters) * 2);
        ASSERT_EQ(result.missed_deadlines, 0u)
            << "trial " << trial << " with " << parameters.size() << " tasks";
    }
}

TEST(EdfQueue, OverrunningTaskCannotMakeAdmittedTasksMiss)
{
    // One task's jobs need twice its reservation. Its CBS throttles it, so it misses its own
    // deadlines, but the other admitted tasks still meet theirs.
    std::vector<TaskParameters> parameters = { { 2000, 10000 }, { 3000, 10000 }, { 5000, 20000 } };
    auto tasks = make_tasks(parameters);
    tasks[0]->execution_ns = 4000;
    auto result = simulate_edf(tasks, 400000);
    EXPECT_EQ(tasks[0]->missed_deadlines, 40u) << "every job of the over-running task misses";
    EXPECT_EQ(tasks[1]->missed_deadlines, 0u);
    EXPECT_EQ(tasks[2]->missed_deadlines, 0u);
    EXPECT_EQ(result.missed_deadlines, 40u);
}
