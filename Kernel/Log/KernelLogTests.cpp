#include <Core/RateLimiter.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Test/KernelTest.h>

namespace {

// Searches the kept log history for `needle`, reading it in chunks (a match may span two
// chunks, so each chunk overlaps the previous one by the needle's length).
bool history_contains(Core::StringView needle)
{
    char chunk[1024];
    Core::usize skip = 0;
    for (;;) {
        Core::usize copied = Kernel::Log::read_history(skip, chunk, sizeof(chunk));
        if (copied < needle.length())
            return false;
        if (Core::StringView(chunk, copied).find(needle).has_value())
            return true;
        skip += copied - needle.length() + 1;
    }
}

} // namespace

KERNEL_TEST(log, history_keeps_the_boot_banner)
{
    EXPECT(history_contains("RaeenOS "));
    EXPECT(history_contains("] info  boot: loader"));
}

// Reads the "[ seconds.micros]" timestamp of the last history line containing `needle`.
Core::Optional<Core::u64> timestamp_of(Core::StringView needle)
{
    static char history[64 * 1024];
    Core::usize length = Kernel::Log::read_history(0, history, sizeof(history));
    Core::StringView text(history, length);
    Core::Optional<Core::u64> found;
    Core::usize line_start = 0;
    while (line_start < text.length()) {
        auto newline = text.find('\n', line_start);
        Core::usize line_end = newline.has_value() ? newline.value() : text.length();
        Core::StringView line = text.substring(line_start, line_end - line_start);
        auto dot = line.find('.');
        auto bracket = line.find(']');
        if (line.find(needle).has_value() && line.starts_with("[") && dot.has_value()
            && bracket.has_value()) {
            Core::StringView seconds = line.substring(1, dot.value() - 1);
            while (seconds.starts_with(" "))
                seconds = seconds.substring(1);
            auto whole = seconds.to_unsigned();
            auto micros = line.substring(dot.value() + 1, bracket.value() - dot.value() - 1).to_unsigned();
            if (whole.has_value() && micros.has_value())
                found = whole.value() * 1000000 + micros.value();
        }
        line_start = line_end + 1;
    }
    return found;
}

KERNEL_TEST(log, records_are_timestamped_in_order)
{
    Kernel::Log::info("log test: first record");
    // Let measurable time pass between the two records.
    Core::u64 start = Kernel::Time::monotonic_nanoseconds();
    while (Kernel::Time::monotonic_nanoseconds() - start < 2'000'000)
        Kernel::Arch::pause();
    Kernel::Log::info("log test: second record");
    auto first = timestamp_of("log test: first record");
    auto second = timestamp_of("log test: second record");
    EXPECT(first.has_value() && second.has_value());
    if (first.has_value() && second.has_value()) {
        EXPECT(second.value() >= first.value() + 2000);
        EXPECT(first.value() > 0);
    }
}

KERNEL_TEST(log, levels_above_the_current_one_are_dropped)
{
    Kernel::Log::Level saved = Kernel::Log::current_level();
    Kernel::Log::set_level(Kernel::Log::Level::Warning);
    Kernel::Log::info("log test: this info line must not appear");
    Kernel::Log::warning("log test: this warning must appear");
    Kernel::Log::set_level(saved);
    EXPECT(!history_contains("this info line must not appear"));
    EXPECT(history_contains("log test: this warning must appear"));
}

KERNEL_TEST(log, rate_limited_call_sites_report_suppressed_messages)
{
    // A burst of 3, then one more message per 100 ms (a logged line can take several
    // milliseconds to draw on the framebuffer under emulation).
    Core::RateLimiter limiter(3, 100'000'000ull);
    Core::u32 allowed = 0;
    for (Core::u32 attempt = 0; attempt < 10; ++attempt) {
        if (Kernel::Log::log_rate_limited(limiter, Kernel::Log::Level::Info, "log test: flood {}", attempt))
            ++allowed;
    }
    // The ten attempts take far less than 100 ms, so only the burst got through.
    EXPECT_EQ(allowed, 3u);
    EXPECT(history_contains("log test: flood 2\n"));
    EXPECT(!history_contains("log test: flood 3\n"));
    // Once the bucket refills, the next message comes with a count of those refused.
    Core::u64 start = Kernel::Time::monotonic_nanoseconds();
    while (Kernel::Time::monotonic_nanoseconds() - start < 110'000'000)
        Kernel::Arch::pause();
    EXPECT(Kernel::Log::log_rate_limited(limiter, Kernel::Log::Level::Info, "log test: after the flood"));
    EXPECT(history_contains("(7 similar messages suppressed)\n"));
    EXPECT(history_contains("log test: after the flood\n"));
}
