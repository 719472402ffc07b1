#pragma once

// When the device manager checks that a driver is alive, and when it gives up on one
// (docs/devices.md#restarts). Every check_interval_ns a running driver is sent a health
// check on a channel of its own, which its serving loop answers at once; a driver that has
// not answered hang_limit_ns after a check is hung (looping or blocked in its own code) and
// is killed, which the restart path then handles like a crash. The limit is longer than
// any wait a driver makes for its device (5 s, after which the driver exits by itself), so
// a driver busy with a slow request is not taken for hung. Pure, so that host tests cover
// it.

#include <stdint.h>

namespace DeviceManager {

class Watchdog {
public:
    static constexpr uint64_t check_interval_ns = 2'000'000'000;
    static constexpr uint64_t hang_limit_ns = 10'000'000'000;

    // A driver started at `now`: the first check is due an interval later.
    void started(uint64_t now);
    // Whether a check is due (none is outstanding and the interval has passed).
    bool check_due(uint64_t now) const;
    // A check with `sequence` was sent at `now`.
    void check_sent(uint64_t now, uint64_t sequence);
    // An answer arrived; only the outstanding check's sequence counts.
    void answered(uint64_t sequence);
    // Whether the outstanding check has waited past the limit.
    bool is_hung(uint64_t now) const;
    // When the device manager must look again: the next check, or the limit of the
    // outstanding one.
    uint64_t next_deadline() const;

private:
    uint64_t m_last_check_ns { 0 };
    uint64_t m_outstanding_sequence { 0 };
    bool m_outstanding { false };
};

} // namespace DeviceManager
