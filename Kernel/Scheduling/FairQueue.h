#pragma once

// The run queue of the fair scheduling class: EEVDF, Earliest Eligible Virtual Deadline
// First (Stoica and Abdel-Wahab, 1995), one instance per CPU.
//
// Model. Each entity has a weight w (from its nice level, NiceWeights.h) and a virtual
// runtime v that advances by ran_ns * 1024 / w when it is charged for running. The queue's
// virtual time V is the weight-averaged virtual runtime of its entities,
// V = sum(w * v) / sum(w): the virtual runtime every entity would have if the CPU had been
// shared exactly in proportion to weight. An entity's lag, w * (V - v) / 1024 ns, is the
// service it is owed compared with that ideal (negative: it ran ahead); the lags on a
// queue always sum to zero. Virtual lags, V - v, are what entities store.
//
// Policy. An entity is eligible when its lag is >= 0 (v <= V, v being its virtual eligible
// time), and pick_next returns the eligible entity with the earliest virtual deadline
// v + request_slice_ns * 1024 / w, the virtual time by which it should have received its
// next request. Eligibility is what makes this fair: an entity that ran ahead waits until
// the others catch up, so no lag grows beyond about one request (the paper's bound is the
// largest request on the queue). Deadlines are what make it responsive: among entities
// that are owed service, the one asking for the smaller slice goes first. A new request
// (deadline = v + slice) is issued each time an entity's virtual runtime reaches its
// deadline.
//
// Use. Every runnable entity is queued, the running one included: pick_next does not
// remove what it returns. The per-CPU run queue picks an entity, runs it for up to its
// slice, charge()s it with the time it ran, and picks again; when an entity blocks it is
// charged for its last run and dequeued. Entities are intrusive (their links live inside
// them), so nothing here ever allocates.
//
// Leaving and joining. dequeue saves the entity's virtual lag and enqueue restores it:
// the entity is placed at v = V - lag * (W + w) / W, where W is the weight already queued.
// The factor makes up for V moving towards the newcomer as it joins; without it the
// restored lag would come out w / (W + w) smaller, and an entity could shed part of a debt
// by blocking briefly. Two rules keep sleeping from being a way to gather credit:
//   - the saved lag is clamped to +-lag_limit_requests requests of the entity (in real
//     time: weight * lag / 1024 <= 2 * request_slice_ns), both when it is saved and again on
//     re-entry (weight and request may change in between). So a woken entity is at most two
//     requests ahead of its fair share, however long it slept; under a naive scheme that
//     kept v across sleep, a task that slept 10 s would then run unopposed for 10 s.
//   - a sleep of lag_expiry_ns or longer forgets the lag, credit and debt alike: after that
//     long, the competition the lag was measured against is over. The limit is far longer
//     than the lag bound (100 ms against 6 ms at the default request), so blocking to shed
//     a debt costs far more time than it saves, while a short block on I/O keeps both.
//
// Weight changes. set_nice keeps the entity's lag in real time (w * (V - v)) and scales the
// distance from V to its deadline by old weight / new weight. Keeping w * (V - v) also keeps
// V itself unchanged, so no other entity's lag moves.
//
// Arithmetic. Virtual times are u64 nanoseconds of nice-0 time that may wrap: they are
// only ever compared through signed differences, which is correct while the entities of a
// queue lie within 2^63 ns (292 years) of each other. Scaling real to virtual time uses the
// inverse weights (a 64 x 32-bit multiply and a shift, no division). V is kept as a base
// plus sum(w * (v - base)) / sum(w), with the sum updated on every enqueue, dequeue, charge
// and weight change, so it costs no scan; the base follows the smallest virtual runtime
// (moved on every pick_next) so the differences stay small. The sum is 128 bits wide,
// because w * (v - base) summed over a queue can exceed 2^63 when weights span the whole
// nice range. Eligibility compares (v - base) * sum(w) with the sum, exactly and without
// dividing; V itself needs one division, done as two 64-bit divisions since the kernel has
// no 128-bit division (this is why sum(w) must stay below 2^32: 48356 entities of nice -20).
//
// Costs, for n queued entities: enqueue, dequeue, charge and set_nice are O(1); pick_next
// scans all n, O(n). An augmented tree (ordered by eligible time, each node keeping its
// subtree's earliest deadline) would make picking O(log n), but a per-CPU queue holds few
// entities: the CPU-bound ones share the CPU, and blocked ones are not queued. At tens of
// entities a scan of a linked list is a few hundred nanoseconds per pick, once per slice
// (milliseconds), with none of a tree's rebalancing on every charge. A CPU carrying hundreds
// of runnable fair threads would want the tree.
//
// Not synchronised: each CPU touches only its own queue, with interrupts off (Kernel/Tasks).

