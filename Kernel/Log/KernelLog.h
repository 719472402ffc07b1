#pragma once

// The kernel log: leveled, timestamped records written to every registered console and
// kept in an in-memory ring for later readers. Each record is one line:
//
//   [     1.234567] info  boot: memory map has 7 entries
//
// Messages above the current level are dropped before they are formatted. Call sites
// that can fire repeatedly use LOG_RATELIMITED so that a flood costs a summary line.

#include <Core/Format.h>
#include <Core/RateLimiter.h>
#include <Core/StringView.h>
#include <Kernel/Console/ConsoleDevice.h>
#include <Kernel/Log/Level.h>

namespace Kernel::Log {

void set_level(Level level);
[[nodiscard]] Level current_level();
[[nodiscard]] inline bool is_enabled(Level level)
{
    return static_cast<Core::u8>(level) <= static_cast<Core::u8>(current_level());
}

// Registers a console and replays the kept history to it. Returns false when the fixed
// console table is full.
bool add_console(Console::ConsoleDevice& console);
// Stops sending records to `console` (the framebuffer, once user space's console service
// takes the screen); a panic is still written there. Returns whether it was registered.
bool remove_console(Console::ConsoleDevice& console);

// Writes one finished message as a record (adds timestamp, level and newline).
void write_record(Level level, Core::StringView message);

// Copies the kept history, oldest first, skipping `skip` bytes. Returns bytes copied.
Core::usize read_history(Core::usize skip, char* destination, Core::usize capacity);

// Runs `write(context)` under the log's lock, so that what it sends to a console (the
// serial console's user output, Console/SerialConsole.h) never lands inside a record.
// `write` must not log or take any lock.
void write_outside_records(void (*write)(void* context), void* context);
// Sends text to every console, bypassing the lock and the ring. Only for the panic path,
// which must print even when the CPU that panicked holds the log lock.
void write_to_consoles_for_panic(Core::StringView text, Console::Color color);

template<typename... Arguments>
void log(Level level, Core::StringView format_string, const Arguments&... arguments)
{
    if (!is_enabled(level))
        return;
    Core::FixedStringBuilder<480> message;
    Core::format_to(message, format_string, arguments...);
    if (message.was_truncated())
        message.write(" [truncated]");
    write_record(level, message.string_view());
}

template<typename... Arguments> void error(Core::StringView format_string, const Arguments&... arguments)
{
    log(Level::Error, format_string, arguments...);
}
template<typename... Arguments> void warning(Core::StringView format_string, const Arguments&... arguments)
{
    log(Level::Warning, format_string, arguments...);
}
template<typename... Arguments> void info(Core::StringView format_string, const Arguments&... arguments)
{
    log(Level::Info, format_string, arguments...);
}
template<typename... Arguments> void debug(Core::StringView format_string, const Arguments&... arguments)
{
    log(Level::Debug, format_string, arguments...);
}

// Logs through `limiter` (which the caller owns and serialises); when messages were
// refused before this one, a line saying how many comes first. Returns whether the
// message was let through.
template<typename... Arguments>
bool log_rate_limited(
    Core::RateLimiter& limiter, Level level, Core::StringView format_string, const Arguments&... arguments);

// Logs, or not, as a limiter already decided.
template<typename... Arguments>
bool log_after_rate_limit(Core::RateLimiter::Decision decision, Level level, Core::StringView format_string,
    const Arguments&... arguments)
{
    if (!decision.allowed)
        return false;
    if (decision.suppressed_before > 0)
        log(level, "({} similar messages suppressed)", decision.suppressed_before);
    log(level, format_string, arguments...);
    return true;
}

} // namespace Kernel::Log

#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Log {

template<typename... Arguments>
bool log_rate_limited(
    Core::RateLimiter& limiter, Level level, Core::StringView format_string, const Arguments&... arguments)
{
    if (!is_enabled(level))
        return false;
    return log_after_rate_limit(
        limiter.consider(Time::monotonic_nanoseconds()), level, format_string, arguments...);
}

} // namespace Kernel::Log

// A per-call-site limit: at most `burst` messages, refilled one per `interval_ms`. Every
// CPU that reaches the call site shares its limiter, so the limiter has its own lock (a
// leaf: released before the message is logged).
#define LOG_RATELIMITED(level, burst, interval_ms, ...)                                                      \
    do {                                                                                                     \
        static ::Kernel::Locking::SpinlockProtected<::Core::RateLimiter> call_site_limiter(                  \
            "log call site", ::Kernel::Locking::LockRank::Leaf, (burst), (interval_ms)*1000000ull);          \
        if (::Kernel::Log::is_enabled(level)) {                                                              \
            auto decision = call_site_limiter.with([](::Core::RateLimiter& limiter) {                        \
                return limiter.consider(::Kernel::Time::monotonic_nanoseconds());                            \
            });                                                                                              \
            (void)::Kernel::Log::log_after_rate_limit(decision, (level), __VA_ARGS__);                       \
        }                                                                                                    \
    } while (0)
