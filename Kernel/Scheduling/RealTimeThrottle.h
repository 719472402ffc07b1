#pragma once

// RT throttling for one CPU: the real-time classes (deadline and fixed priority) together may
// use at most budget_ns of every window of period_ns, so fair threads are never starved. The
// defaults, 95 ms of every 100 ms, are Linux's (sched_rt_runtime_us / sched_rt_period_us).
//
// Why it is needed. A deadline server cannot run past its own runtime / period (hard CBS,
// DeadlineServer.h), and DeadlineAdmission admits servers only while their summed bandwidth
// stays under a cap. A fixed-priority thread has no such bound: a SCHED_RR thread that spins
// keeps every fair thread of its CPU off it indefinitely. The throttle is that bound, for all
// real-time work at once.
//
// Policy, as the per-CPU run queue applies it:
//   - it charge()s every stretch of real-time work (deadline or fixed priority) it ran;
//   - once is_throttled(), it stops picking fixed-priority threads while fair threads are
//     waiting, until the window ends (throttled_until_ns(), the time to arm a timer for);
//   - it never throttles deadline servers: admission keeps their bandwidth under the same
//     share (admission_cap() is the DeadlineAdmission cap matching a throttle; the defaults
//     agree, 95%), so over time they fit inside the budget on their own, and cutting one
//     short would break a deadline admission has promised. Their time is still charged, so
//     fixed-priority threads get only what the deadline servers leave of the budget.
// So fair threads get at least period_ns - budget_ns of every window (less how late the run
// queue notices the budget ran out; a timer armed at now + remaining_budget_ns keeps that to
// timer latency).
//
// Work-conserving: throttling only makes fair threads go first. When no fair thread is
// waiting, the run queue (not this class, which only does the accounting) keeps running
// fixed-priority work past the budget rather than leaving the CPU idle; that time is charged
// like any other, and the throttle keeps reporting throttled until the window ends.
//
// Windows are [k * period_ns, (k + 1) * period_ns) on the caller's clock, so every CPU's
// windows (with the same period) end together; the first use simply lands in the window that
// contains it. Each nanosecond of real-time work counts in the window it ran in: a stretch
// that began before the current window contributes only its part inside it, and a window
// that has ended takes no more charges. Usage never carries over: a new window starts at
// zero whether one or many windows have passed since the last charge. Times are monotonic
// nanoseconds; a window end must not pass 2^64 (584 years of uptime).
//
// Pure policy: nothing reads a clock or takes a lock. Callers pass the time in, each CPU
// keeps its own instance in its run queue (touched only by that CPU, interrupts off), and tests can replay
// any schedule.

#include <Core/Error.h>
#include <Core/Types.h>
#include <Kernel/Scheduling/DeadlineAdmission.h>

namespace Kernel::Scheduling {

inline constexpr Core::u64 default_real_time_period_ns = 100'000'000;
inline constexpr Core::u64 default_real_time_budget_ns = 95'000'000;
// The longest window, about 68.7 s, the same bound as a deadline server's period: it keeps
// budget * bandwidth_unit within 64 bits for admission_cap(). Longer windows would also let
// real-time work hold a CPU for over a minute before throttling, which defeats the point.
inline constexpr Core::u64 maximum_real_time_period_ns = Core::u64(1) << 36;

class RealTimeThrottle {
public:
    // The defaults: 95 ms of real-time work in every 100 ms window.
    constexpr RealTimeThrottle() = default;

    // A throttle allowing budget_ns of real-time work in every window of period_ns.
    // InvalidArgument unless 0 < budget_ns <= period_ns <= maximum_real_time_period_ns. A budget
    // equal to the period never throttles (a window cannot hold more work than its length).
    [[nodiscard]] static Core::Result<RealTimeThrottle> create(Core::u64 budget_ns, Core::u64 period_ns);

    // Accounts real_time_ns of real-time work that ran until now_ns. If now_ns is past the end
    // of the current window, the window first moves to the one containing now_ns, with nothing
    // used. Only the part of the stretch inside that window is counted (see the top of this
    // file): [now_ns - real_time_ns, now_ns) clipped to the window.
    void charge(Core::u64 real_time_ns, Core::u64 now_ns);

    // Whether the real-time work of the window containing now_ns has used up the budget.
    [[nodiscard]] bool is_throttled(Core::u64 now_ns) const { return usage_at(now_ns) >= m_budget_ns; }

    // The end of the window containing now_ns: when the budget is next refilled.
    [[nodiscard]] Core::u64 window_end_ns(Core::u64 now_ns) const;

    // When real-time work may run again, seen from now_ns: the end of the window containing
    // now_ns (the time to arm a timer for) while throttled, now_ns itself when not.
    [[nodiscard]] Core::u64 throttled_until_ns(Core::u64 now_ns) const
    {
        return is_throttled(now_ns) ? window_end_ns(now_ns) : now_ns;
    }

    // What real-time work may still use in the window containing now_ns; 0 when throttled.
    [[nodiscard]] Core::u64 remaining_budget_ns(Core::u64 now_ns) const;

    // Real-time work counted in the window last charged.
    [[nodiscard]] Core::u64 used_ns() const { return m_used_ns; }

    [[nodiscard]] Core::u64 budget_ns() const { return m_budget_ns; }
    [[nodiscard]] Core::u64 period_ns() const { return m_period_ns; }

    // The deadline admission cap (DeadlineAdmission::create) that keeps admitted servers inside
    // this budget: budget / period in parts of bandwidth_unit, rounded down so admission can
    // never reserve more than the throttle allows.
    [[nodiscard]] constexpr Core::u64 admission_cap() const
    {
        // budget <= period <= 2^36, so the product stays below 2^56.
        return m_budget_ns * bandwidth_unit / m_period_ns;
    }

private:
    constexpr RealTimeThrottle(Core::u64 budget_ns, Core::u64 period_ns)
        : m_budget_ns(budget_ns)
        , m_period_ns(period_ns)
    {
    }

    // The start of the window containing now_ns.
    [[nodiscard]] Core::u64 window_start_for(Core::u64 now_ns) const { return now_ns - now_ns % m_period_ns; }
    // Usage of the window containing now_ns: the recorded usage while now_ns is in the window
    // last charged (or, read with a stale clock, before it), nothing once it has ended.
    [[nodiscard]] Core::u64 usage_at(Core::u64 now_ns) const;

    Core::u64 m_budget_ns { default_real_time_budget_ns };
    Core::u64 m_period_ns { default_real_time_period_ns };
    Core::u64 m_window_start_ns { 0 };
    Core::u64 m_used_ns { 0 };
};

} // namespace Kernel::Scheduling
