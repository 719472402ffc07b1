#pragma once

// init's supervision policy (rules sections 52, 71 and 75; docs/init.md): what to do when a
// service's process ends. Pure, so that host tests pin it down.
//
// - A crash is an exit with a status other than 0 (a fault, a kill, a failure it reported).
// - A service that crashes is restarted after a delay that starts at 100 ms and doubles
//   with each crash, up to 5 s. One that then runs for 10 s is considered recovered: the
//   next crash starts the delay again at 100 ms.
// - A service that crashes 5 times within 30 s is quarantined: not restarted until someone
//   asks (service start NAME), which clears its history.

#include <Userland/Init/Manifest.h>
#include <stdint.h>

namespace Init {

inline constexpr uint64_t first_backoff_ns = 100'000'000;
inline constexpr uint64_t longest_backoff_ns = 5'000'000'000;
inline constexpr uint64_t recovered_after_ns = 10'000'000'000;
inline constexpr uint32_t quarantine_crashes = 5;
inline constexpr uint64_t quarantine_window_ns = 30'000'000'000;

struct CrashHistory {
    uint64_t crash_times[quarantine_crashes] {}; // the latest crashes, oldest first
    uint32_t crash_count { 0 }; // of crash_times in use
    uint64_t backoff_ns { first_backoff_ns };
};

enum class Verdict : uint8_t {
    Restart, // after restart_delay_ns
    Stay, // ended as its policy wants: not restarted
    Quarantine,
};

struct Decision {
    Verdict verdict;
    uint64_t restart_delay_ns;
};

// The decision for a service that ended with `status` at `now_ns`, having started at
// `started_ns`; updates its history.
Decision decide_after_exit(
    CrashHistory& history, RestartPolicy policy, int64_t status, uint64_t started_ns, uint64_t now_ns);

} // namespace Init
