#include <Kernel/Scheduling/RealTimeThrottle.h>

namespace Kernel::Scheduling {

static_assert(maximum_real_time_period_ns <= ~Core::u64(0) / bandwidth_unit,
    "admission_cap multiplies a budget (at most the maximum period) by bandwidth_unit in 64 bits");
static_assert(RealTimeThrottle().admission_cap() == default_deadline_bandwidth_cap,
    "the default throttle and the default deadline admission cap must describe the same share, or "
    "admitted servers could be throttled (cap above budget) or fair threads given less than intended");

Core::Result<RealTimeThrottle> RealTimeThrottle::create(Core::u64 budget_ns, Core::u64 period_ns)
{
    if (budget_ns == 0 || budget_ns > period_ns || period_ns > maximum_real_time_period_ns)
        return Core::ErrorCode::InvalidArgument;
    return RealTimeThrottle(budget_ns, period_ns);
}

void RealTimeThrottle::charge(Core::u64 real_time_ns, Core::u64 now_ns)
{
    if (now_ns >= m_window_start_ns + m_period_ns) {
        m_window_start_ns = window_start_for(now_ns);
        m_used_ns = 0;
    }
    // A stretch ending at or before the window start (a stale clock read) ran entirely in
    // windows that have ended.
    if (now_ns <= m_window_start_ns)
        return;
    Core::u64 elapsed_in_window_ns = now_ns - m_window_start_ns;
    Core::u64 charged_ns = real_time_ns < elapsed_in_window_ns ? real_time_ns : elapsed_in_window_ns;
    // Each charge is at most one period (2^36 ns), so wrapping would take 2^28 charges in one
    // window; saturating anyway means a caller counting a stretch twice can only over-throttle,
    // never wrap usage back to "not throttled".
    if (charged_ns > ~Core::u64(0) - m_used_ns)
        m_used_ns = ~Core::u64(0);
    else
        m_used_ns += charged_ns;
}

Core::u64 RealTimeThrottle::window_end_ns(Core::u64 now_ns) const
{
    if (now_ns < m_window_start_ns + m_period_ns)
        return m_window_start_ns + m_period_ns;
    return window_start_for(now_ns) + m_period_ns;
}

Core::u64 RealTimeThrottle::remaining_budget_ns(Core::u64 now_ns) const
{
    Core::u64 usage_ns = usage_at(now_ns);
    return usage_ns >= m_budget_ns ? 0 : m_budget_ns - usage_ns;
}

Core::u64 RealTimeThrottle::usage_at(Core::u64 now_ns) const
{
    if (now_ns >= m_window_start_ns + m_period_ns)
        return 0;
    return m_used_ns;
}

} // namespace Kernel::Scheduling
