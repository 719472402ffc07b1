#pragma once

#include <Core/Types.h>

namespace Core {

// A token bucket: allows bursts of up to `burst` events, refilled at one event per
// `refill_interval_ns`. Time is passed in by the caller (monotonic nanoseconds), which
// keeps the policy pure and testable. Events refused are counted so that the caller can
// report how many were suppressed once events are allowed again.
class RateLimiter {
public:
    constexpr RateLimiter(u32 burst, u64 refill_interval_ns)
        : m_burst(burst)
        , m_tokens(burst)
        , m_refill_interval_ns(refill_interval_ns)
    {
    }

    struct Decision {
        bool allowed;
        // When allowed: how many events were refused since the last allowed one.
        u64 suppressed_before;
    };

    Decision consider(u64 now_ns)
    {
        refill(now_ns);
        if (m_tokens == 0) {
            ++m_suppressed;
            return { false, 0 };
        }
        --m_tokens;
        u64 suppressed = m_suppressed;
        m_suppressed = 0;
        return { true, suppressed };
    }

private:
    void refill(u64 now_ns)
    {
        if (!m_started) {
            m_started = true;
            m_last_refill_ns = now_ns;
            return;
        }
        if (now_ns <= m_last_refill_ns || m_refill_interval_ns == 0)
            return;
        u64 elapsed_intervals = (now_ns - m_last_refill_ns) / m_refill_interval_ns;
        if (elapsed_intervals == 0)
            return;
        // Compared before adding, so a huge gap cannot wrap the sum.
        if (elapsed_intervals >= m_burst - m_tokens)
            m_tokens = m_burst;
        else
            m_tokens += static_cast<u32>(elapsed_intervals);
        m_last_refill_ns += elapsed_intervals * m_refill_interval_ns;
    }

    u32 m_burst;
    u32 m_tokens;
    u64 m_refill_interval_ns;
    u64 m_last_refill_ns { 0 };
    u64 m_suppressed { 0 };
    bool m_started { false };
};

} // namespace Core
