#include <Core/Assertions.h>
#include <Kernel/Scheduling/LoadBalancing.h>

namespace Kernel::Scheduling {

// Whether `candidate` is busier than `current`: more runnable threads, or as many and more
// weight. Equal loads are not busier, so a scan in index order keeps the lowest index.
static bool is_busier(const CpuLoad& candidate, const CpuLoad& current)
{
    if (candidate.runnable_count != current.runnable_count)
        return candidate.runnable_count > current.runnable_count;
    return candidate.total_weight > current.total_weight;
}

Core::Optional<Core::u32> choose_cpu_to_pull_from(Core::Span<const CpuLoad> loads, Core::u32 puller)
{
    VERIFY(puller < loads.size());
    const CpuLoad& puller_load = loads[puller];
    if (!puller_load.online)
        return {};

    bool found = false;
    Core::u32 busiest_cpu = 0;
    for (Core::u32 cpu = 0; cpu < loads.size(); ++cpu) {
        if (cpu == puller || !loads[cpu].online)
            continue;
        if (!found || is_busier(loads[cpu], loads[busiest_cpu])) {
            busiest_cpu = cpu;
            found = true;
        }
    }
    if (!found)
        return {};

    // The busiest CPU has the most runnable threads of all, so if moving one from it does not
    // help, moving one from any other CPU would not either. Written as a difference so that a
    // count near 2^32 cannot wrap.
    Core::u32 busiest_count = loads[busiest_cpu].runnable_count;
    if (busiest_count <= puller_load.runnable_count || busiest_count - puller_load.runnable_count < 2)
        return {};
    return busiest_cpu;
}

Core::Optional<Core::u32> choose_cpu_for_thread(
    Core::Span<const CpuLoad> loads, CpuMask allowed, Core::Optional<Core::u32> preferred)
{
    // CPUs from CpuMask::capacity on are in no mask, so the scan stops there.
    Core::usize candidate_count = loads.size() < CpuMask::capacity ? loads.size() : CpuMask::capacity;
    bool found = false;
    Core::u32 chosen_cpu = 0;
    for (Core::u32 cpu = 0; cpu < candidate_count; ++cpu) {
        if (!allowed.contains(cpu) || !loads[cpu].online)
            continue;
        if (!found || loads[cpu].runnable_count < loads[chosen_cpu].runnable_count) {
            chosen_cpu = cpu;
            found = true;
        }
    }
    if (!found)
        return {};

    if (preferred.has_value()) {
        Core::u32 preferred_cpu = preferred.value();
        if (allowed.contains(preferred_cpu) && preferred_cpu < loads.size() && loads[preferred_cpu].online
            && loads[preferred_cpu].runnable_count == loads[chosen_cpu].runnable_count)
            return preferred_cpu;
    }
    return chosen_cpu;
}

} // namespace Kernel::Scheduling
