#pragma once

// Where fair threads run: the decisions of pull-based load balancing and of placing a thread
// that wakes up or is created. Pure functions of a snapshot of every CPU's load; the run
// queues act on what they return.
//
// Why pull, not push. Each CPU's run queue is touched only by its own CPU (with interrupts
// off), so no run queue needs a lock against other CPUs in the common path, and the queues'
// data stays in their own CPU's cache. Balancing follows from that: the CPU that has too
// little to do (it just went idle, or its periodic check every load_balance_interval_ns found
// an imbalance) asks the busiest CPU for work, and the busy CPU hands over one of its waiting
// threads itself. Only a waiting thread moves, never the running one: a running thread's
// state is live in its CPU's registers, and moving a waiting one costs the busy CPU nothing
// but the handover. Pushing instead would have busy CPUs, the ones with the least time to
// spare, go looking for idle ones and reach into other CPUs' queues.
//
// Balance is counted in runnable fair threads, not weight: a thread can only run on one CPU
// at a time, so two heavy threads on one CPU and none on another is an imbalance whatever
// their weights, while weights only decide how threads sharing one CPU split it (FairQueue).
// Total weight breaks ties between equally busy CPUs.

#include <Core/Assertions.h>
#include <Core/Optional.h>
#include <Core/Span.h>
#include <Core/Types.h>

namespace Kernel::Scheduling {

// How often a CPU that has work checks for imbalance with the others. A CPU that goes idle
// pulls at once rather than waiting for the interval; the periodic check is for the case
// where every CPU is busy but some have far more waiting than others. 20 ms is a few fair
// slices (default_request_slice_ns, 3 ms): short enough that an imbalance does not outlive
// many slices, long enough that the check (a pass over every CPU's load) costs nothing
// measurable.
inline constexpr Core::u64 load_balance_interval_ns = 20'000'000;

// A set of CPUs, by index: bit n stands for CPU n. Holds CPUs 0..63: one word is cheap to keep
// in every thread (its affinity) and to test on the scheduler's paths. A CPU index at or beyond
// capacity is in no mask.
class CpuMask {
public:
    static constexpr Core::u32 capacity = 64;

    // The empty set.
    constexpr CpuMask() = default;

    [[nodiscard]] static constexpr CpuMask all() { return from_bits(~Core::u64(0)); }
    // Just `cpu`, which must be below capacity (VERIFY).
    [[nodiscard]] static constexpr CpuMask only(Core::u32 cpu)
    {
        CpuMask mask;
        mask.add(cpu);
        return mask;
    }
    [[nodiscard]] static constexpr CpuMask from_bits(Core::u64 bits)
    {
        CpuMask mask;
        mask.m_bits = bits;
        return mask;
    }
    [[nodiscard]] constexpr Core::u64 bits() const { return m_bits; }

    // False for any index at or beyond capacity, so callers may ask about any CPU.
    [[nodiscard]] constexpr bool contains(Core::u32 cpu) const
    {
        return cpu < capacity && (m_bits & bit_for(cpu)) != 0;
    }
    // `cpu` must be below capacity (VERIFY): a mask cannot hold it.
    constexpr void add(Core::u32 cpu)
    {
        VERIFY(cpu < capacity);
        m_bits |= bit_for(cpu);
    }
    constexpr void remove(Core::u32 cpu)
    {
        VERIFY(cpu < capacity);
        m_bits &= ~bit_for(cpu);
    }

    [[nodiscard]] constexpr bool is_empty() const { return m_bits == 0; }
    [[nodiscard]] constexpr Core::u32 count() const
    {
        return static_cast<Core::u32>(__builtin_popcountll(m_bits));
    }
    // The lowest CPU in the mask, which must not be empty (VERIFY).
    [[nodiscard]] constexpr Core::u32 first() const
    {
        VERIFY(!is_empty());
        return static_cast<Core::u32>(__builtin_ctzll(m_bits));
    }
    [[nodiscard]] constexpr CpuMask intersection(CpuMask other) const
    {
        return from_bits(m_bits & other.m_bits);
    }

    constexpr bool operator==(const CpuMask&) const = default;

private:
    [[nodiscard]] static constexpr Core::u64 bit_for(Core::u32 cpu) { return Core::u64(1) << cpu; }

    Core::u64 m_bits { 0 };
};

// One CPU's share of the snapshot the decisions are made on.
struct CpuLoad {
    // Fair threads runnable there, the running one included.
    Core::u32 runnable_count { 0 };
    // Their summed weights (NiceWeights.h).
    Core::u64 total_weight { 0 };
    // Whether the CPU schedules at all; an offline CPU neither gives nor takes threads.
    bool online { false };
};

// The CPU that `puller` (an index into loads, VERIFY) should take one waiting thread from: the
// busiest other online CPU (most runnable threads, then most total weight, then the lowest
// index) when moving one thread from it to the puller would strictly improve the balance, that
// is when it has at least two more runnable threads than the puller. That also means it has a
// waiting thread to give (two or more runnable), and that the move does not just swap which
// CPU is the busier one. Empty when the CPUs are balanced, or when the puller itself is
// offline. Which waiting thread goes (one whose affinity allows the puller) is for the busy
// CPU's run queue to find; it may have none to give.
[[nodiscard]] Core::Optional<Core::u32> choose_cpu_to_pull_from(
    Core::Span<const CpuLoad> loads, Core::u32 puller);

// The CPU for a thread that becomes runnable (created, woken, or moved by an affinity change):
// the online CPU in `allowed` with the fewest runnable threads. Among CPUs tied for fewest,
// `preferred` (typically where the thread last ran, whose caches may still hold its data)
// wins if it is one of them, else the lowest index. A `preferred` that is not allowed, not
// online or out of range is ignored. Empty when no allowed CPU is online.
[[nodiscard]] Core::Optional<Core::u32> choose_cpu_for_thread(
    Core::Span<const CpuLoad> loads, CpuMask allowed, Core::Optional<Core::u32> preferred);

} // namespace Kernel::Scheduling
