#pragma once

// Admission control for the deadline (EDF + CBS) class, one instance per CPU. On one CPU,
// EDF meets every deadline of servers with implicit deadlines exactly when their summed
// utilization sum(runtime / period) is at most 1 (Liu and Layland 1973), and hard CBS
// (DeadlineServer) keeps each server within its own runtime / period whatever the task
// does. So admitting a server only while the sum stays under a cap is what makes deadlines
// a guarantee rather than a hope.
//
// The cap and RT throttling: the cap is the share of the CPU that real-time work may
// reserve, and it is the same number as the RT throttling budget (the fraction of every
// throttling period real-time classes may run before fair tasks must get the CPU; Linux's
// sched_rt_runtime_us / sched_rt_period_us, 950000 / 1000000 by default). Admitting up to the
// throttling budget, and no further, means throttling never has to cut an admitted server
// short, while 1 - cap of every CPU stays for fair tasks, so they are never starved. The
// default cap is therefore 95%.
//
// Utilization is fixed point, in parts of bandwidth_unit (2^20) per CPU. Each admitted
// server's share is rounded UP to whole parts, so the recorded sum is never below the true
// sum and rounding can never admit a set whose true utilization exceeds the cap. The price is
// that a set which exactly fills the cap with shares that are not multiples of 2^-20 is
// rejected: three servers of 1/3 each on a 100% cap record 3 * ceil(2^20 / 3) = 2^20 + 2
// parts, and the third is refused. The cap itself is rounded DOWN when given as a percentage
// for the same reason.
//
// Not synchronised: the scheduler keeps one instance per CPU, all under one lock (the
// `deadline admission` lock of docs/lock-order.md), since placement compares them all.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>

namespace Kernel::Scheduling {

// One whole CPU, in the fixed-point parts utilization is counted in.
inline constexpr Core::u64 bandwidth_unit = Core::u64(1) << 20;

// The bandwidth runtime / period in parts of bandwidth_unit, rounded up. InvalidArgument
// for parameters no DeadlineServer accepts (validate_deadline_parameters).
[[nodiscard]] Core::Result<Core::u64> bandwidth_for(Core::u64 runtime_ns, Core::u64 period_ns);

// percent% of a CPU in parts of bandwidth_unit, rounded down (a cap must never exceed what
// was asked for). Percentages over 100 are clamped to 100.
[[nodiscard]] constexpr Core::u64 bandwidth_from_percent(Core::u64 percent)
{
    if (percent > 100)
        percent = 100;
    return percent * bandwidth_unit / 100;
}

inline constexpr Core::u64 default_deadline_bandwidth_cap = bandwidth_from_percent(95);

class DeadlineAdmission {
public:
    // A CPU with nothing admitted and the default cap of 95%.
    DeadlineAdmission() = default;

    // A CPU with nothing admitted and a cap of cap_parts (of bandwidth_unit); more than one
    // whole CPU is InvalidArgument, since EDF on one CPU cannot meet deadlines past 100%.
    // A cap of 0 is valid: that CPU accepts no real-time reservations.
    [[nodiscard]] static Core::Result<DeadlineAdmission> create(Core::u64 cap_parts);

    // Reserves runtime / period of this CPU. InvalidArgument for invalid parameters, Busy
    // when the rounded-up utilization would exceed the cap (nothing changes then).
    [[nodiscard]] Core::Result<void> admit(Core::u64 runtime_ns, Core::u64 period_ns);

    // Returns a reservation made by admit() with the same parameters, when its server exits
    // or leaves this CPU. The parameters come from the kernel's own record of what it
    // admitted, so invalid ones or more released than admitted are bugs (VERIFY).
    void release(Core::u64 runtime_ns, Core::u64 period_ns);

    // Whether admit() would succeed, without reserving anything.
    [[nodiscard]] bool fits(Core::u64 runtime_ns, Core::u64 period_ns) const;

    // Reserved bandwidth, in parts of bandwidth_unit (rounded up per server).
    [[nodiscard]] Core::u64 utilization() const { return m_utilization; }
    [[nodiscard]] Core::u64 cap() const { return m_cap; }
    [[nodiscard]] Core::usize admitted_count() const { return m_admitted_count; }

private:
    explicit DeadlineAdmission(Core::u64 cap_parts)
        : m_cap(cap_parts)
    {
    }

    Core::u64 m_cap { default_deadline_bandwidth_cap };
    Core::u64 m_utilization { 0 };
    Core::usize m_admitted_count { 0 };
};

// Placement of a new server: the index of the CPU with the least reserved utilization among
// those where it fits (ties go to the lowest index, so placement is deterministic).
// InvalidArgument for invalid parameters, Busy when no CPU can take it. Filling the least
// loaded CPU first (worst fit) spreads real-time load so every CPU keeps room for fair tasks
// and for servers that wake later.
[[nodiscard]] Core::Result<Core::usize> choose_cpu_for_deadline_server(
    Core::Span<const DeadlineAdmission> cpus, Core::u64 runtime_ns, Core::u64 period_ns);

} // namespace Kernel::Scheduling
