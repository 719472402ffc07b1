#include <Core/Assertions.h>
#include <Kernel/Scheduling/DeadlineAdmission.h>
#include <Kernel/Scheduling/DeadlineServer.h>

namespace Kernel::Scheduling {

static_assert(maximum_deadline_period_ns <= ~Core::u64(0) / bandwidth_unit,
    "bandwidth_for shifts a runtime (at most the maximum period) by 20 bits in 64-bit arithmetic");

Core::Result<Core::u64> bandwidth_for(Core::u64 runtime_ns, Core::u64 period_ns)
{
    TRY(validate_deadline_parameters(runtime_ns, period_ns));
    // runtime <= period <= 2^36, so the scaled runtime fits in 64 bits (static_assert
    // above) and the rounded-up quotient is at most bandwidth_unit.
    Core::u64 scaled_runtime = runtime_ns * bandwidth_unit;
    return (scaled_runtime + period_ns - 1) / period_ns;
}

Core::Result<DeadlineAdmission> DeadlineAdmission::create(Core::u64 cap_parts)
{
    if (cap_parts > bandwidth_unit)
        return Core::ErrorCode::InvalidArgument;
    return DeadlineAdmission(cap_parts);
}

Core::Result<void> DeadlineAdmission::admit(Core::u64 runtime_ns, Core::u64 period_ns)
{
    Core::u64 bandwidth = TRY(bandwidth_for(runtime_ns, period_ns));
    // m_utilization <= m_cap always holds, so the subtraction cannot wrap.
    if (bandwidth > m_cap - m_utilization)
        return Core::ErrorCode::Busy;
    m_utilization += bandwidth;
    ++m_admitted_count;
    return {};
}

void DeadlineAdmission::release(Core::u64 runtime_ns, Core::u64 period_ns)
{
    auto bandwidth = bandwidth_for(runtime_ns, period_ns);
    VERIFY(!bandwidth.is_error());
    VERIFY(m_admitted_count > 0);
    VERIFY(bandwidth.value() <= m_utilization);
    m_utilization -= bandwidth.value();
    --m_admitted_count;
}

bool DeadlineAdmission::fits(Core::u64 runtime_ns, Core::u64 period_ns) const
{
    auto bandwidth = bandwidth_for(runtime_ns, period_ns);
    return !bandwidth.is_error() && bandwidth.value() <= m_cap - m_utilization;
}

Core::Result<Core::usize> choose_cpu_for_deadline_server(
    Core::Span<const DeadlineAdmission> cpus, Core::u64 runtime_ns, Core::u64 period_ns)
{
    TRY(validate_deadline_parameters(runtime_ns, period_ns));
    bool found = false;
    Core::usize chosen_cpu = 0;
    for (Core::usize cpu = 0; cpu < cpus.size(); ++cpu) {
        if (!cpus[cpu].fits(runtime_ns, period_ns))
            continue;
        if (!found || cpus[cpu].utilization() < cpus[chosen_cpu].utilization()) {
            chosen_cpu = cpu;
            found = true;
        }
    }
    if (!found)
        return Core::ErrorCode::Busy;
    return chosen_cpu;
}

} // namespace Kernel::Scheduling
