#include <Userland/Services/DeviceManager/Watchdog.h>

namespace DeviceManager {

void Watchdog::started(uint64_t now)
{
    m_last_check_ns = now;
    m_outstanding = false;
}

bool Watchdog::check_due(uint64_t now) const
{
    return !m_outstanding && now - m_last_check_ns >= check_interval_ns;
}

void Watchdog::check_sent(uint64_t now, uint64_t sequence)
{
    m_last_check_ns = now;
    m_outstanding_sequence = sequence;
    m_outstanding = true;
}

void Watchdog::answered(uint64_t sequence)
{
    if (m_outstanding && sequence == m_outstanding_sequence)
        m_outstanding = false;
}

bool Watchdog::is_hung(uint64_t now) const
{
    return m_outstanding && now - m_last_check_ns >= hang_limit_ns;
}

uint64_t Watchdog::next_deadline() const
{
    return m_last_check_ns + (m_outstanding ? hang_limit_ns : check_interval_ns);
}

} // namespace DeviceManager
