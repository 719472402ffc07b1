#include <Core/Assertions.h>
#include <Kernel/Scheduling/FairQueue.h>

namespace Kernel::Scheduling {

namespace {

using i128 = __int128;
using u128 = unsigned __int128;

// The wrap-safe distance from `from` to `to` in virtual time (see "Arithmetic" in the header).
Core::i64 virtual_difference(Core::u64 to, Core::u64 from)
{
    return static_cast<Core::i64>(to - from);
}

// floor(numerator / divisor) for 0 < divisor < 2^32 and a quotient that fits in an i64.
// The kernel has no 128-bit division (__divti3), so this divides in two 64-bit steps, long
// division in base 2^32: the high part first, then its remainder joined with the low 32 bits,
// which fits in 64 bits because the remainder is below the divisor and so below 2^32.
Core::i64 floor_divide(i128 numerator, Core::u64 divisor)
{
    VERIFY(divisor != 0 && (divisor >> 32) == 0);
    const bool negative = numerator < 0;
    // Through u128 so that even the most negative i128 has a defined magnitude.
    const u128 magnitude = negative ? u128(0) - u128(numerator) : u128(numerator);
    VERIFY((magnitude >> 96) == 0);

    const auto high = static_cast<Core::u64>(magnitude >> 32);
    const auto low = static_cast<Core::u64>(magnitude) & 0xffff'ffffu;
    const Core::u64 high_quotient = high / divisor;
    const Core::u64 partial = ((high % divisor) << 32) | low;
    const Core::u64 low_quotient = partial / divisor;
    const bool inexact = partial % divisor != 0;
    // Leaves room for the rounding step below, so the result always fits in an i64.
    VERIFY((high_quotient >> 31) == 0);
    const Core::u64 quotient = (high_quotient << 32) + low_quotient;
    if (!negative)
        return static_cast<Core::i64>(quotient);
    // quotient < 2^63, so negating it and stepping down once more stays >= -2^63.
    return -static_cast<Core::i64>(quotient) - (inexact ? 1 : 0);
}

// value * old_weight / new_weight, rounded down: a virtual distance measured at one weight
// expressed at another with the same real-time meaning.
Core::i64 rescale_virtual(Core::i64 value, Core::u32 old_weight, Core::u32 new_weight)
{
    return floor_divide(i128(value) * old_weight, new_weight);
}

bool is_valid_request_slice(Core::u64 request_slice_ns)
{
    return request_slice_ns >= minimum_request_slice_ns && request_slice_ns <= maximum_request_slice_ns;
}

} // namespace

FairEntity::FairEntity(int nice, Core::u64 request_slice_ns)
    : m_nice(nice)
    , m_request_slice_ns(request_slice_ns)
{
    VERIFY(is_valid_nice(nice));
    VERIFY(is_valid_request_slice(request_slice_ns));
    m_weight = weight_for_nice(nice);
    m_inverse_weight = inverse_weight_for_nice(nice);
}

void FairEntity::set_request_slice_ns(Core::u64 request_slice_ns)
{
    VERIFY(is_valid_request_slice(request_slice_ns));
    m_request_slice_ns = request_slice_ns;
}

Core::u64 FairEntity::virtual_duration(Core::u64 duration_ns) const
{
    // Nice 0 is by far the most common weight, and its virtual time is real time.
    if (m_weight == nice_0_weight)
        return duration_ns;
    // duration * 1024 / weight = duration * (2^32 / weight) >> 22. The product needs up to
    // 96 bits; the result fits in 64 for any duration below 2^64 / 69 (over 8 years).
    const u128 scaled = (u128(duration_ns) * m_inverse_weight) >> (inverse_weight_shift - 10);
    VERIFY((scaled >> 64) == 0);
    return static_cast<Core::u64>(scaled);
}

Core::i64 FairEntity::virtual_lag_limit() const
{
    // At most 2 * 100 ms of requests, times 1024 / 15 at nice 19: about 2^34, far inside an
    // i64 and small enough that lag arithmetic cannot overflow.
    return static_cast<Core::i64>(virtual_duration(lag_limit_requests * m_request_slice_ns));
}

Core::i64 FairEntity::clamp_virtual_lag(Core::i64 virtual_lag) const
{
    const Core::i64 limit = virtual_lag_limit();
    if (virtual_lag > limit)
        return limit;
    if (virtual_lag < -limit)
        return -limit;
    return virtual_lag;
}

void FairQueue::enqueue(FairEntity& entity, Core::u64 now_ns)
{
    VERIFY(!entity.is_queued());

    // A clock read on another CPU may be slightly behind the one the entity left with;
    // treat that as no sleep at all rather than as a very long one.
    const bool slept_long = now_ns > entity.m_left_at_ns && now_ns - entity.m_left_at_ns >= lag_expiry_ns;
    Core::i64 virtual_lag = slept_long ? 0 : entity.clamp_virtual_lag(entity.m_saved_virtual_lag);

    const Core::u64 average = average_virtual_runtime();
    // Joining moves V by -w * lag / (W + w); inflating the lag by (W + w) / W beforehand
    // leaves the entity with exactly its saved lag once it is in. An empty queue has no V to
    // move: the newcomer defines it.
    if (m_total_weight != 0 && virtual_lag != 0)
        virtual_lag = floor_divide(i128(virtual_lag) * (m_total_weight + entity.m_weight), m_total_weight);

    entity.m_virtual_runtime = average - static_cast<Core::u64>(virtual_lag);
    entity.m_virtual_deadline = entity.m_virtual_runtime + entity.virtual_duration(entity.m_request_slice_ns);
    entity.m_saved_virtual_lag = 0;

    m_entities.push_back(entity);
    add_to_average(entity);
    VERIFY((m_total_weight >> 32) == 0);
}

void FairQueue::dequeue(FairEntity& entity, Core::u64 now_ns)
{
    VERIFY(m_entities.contains(entity));

    const Core::u64 average = average_virtual_runtime();
    entity.m_saved_virtual_lag
        = entity.clamp_virtual_lag(virtual_difference(average, entity.m_virtual_runtime));
    entity.m_left_at_ns = now_ns;

    remove_from_average(entity);
    m_entities.remove(entity);
    if (m_entities.is_empty()) {
        // Every entity's share has been taken out again, so the sum is back to exactly 0.
        VERIFY(m_weighted_key_sum == 0 && m_total_weight == 0);
        // Keep V where it was, so the next entity joins where this one left off.
        m_base_virtual_time = average;
    }
}

FairEntity* FairQueue::pick_next()
{
    if (m_entities.is_empty())
        return nullptr;

    FairEntity* earliest_deadline = nullptr;
    FairEntity* earliest_eligible_time = m_entities.first();
    Core::i64 smallest_key = key_of(m_entities.first()->m_virtual_runtime);
    for (FairEntity* entity = m_entities.first(); entity != nullptr;
         entity = decltype(m_entities)::next(*entity)) {
        const Core::i64 key = key_of(entity->m_virtual_runtime);
        if (key < smallest_key) {
            smallest_key = key;
            earliest_eligible_time = entity;
        }
        // v <= V, that is key <= sum / W, multiplied out so that it is exact.
        const bool eligible = i128(key) * m_total_weight <= m_weighted_key_sum;
        if (!eligible)
            continue;
        // Strictly earlier only, so the first queued wins among equal deadlines.
        if (earliest_deadline == nullptr
            || virtual_difference(entity->m_virtual_deadline, earliest_deadline->m_virtual_deadline) < 0)
            earliest_deadline = entity;
    }

    // Move the base up to the entity furthest behind, so that the keys (and the sum) stay
    // as small as the spread of the queue rather than growing with all the time ever run.
    m_base_virtual_time += static_cast<Core::u64>(smallest_key);
    m_weighted_key_sum -= i128(smallest_key) * m_total_weight;

    return earliest_deadline != nullptr ? earliest_deadline : earliest_eligible_time;
}

void FairQueue::charge(FairEntity& entity, Core::u64 ran_ns)
{
    VERIFY(m_entities.contains(entity));

    const Core::u64 advance = entity.virtual_duration(ran_ns);
    entity.m_virtual_runtime += advance;
    m_weighted_key_sum += i128(entity.m_weight) * advance;
    entity.m_total_runtime_ns += ran_ns;

    // The request is served: the next one starts where the entity stands now (not at the
    // old deadline), so time it overran the request is not given back as an earlier deadline.
    if (virtual_difference(entity.m_virtual_runtime, entity.m_virtual_deadline) >= 0)
        entity.m_virtual_deadline
            = entity.m_virtual_runtime + entity.virtual_duration(entity.m_request_slice_ns);
}

void FairQueue::yield(FairEntity& entity)
{
    VERIFY(m_entities.contains(entity));
    entity.m_virtual_deadline += entity.virtual_duration(entity.m_request_slice_ns);
}

void FairQueue::set_nice(FairEntity& entity, int nice)
{
    VERIFY(is_valid_nice(nice));
    VERIFY(!entity.is_queued() || m_entities.contains(entity));

    const Core::u32 old_weight = entity.m_weight;
    const Core::u32 new_weight = weight_for_nice(nice);

    if (!entity.is_queued()) {
        entity.m_saved_virtual_lag = rescale_virtual(entity.m_saved_virtual_lag, old_weight, new_weight);
    } else {
        const Core::u64 average = average_virtual_runtime();
        const Core::i64 lag = virtual_difference(average, entity.m_virtual_runtime);
        const Core::i64 deadline_distance = virtual_difference(entity.m_virtual_deadline, average);
        remove_from_average(entity);
        entity.m_virtual_runtime
            = average - static_cast<Core::u64>(rescale_virtual(lag, old_weight, new_weight));
        entity.m_virtual_deadline
            = average + static_cast<Core::u64>(rescale_virtual(deadline_distance, old_weight, new_weight));
    }

    entity.m_nice = nice;
    entity.m_weight = new_weight;
    entity.m_inverse_weight = inverse_weight_for_nice(nice);

    if (entity.is_queued()) {
        add_to_average(entity);
        VERIFY((m_total_weight >> 32) == 0);
    }
}

Core::u64 FairQueue::average_virtual_runtime() const
{
    if (m_total_weight == 0)
        return m_base_virtual_time;
    // Rounded down, so an entity placed at V with no lag is eligible.
    return m_base_virtual_time + static_cast<Core::u64>(floor_divide(m_weighted_key_sum, m_total_weight));
}

Core::i64 FairQueue::virtual_lag(const FairEntity& entity) const
{
    VERIFY(m_entities.contains(entity));
    return virtual_difference(average_virtual_runtime(), entity.m_virtual_runtime);
}

bool FairQueue::is_eligible(const FairEntity& entity) const
{
    VERIFY(m_entities.contains(entity));
    return i128(key_of(entity.m_virtual_runtime)) * m_total_weight <= m_weighted_key_sum;
}

Core::i64 FairQueue::key_of(Core::u64 virtual_time) const
{
    return virtual_difference(virtual_time, m_base_virtual_time);
}

void FairQueue::add_to_average(const FairEntity& entity)
{
    m_total_weight += entity.m_weight;
    m_weighted_key_sum += i128(entity.m_weight) * key_of(entity.m_virtual_runtime);
}

void FairQueue::remove_from_average(const FairEntity& entity)
{
    m_total_weight -= entity.m_weight;
    m_weighted_key_sum -= i128(entity.m_weight) * key_of(entity.m_virtual_runtime);
}

} // namespace Kernel::Scheduling
