#include <Core/RingBuffer.h>
#include <Core/StaticVector.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Time/Clock.h>

namespace Kernel::Log {

namespace {

constexpr Core::usize max_consoles = 4;
constexpr Core::usize history_bytes = 64 * 1024;

struct LogState {
    Core::StaticVector<Console::ConsoleDevice*, max_consoles> consoles;
    // Consoles handed to user space (remove_console): no records, but a panic still shows
    // there, since nothing in user space will show it any more.
    Core::StaticVector<Console::ConsoleDevice*, max_consoles> panic_only;
    Core::OverwritingByteRing<history_bytes> history;
};

// Lock order: the log lock is a leaf (docs/lock-order.md). Nothing is acquired under it.
Locking::SpinlockProtected<LogState> s_state("log", Locking::LockRank::Leaf);
// Stored as its underlying integer so that it can be read and written atomically.
Core::u8 s_level = static_cast<Core::u8>(Level::Info);

Console::Color color_for(Level level)
{
    switch (level) {
    case Level::Error:
        return Console::Color::BrightRed;
    case Level::Warning:
        return Console::Color::BrightYellow;
    case Level::Info:
        return Console::Color::White;
    case Level::Debug:
        return Console::Color::Gray;
    }
    return Console::Color::White;
}

} // namespace

void set_level(Level level)
{
    __atomic_store_n(&s_level, static_cast<Core::u8>(level), __ATOMIC_RELAXED);
}

Level current_level()
{
    return static_cast<Level>(__atomic_load_n(&s_level, __ATOMIC_RELAXED));
}

bool add_console(Console::ConsoleDevice& console)
{
    return s_state.with([&](LogState& state) {
        if (state.consoles.try_append(&console).is_error())
            return false;
        // A console attached late (the framebuffer, after the boot information is read)
        // first shows what was logged before it existed.
        char chunk[256];
        Core::usize skip = 0;
        while (Core::usize copied = state.history.read(skip, chunk, sizeof(chunk))) {
            console.write(Core::StringView(chunk, copied), Console::Color::White);
            skip += copied;
        }
        return true;
    });
}

bool remove_console(Console::ConsoleDevice& console)
{
    return s_state.with([&](LogState& state) {
        for (Core::usize index = 0; index < state.consoles.size(); ++index) {
            if (state.consoles[index] == &console) {
                state.consoles.remove(index);
                (void)state.panic_only.try_append(&console);
                return true;
            }
        }
        return false;
    });
}

void write_record(Level level, Core::StringView message)
{
    Core::u64 now = Time::monotonic_nanoseconds();
    Core::FixedStringBuilder<560> line;
    line.appendf("[{:>6}.{:06}] {:<5} {}\n", now / 1000000000ull, (now / 1000ull) % 1000000ull,
        level_name(level), message);
    s_state.with([&](LogState& state) {
        state.history.write(line.string_view().characters(), line.length());
        for (auto* console : state.consoles)
            console->write(line.string_view(), color_for(level));
    });
}

Core::usize read_history(Core::usize skip, char* destination, Core::usize capacity)
{
    return s_state.with([&](LogState& state) { return state.history.read(skip, destination, capacity); });
}

void write_outside_records(void (*write)(void* context), void* context)
{
    s_state.with([&](LogState&) { write(context); });
}

void write_to_consoles_for_panic(Core::StringView text, Console::Color color)
{
    for (auto* console : s_state.unsafe_unlocked_for_panic().consoles)
        console->write(text, color);
    for (auto* console : s_state.unsafe_unlocked_for_panic().panic_only)
        console->write(text, color);
}

} // namespace Kernel::Log