#include <Core/IntrusiveList.h>
#include <Core/Types.h>
#include <Kernel/Scheduling/NiceWeights.h>

namespace Kernel::Scheduling {

class FairQueue;

// The slice an entity asks for at a time unless told otherwise.
inline constexpr Core::u64 default_request_slice_ns = 3'000'000;
// Requests must lie in [minimum, maximum]: a zero request would never advance a deadline,
// and the bound on requests is what bounds lags (and so keeps the arithmetic in range).
inline constexpr Core::u64 minimum_request_slice_ns = 100'000;
inline constexpr Core::u64 maximum_request_slice_ns = 100'000'000;
// How many of its requests of credit or debt an entity keeps across a sleep.
inline constexpr Core::u64 lag_limit_requests = 2;
// A sleep at least this long forgets the entity's lag.
inline constexpr Core::u64 lag_expiry_ns = 100'000'000;

class FairEntity {
public:
    // `nice` must be valid (is_valid_nice) and the request within
    // [minimum_request_slice_ns, maximum_request_slice_ns]; both are the kernel's own
    // values (user input is checked on entry), so anything else is a bug (VERIFY).
    explicit FairEntity(int nice = 0, Core::u64 request_slice_ns = default_request_slice_ns);
    // The links point at neighbours in a queue; a copy would be a second, stale member.
    FairEntity(const FairEntity&) = delete;
    FairEntity& operator=(const FairEntity&) = delete;

    [[nodiscard]] int nice() const { return m_nice; }
    [[nodiscard]] Core::u32 weight() const { return m_weight; }
    [[nodiscard]] Core::u64 request_slice_ns() const { return m_request_slice_ns; }
    // Takes effect with the entity's next request (its current deadline stays).
    void set_request_slice_ns(Core::u64 request_slice_ns);

    // Virtual eligible time: where the entity stands in virtual time.
    [[nodiscard]] Core::u64 virtual_runtime() const { return m_virtual_runtime; }
    [[nodiscard]] Core::u64 virtual_deadline() const { return m_virtual_deadline; }
    // The virtual lag saved when the entity last left a queue (already clamped); 0 for an
    // entity that was never queued. For a queued entity ask the queue (virtual_lag).
    [[nodiscard]] Core::i64 saved_virtual_lag() const { return m_saved_virtual_lag; }
    // The largest virtual lag, either way, the entity may carry across a sleep.
    [[nodiscard]] Core::i64 virtual_lag_limit() const;
    // Every nanosecond the entity was charged for, for accounting and tests.
    [[nodiscard]] Core::u64 total_runtime_ns() const { return m_total_runtime_ns; }

    [[nodiscard]] bool is_queued() const { return m_queue_node.is_linked(); }

private:
    friend class FairQueue;

    // ran_ns * 1024 / weight.
    [[nodiscard]] Core::u64 virtual_duration(Core::u64 duration_ns) const;
    [[nodiscard]] Core::i64 clamp_virtual_lag(Core::i64 virtual_lag) const;

    int m_nice { 0 };
    Core::u32 m_weight { nice_0_weight };
    Core::u32 m_inverse_weight { inverse_weight_for_nice(0) };
    Core::u64 m_request_slice_ns { default_request_slice_ns };

    Core::u64 m_virtual_runtime { 0 };
    Core::u64 m_virtual_deadline { 0 };
    Core::i64 m_saved_virtual_lag { 0 };
    // When the entity last left a queue, to know how long it slept.
    Core::u64 m_left_at_ns { 0 };
    Core::u64 m_total_runtime_ns { 0 };

