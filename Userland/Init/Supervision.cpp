#include <Userland/Init/Supervision.h>

namespace Init {

Decision decide_after_exit(
    CrashHistory& history, RestartPolicy policy, int64_t status, uint64_t started_ns, uint64_t now_ns)
{
    bool crashed = status != 0;
    if (now_ns - started_ns >= recovered_after_ns)
        history.backoff_ns = first_backoff_ns;
    if (!crashed)
        return { policy == RestartPolicy::Always ? Verdict::Restart : Verdict::Stay, 0 };
    if (policy == RestartPolicy::Never)
        return { Verdict::Stay, 0 };
    // Remember this crash, keeping the latest quarantine_crashes.
    if (history.crash_count == quarantine_crashes) {
        for (uint32_t index = 1; index < quarantine_crashes; ++index)
            history.crash_times[index - 1] = history.crash_times[index];
        --history.crash_count;
    }
    history.crash_times[history.crash_count++] = now_ns;
    if (history.crash_count == quarantine_crashes && now_ns - history.crash_times[0] <= quarantine_window_ns)
        return { Verdict::Quarantine, 0 };
    uint64_t delay = history.backoff_ns;
    history.backoff_ns = delay * 2 < longest_backoff_ns ? delay * 2 : longest_backoff_ns;
    return { Verdict::Restart, delay };
}

} // namespace Init
