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

// Writes one finished message as a record (adds timestamp, level and newline).
void write_record(Level level, Core::StringView message);

// Copies the kept history, oldest first, skipping `skip` bytes. Returns bytes copied.
Core::usize read_history(Core::usize skip, char* destination, Core::usize capacity);

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

// Logs through `limiter`; when messages were refused before this one, a line saying how
// many comes first. Returns whether the message was let through.
template<typename... Arguments>
bool log_rate_limited(
    Core::RateLimiter& limiter, Level level, Core::StringView format_string, const Arguments&... arguments);

} // namespace Kernel::Log

#include <Kernel/Time/Clock.h>

namespace Kernel::Log {

template<typename... Arguments>
bool log_rate_limited(
    Core::RateLimiter& limiter, Level level, Core::StringView format_string, const Arguments&... arguments)
{
    if (!is_enabled(level))
        return false;
    auto decision = limiter.consider(Time::monotonic_nanoseconds());
    if (!decision.allowed)
        return false;
    if (decision.suppressed_before > 0)
        log(level, "({} similar messages suppressed)", decision.suppressed_before);
    log(level, format_string, arguments...);
    return true;
}

} // namespace Kernel::Log

// A per-call-site limit: at most `burst` messages, refilled one per `interval_ms`.
#define LOG_RATELIMITED(level, burst, interval_ms, ...)                                                      \
    do {                                                                                                     \
        static ::Core::RateLimiter call_site_limiter((burst), (interval_ms)*1000000ull);                     \
        (void)::Kernel::Log::log_rate_limited(call_site_limiter, (level), __VA_ARGS__);                      \
    } while (0)
