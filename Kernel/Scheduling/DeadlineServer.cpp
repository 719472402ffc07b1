#include <Kernel/Scheduling/DeadlineServer.h>

namespace Kernel::Scheduling {

namespace {

// Deadlines are absolute nanoseconds on a 64-bit clock, which wraps after 584 years; a sum
// past that clamps instead of wrapping to a deadline in the distant past.
Core::u64 saturating_add(Core::u64 first, Core::u64 second)
{
    Core::u64 sum = first + second;
    return sum < first ? ~Core::u64(0) : sum;
}

} // namespace

Core::Result<void> validate_deadline_parameters(Core::u64 runtime_ns, Core::u64 period_ns)
{
    if (runtime_ns == 0 || runtime_ns > period_ns || period_ns > maximum_deadline_period_ns)
        return Core::ErrorCode::InvalidArgument;
    return {};
}

Core::Result<DeadlineServer> DeadlineServer::create(Core::u64 runtime_ns, Core::u64 period_ns)
{
    TRY(validate_deadline_parameters(runtime_ns, period_ns));
    return DeadlineServer(runtime_ns, period_ns);
}

void DeadlineServer::on_wakeup(Core::u64 now_ns)
{
    if (m_absolute_deadline_ns <= now_ns) {
        start_period(saturating_add(now_ns, m_period_ns));
        return;
    }
    // remaining / (deadline - now) > runtime / period, cross-multiplied so that no division
    // rounds. remaining and runtime are at most 2^36 and the other factors below 2^64, so
    // each product fits comfortably in 128 bits (and 128-bit multiplication needs no
    // runtime library, unlike 128-bit division).
    using u128 = unsigned __int128;
    u128 remaining_rate = u128(m_remaining_runtime_ns) * m_period_ns;
    u128 reserved_rate = u128(m_absolute_deadline_ns - now_ns) * m_runtime_ns;
    if (remaining_rate > reserved_rate)
        start_period(saturating_add(now_ns, m_period_ns));
}

void DeadlineServer::charge(Core::u64 consumed_ns)
{
    if (consumed_ns <= m_remaining_runtime_ns) {
        m_remaining_runtime_ns -= consumed_ns;
        return;
    }
    m_overrun_debt_ns = saturating_add(m_overrun_debt_ns, consumed_ns - m_remaining_runtime_ns);
    m_remaining_runtime_ns = 0;
}

bool DeadlineServer::replenish_if_due(Core::u64 now_ns)
{
    if (now_ns < m_absolute_deadline_ns)
        return false;
    Core::u64 next_deadline_ns = saturating_add(m_absolute_deadline_ns, m_period_ns);
    if (next_deadline_ns <= now_ns)
        next_deadline_ns = saturating_add(now_ns, m_period_ns);
    start_period(next_deadline_ns);
    return true;
}

void DeadlineServer::start_period(Core::u64 deadline_ns)
{
    m_absolute_deadline_ns = deadline_ns;
    Core::u64 repaid_ns = m_overrun_debt_ns < m_runtime_ns ? m_overrun_debt_ns : m_runtime_ns;
    m_overrun_debt_ns -= repaid_ns;
    m_remaining_runtime_ns = m_runtime_ns - repaid_ns;
}

} // namespace Kernel::Scheduling
