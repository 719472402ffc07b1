#include <Core/RateLimiter.h>
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

KERNEL_TEST(log, records_are_timestamped_in_order)
{
    Kernel::Log::info("log test: first record");
    Kernel::Log::info("log test: second record");
    EXPECT(history_contains("log test: first record\n"));
    EXPECT(history_contains("log test: second record\n"));
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
    // A burst of 3, refilled once per 10 s: far longer than this test runs.
    Core::RateLimiter limiter(3, 10'000'000'000ull);
    Core::u32 allowed = 0;
    for (Core::u32 attempt = 0; attempt < 10; ++attempt) {
        if (Kernel::Log::log_rate_limited(limiter, Kernel::Log::Level::Info, "log test: flood {}", attempt))
            ++allowed;
    }
    EXPECT_EQ(allowed, 3u);
    EXPECT(history_contains("log test: flood 2\n"));
    EXPECT(!history_contains("log test: flood 3\n"));
}
