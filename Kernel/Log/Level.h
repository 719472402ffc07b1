#pragma once

#include <Core/Optional.h>
#include <Core/StringView.h>
#include <Core/Types.h>

namespace Kernel::Log {

// Severity of a log record; a record is shown when its level is at or below the
// current level (so "info" shows errors, warnings and info, but not debug).
enum class Level : Core::u8 {
    Error,
    Warning,
    Info,
    Debug,
};

constexpr Core::StringView level_name(Level level)
{
    switch (level) {
    case Level::Error:
        return "error";
    case Level::Warning:
        return "warn";
    case Level::Info:
        return "info";
    case Level::Debug:
        return "debug";
    }
    return "?";
}

inline Core::Optional<Level> parse_level(Core::StringView name)
{
    constexpr Level all_levels[] = { Level::Error, Level::Warning, Level::Info, Level::Debug };
    for (Level level : all_levels) {
        if (name == level_name(level))
            return level;
    }
    if (name == "warning")
        return Level::Warning;
    return {};
}

} // namespace Kernel::Log