    // Links into the queue the entity is in (unlinked while it is not runnable).
    Core::IntrusiveListNode<FairEntity> m_queue_node;
};

// Entities must stay alive (and in place) while queued: dequeue an entity before its
// storage is freed or reused. Trivially destructible, so queues can be plain globals.
class FairQueue {
public:
    // `initial_virtual_time` is where virtual time starts; any value works (virtual times
    // wrap), and tests start near 2^64 to cross the wrap.
    explicit constexpr FairQueue(Core::u64 initial_virtual_time = 0)
        : m_base_virtual_time(initial_virtual_time)
    {
    }
    FairQueue(const FairQueue&) = delete;
    FairQueue& operator=(const FairQueue&) = delete;

    // Makes `entity` runnable here at time now_ns (the clock dequeue was given), restoring
    // the lag it left with (clamped, or forgotten after lag_expiry_ns: see the top of this
    // file) and giving it a fresh request. The entity must not be queued anywhere (VERIFY),
    // and the queue's total weight must stay below 2^32 (VERIFY).
    void enqueue(FairEntity& entity, Core::u64 now_ns);

    // Removes `entity`, which must be queued here (VERIFY), saving its clamped lag and the
    // time it left. Works on any entity: the one running, or one from the middle.
    void dequeue(FairEntity& entity, Core::u64 now_ns);

    // The entity to run next, which stays queued: the eligible one with the earliest
    // virtual deadline (the first queued among equal deadlines). Null when the queue is
    // empty. The eligibility test is exact, so some entity (the one furthest behind) is
    // always eligible; were none found, the entity with the earliest eligible time would
    // be returned, so the CPU is never left idle with work queued.
    [[nodiscard]] FairEntity* pick_next();

    // Accounts ran_ns of running to `entity`, which must be queued here (VERIFY): advances
    // its virtual runtime by ran_ns * 1024 / weight and, once that reaches its deadline,
    // issues its next request.
    void charge(FairEntity& entity, Core::u64 ran_ns);

    // The entity gives up the rest of its current request: its virtual deadline moves one
    // request later, so any other eligible entity with an earlier deadline is picked before
    // it (sched_yield). Its virtual runtime and lag do not change, so yielding costs it no
    // share: it only lets others go first now. The entity must be queued here (VERIFY).
    void yield(FairEntity& entity);

    // Changes the entity's nice level, keeping its lag (see the top of this file). The
    // entity must be queued here or nowhere (VERIFY); for one that is not queued, the saved
    // lag is rescaled. `nice` must be valid (VERIFY).
    void set_nice(FairEntity& entity, int nice);

    // V, the weighted average virtual runtime of the queued entities; with none queued,
    // where the last one left off (the place a newcomer without lag joins at).
    [[nodiscard]] Core::u64 average_virtual_runtime() const;
    // V - v for a queued entity: positive when it is owed service (VERIFY queued here).
    [[nodiscard]] Core::i64 virtual_lag(const FairEntity& entity) const;
    // Whether the queued entity's lag is >= 0 (VERIFY queued here).
    [[nodiscard]] bool is_eligible(const FairEntity& entity) const;

    // The first queued entity (in queue order) for which predicate(entity) holds, or null.
    // Load balancing uses it to find one it may move.
    template<typename Predicate> [[nodiscard]] FairEntity* find_first(Predicate predicate) const
    {
        for (FairEntity* entity = m_entities.first(); entity; entity = decltype(m_entities)::next(*entity)) {
            if (predicate(*entity))
                return entity;
        }
        return nullptr;
    }

    [[nodiscard]] Core::usize count() const { return m_entities.size(); }
    [[nodiscard]] Core::u64 total_weight() const { return m_total_weight; }

private:
    // v - base, the entity's share of the weighted sum.
    [[nodiscard]] Core::i64 key_of(Core::u64 virtual_time) const;
    void add_to_average(const FairEntity& entity);
    void remove_from_average(const FairEntity& entity);
    Core::IntrusiveList<FairEntity, &FairEntity::m_queue_node> m_entities;

    // V = m_base_virtual_time + m_weighted_key_sum / m_total_weight, where the sum is
    // sum(w * (v - m_base_virtual_time)) over the queued entities.
    Core::u64 m_base_virtual_time { 0 };
    __int128 m_weighted_key_sum { 0 };
    Core::u64 m_total_weight { 0 };
};

} // namespace Kernel::Scheduling
