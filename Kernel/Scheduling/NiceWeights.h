#pragma once

// Nice levels and the weights the fair class divides CPU time by.
//
// A runnable fair entity gets weight / (sum of the weights on its queue) of the CPU, so what
// matters is the ratio between weights, not their size. The goal for nice is that one step
// changes an entity's share by about 10% when it competes with an entity of the other level:
// with two entities, nice 0 and nice 1, shares of 55% and 45% mean a weight ratio of
// 55 / 45 ~ 1.22, and a constant ratio of 1.25 per step is the round number close to that
// (the same one Linux uses). Hence
//
//     weight(nice) = round(1024 * (4/5)^nice),    nice in [-20, 19],
//
// so nice 0 is 1024, nice 19 is 15 and nice -20 is 88818 (a 5921:1 range). The rounding
// to integers makes the step between adjacent levels vary between 1.20 (nice 18 -> 19,
// 18 / 15) and 1.28 (23 / 18) at the weak end; between levels whose weights are both
// above 1000 it is within 0.02% of 1.25.
//
// Virtual time advances by ran_ns * 1024 / weight. To keep divisions out of the hot path,
// each weight also has an inverse,
//
//     inverse_weight(nice) = round(2^32 / weight(nice)),
//
// so ran_ns * 1024 / weight = (ran_ns * inverse_weight) >> 22, one 64 x 32 -> 128-bit
// multiply and a shift. The relative error of the rounded inverse is at most
// weight / 2^33 < 1.1e-5 (at nice -20), far below anything a scheduler could observe.
//
// Both tables are written out so they can be read and compared with other systems; the
// static_asserts below recompute every entry from the formulas with exact integer
// arithmetic, so a mistyped entry does not compile.

#include <Core/Types.h>

namespace Kernel::Scheduling {

inline constexpr int minimum_nice = -20;
inline constexpr int maximum_nice = 19;
inline constexpr int nice_level_count = maximum_nice - minimum_nice + 1;

// The weight of nice 0, and the unit virtual time is measured in: an entity of this weight
// advances its virtual time at exactly the rate of real time.
inline constexpr Core::u32 nice_0_weight = 1024;

// 2^inverse_weight_shift / weight is the inverse weight; 2^22 is the inverse of nice_0_weight.
inline constexpr unsigned inverse_weight_shift = 32;

// Indexed by nice - minimum_nice.
inline constexpr Core::u32 nice_weights[nice_level_count] = {
    /* -20 */ 88818,
    71054,
    56843,
    45475,
    36380,
    29104,
    23283,
    18626,
    14901,
    11921,
    /* -10 */ 9537,
    7629,
    6104,
    4883,
    3906,
    3125,
    2500,
    2000,
    1600,
    1280,
    /*   0 */ 1024,
    819,
    655,
    524,
    419,
    336,
    268,
    215,
    172,
    137,
    /*  10 */ 110,
    88,
    70,
    56,
    45,
    36,
    29,
    23,
    18,
    15,
};

// round(2^32 / nice_weights[index]), same indexing.
inline constexpr Core::u32 nice_inverse_weights[nice_level_count] = {
    /* -20 */ 48357,
    60447,
    75558,
    94447,
    118058,
    147573,
    184468,
    230590,
    288233,
    360286,
    /* -10 */ 450348,
    562979,
    703632,
    879576,
    1099582,
    1374390,
    1717987,
    2147484,
    2684355,
    3355443,
    /*   0 */ 4194304,
    5244160,
    6557202,
    8196502,
    10250519,
    12782641,
    16025997,
    19976592,
    24970740,
    31350126,
    /*  10 */ 39045157,
    48806447,
    61356676,
    76695845,
    95443718,
    119304647,
    148102321,
    186737709,
    238609294,
    286331153,
};

[[nodiscard]] constexpr bool is_valid_nice(int nice)
{
    return nice >= minimum_nice && nice <= maximum_nice;
}

// `nice` must be valid (is_valid_nice): nice values from user programs are checked where
// they enter the kernel, so an out-of-range one here is a bug.
[[nodiscard]] constexpr Core::u32 weight_for_nice(int nice)
{
    return nice_weights[nice - minimum_nice];
}

[[nodiscard]] constexpr Core::u32 inverse_weight_for_nice(int nice)
{
    return nice_inverse_weights[nice - minimum_nice];
}

namespace Detail {

// round(1024 * (4/5)^nice) as an exact fraction: the largest numerator, 1024 * 5^20 ~ 9.8e16,
// and denominator, 5^19 ~ 1.9e13, both fit in 64 bits.
consteval Core::u64 weight_from_formula(int nice)
{
    Core::u64 numerator = nice_0_weight;
    Core::u64 denominator = 1;
    for (int step = 0; step < (nice < 0 ? -nice : nice); ++step) {
        numerator *= nice < 0 ? 5 : 4;
        denominator *= nice < 0 ? 4 : 5;
    }
    return (numerator + denominator / 2) / denominator;
}

consteval bool tables_match_formulas()
{
    for (int nice = minimum_nice; nice <= maximum_nice; ++nice) {
        Core::u64 weight = weight_from_formula(nice);
        if (weight_for_nice(nice) != weight)
            return false;
        Core::u64 inverse = ((Core::u64(1) << inverse_weight_shift) + weight / 2) / weight;
        if (inverse_weight_for_nice(nice) != inverse)
            return false;
    }
    return true;
}

} // namespace Detail

static_assert(Detail::tables_match_formulas(), "nice weight tables disagree with their formulas");
static_assert(weight_for_nice(0) == nice_0_weight);
static_assert(inverse_weight_for_nice(0) == Core::u32(1) << (inverse_weight_shift - 10),
    "the inverse of nice 0 must be exact so that nice 0 virtual time is real time");

} // namespace Kernel::Scheduling
