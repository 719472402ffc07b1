#pragma once

// Order statistics of a set of measurements (latencies, durations), for benchmarks: the
// minimum, median, 99th percentile and maximum, and the mean. Freestanding and allocation
// free: it sorts the caller's samples in place.

#include <Core/Span.h>
#include <Core/Types.h>

namespace Core {

struct SampleSummary {
    usize count { 0 };
    u64 minimum { 0 };
    u64 median { 0 };
    // The smallest sample at or above which lie at most 1% of the samples (nearest rank).
    u64 percentile_99 { 0 };
    u64 maximum { 0 };
    u64 mean { 0 };
};

// Sorts `samples` ascending in place (heap sort: O(n log n) worst case, no recursion, no
// extra memory) and summarises them. An empty set gives an all-zero summary. The mean is
// computed without overflow for any samples (as a running quotient and remainder).
inline SampleSummary summarize_samples(Span<u64> samples)
{
    usize count = samples.size();
    SampleSummary summary;
    summary.count = count;
    if (count == 0)
        return summary;
    u64* values = samples.data();
    auto sift_down = [values](usize root, usize end) {
        for (;;) {
            usize child = root * 2 + 1;
            if (child >= end)
                return;
            if (child + 1 < end && values[child] < values[child + 1])
                ++child;
            if (!(values[root] < values[child]))
                return;
            u64 swapped = values[root];
            values[root] = values[child];
            values[child] = swapped;
            root = child;
        }
    };
    for (usize start = count / 2; start-- > 0;)
        sift_down(start, count);
    for (usize end = count; end-- > 1;) {
        u64 largest = values[0];
        values[0] = values[end];
        values[end] = largest;
        sift_down(0, end);
    }
    summary.minimum = values[0];
    summary.maximum = values[count - 1];
    summary.median = values[(count - 1) / 2];
    // Nearest rank: the ceil(0.99 * n)-th smallest, 1-based.
    usize rank = (count * 99 + 99) / 100;
    summary.percentile_99 = values[rank - 1];
    u64 quotient = 0;
    u64 remainder = 0;
    for (usize index = 0; index < count; ++index) {
        quotient += values[index] / count;
        remainder += values[index] % count;
        quotient += remainder / count;
        remainder %= count;
    }
    summary.mean = quotient;
    return summary;
}

} // namespace Core
