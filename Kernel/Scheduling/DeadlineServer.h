#pragma once

// A Constant Bandwidth Server (CBS, Abeni and Buttazzo 1998) for one real-time entity: the
// budget accounting that lets EDF schedule tasks whose execution times are not trusted.
// Each server reserves `runtime_ns` of CPU time in every `period_ns`; its relative deadline
// is its period (implicit deadlines). EDF orders servers by absolute_deadline_ns().
//
// This is the *hard* CBS variant (the one Linux's SCHED_DEADLINE implements): a server
// that exhausts its budget is throttled, and gets new budget only when its current deadline
// arrives. The original ("soft") CBS would instead refill immediately and push the deadline
// back by a period, which lets a greedy task run back-to-back whenever the CPU is otherwise
// idle, so over a window it may consume more than runtime/period. Admission control
// (DeadlineAdmission) only proves schedulability if no server ever exceeds its reserved
// bandwidth, and the RT throttling budget left to fair tasks relies on the same bound; the
// hard variant is what guarantees it: by any time t a server started at time 0 has consumed
// at most runtime/period * t + runtime (plus one overrun, see charge()).
//
// Pure policy: every operation takes the current time explicitly and nothing reads a clock,
// so the run queue decides when to call what and tests can replay any schedule.

#include <Core/Error.h>
#include <Core/Types.h>

namespace Kernel::Scheduling {

// The longest period a server may have: 2^36 ns, about 68.7 seconds. Periods that long are
// already far outside real-time use (Linux's default limit is about 4 s), and the bound keeps
// every product of two durations below 2^72 and `runtime << 20` below 2^64, which is what
// lets DeadlineAdmission compute bandwidths with 64-bit division (the kernel has no 128-bit
// division routine).
inline constexpr Core::u64 maximum_deadline_period_ns = Core::u64(1) << 36;

// Accepts exactly the parameters a server can be built from: 0 < runtime_ns <= period_ns
// <= maximum_deadline_period_ns. Anything else is ErrorCode::InvalidArgument. Shared with
// admission control so that both sides agree on what a valid reservation is.
[[nodiscard]] Core::Result<void> validate_deadline_parameters(Core::u64 runtime_ns, Core::u64 period_ns);

class DeadlineServer {
public:
    // Parameters come from user programs (sched_setattr-like calls), so they are validated
    // (validate_deadline_parameters) rather than VERIFYed. A new server is dormant: its
    // deadline is 0, so its first on_wakeup() always gives it a fresh deadline and budget.
    [[nodiscard]] static Core::Result<DeadlineServer> create(Core::u64 runtime_ns, Core::u64 period_ns);

    [[nodiscard]] Core::u64 runtime_ns() const { return m_runtime_ns; }
    [[nodiscard]] Core::u64 period_ns() const { return m_period_ns; }
    [[nodiscard]] Core::u64 absolute_deadline_ns() const { return m_absolute_deadline_ns; }
    [[nodiscard]] Core::u64 remaining_runtime_ns() const { return m_remaining_runtime_ns; }
    // Time consumed beyond the budget (the budget timer fired late) that the next
    // replenishments pay back before the server may run again.
    [[nodiscard]] Core::u64 overrun_debt_ns() const { return m_overrun_debt_ns; }

    // The entity became runnable at now_ns. CBS wake-up rule: keep the current deadline and
    // budget if running out the remaining budget before that deadline stays within the
    // reserved bandwidth, that is unless
    //     remaining / (deadline - now) > runtime / period   or   deadline <= now;
    // in those cases the server starts a new period: deadline = now + period, full budget.
    // Keeping the old deadline when possible stops a task from gaining an earlier deadline by
    // sleeping briefly; replacing it when the budget is too large for the time left stops a
    // task that slept from using a burst of saved budget that would exceed its bandwidth.
    // A throttled server (no budget) that wakes before its deadline stays throttled.
    void on_wakeup(Core::u64 now_ns);

    // Accounts consumed_ns of execution. Consumption beyond the remaining budget (the budget
    // timer cannot stop a task at the exact nanosecond) becomes overrun debt, paid back from
    // the next replenishments, so over many periods the overrun does not accumulate.
    void charge(Core::u64 consumed_ns);

    // A throttled server must not run: it has no budget until replenish_if_due() at its
    // absolute deadline, which is the time to arm its replenishment timer for.
    [[nodiscard]] bool is_throttled() const { return m_remaining_runtime_ns == 0; }

    // Period boundary: once now_ns has reached the absolute deadline, the current reservation
    // period is over. Unused budget is forfeited (carrying it over would exceed the bandwidth
    // in the next period), the deadline advances by one period and the budget is refilled,
    // less any overrun debt. If the server was late by a whole period or more (it could not
    // run, or the timer was late), the new period starts at now_ns instead, so that the server
    // never gets a deadline already in the past, which would put it ahead of every other
    // server and let it push them past their deadlines. Returns whether it replenished; before
    // the deadline it changes nothing. A server whose debt swallows the whole refill stays
    // throttled until its next deadline.
    bool replenish_if_due(Core::u64 now_ns);

private:
    DeadlineServer(Core::u64 runtime_ns, Core::u64 period_ns)
        : m_runtime_ns(runtime_ns)
        , m_period_ns(period_ns)
        , m_remaining_runtime_ns(runtime_ns)
    {
    }

    // Opens the reservation period ending at deadline_ns with a full budget less the debt.
    void start_period(Core::u64 deadline_ns);

    Core::u64 m_runtime_ns;
    Core::u64 m_period_ns;
    Core::u64 m_absolute_deadline_ns { 0 };
    Core::u64 m_remaining_runtime_ns;
    Core::u64 m_overrun_debt_ns { 0 };
};

} // namespace Kernel::Scheduling
