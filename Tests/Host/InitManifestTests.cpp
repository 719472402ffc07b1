// init's manifest (Userland/Init/Manifest.h) and supervision policy (Supervision.h).

#include <Userland/Init/Manifest.h>
#include <Userland/Init/Supervision.h>
#include <cstring>
#include <gtest/gtest.h>
#include <string>

namespace {

Init::Manifest parse(const std::string& text)
{
    Init::Manifest manifest {};
    Init::parse_manifest(text.data(), text.size(), manifest);
    return manifest;
}

constexpr uint64_t millisecond = 1'000'000;
constexpr uint64_t second = 1'000'000'000;

} // namespace

TEST(InitManifest, ReadsServicesResourcesAndOptions)
{
    auto manifest = parse(
        "# comment\n\n"
        "service console /bin/console serial-console console-session\n"
        "  service shell /bin/sh terminal ramdisk system-control service-control restart=always # the shell\n"
        "service crasher /bin/crasher manual restart=never\r\n");
    EXPECT_EQ(manifest.problem_count, 0u);
    ASSERT_EQ(manifest.service_count, 3u);
    EXPECT_STREQ(manifest.services[0].name, "console");
    EXPECT_STREQ(manifest.services[0].program, "/bin/console");
    EXPECT_EQ(manifest.services[0].resources,
        static_cast<uint32_t>(Init::Resource::SerialConsole)
            | static_cast<uint32_t>(Init::Resource::ConsoleSession));
    EXPECT_EQ(manifest.services[0].restart, Init::RestartPolicy::OnFailure);
    EXPECT_FALSE(manifest.services[0].manual);
    EXPECT_EQ(manifest.services[1].restart, Init::RestartPolicy::Always);
    EXPECT_EQ(manifest.services[1].resources, 0x3Cu);
    EXPECT_TRUE(manifest.services[2].manual);
    EXPECT_EQ(manifest.services[2].restart, Init::RestartPolicy::Never);
    EXPECT_EQ(manifest.services[2].resources, 0u);
}

TEST(InitManifest, BadLinesAreReportedWithTheirNumbersAndSkipped)
{
    auto manifest = parse("service good /bin/good\n"
                          "program /bin/x\n"
                          "service onlyname\n"
                          "service bad! /bin/x\n"
                          "service relative bin/x\n"
                          "service good /bin/again\n"
                          "service res /bin/x network\n"
                          "service pol /bin/x restart=sometimes\n"
                          "service last /bin/last\n");
    ASSERT_EQ(manifest.service_count, 2u);
    EXPECT_STREQ(manifest.services[1].name, "last");
    ASSERT_EQ(manifest.problem_count, 7u);
    for (size_t index = 0; index < manifest.problem_count; ++index)
        EXPECT_EQ(manifest.problems[index].line, index + 2);
    EXPECT_STREQ(manifest.problems[4].reason, "a service of that name is already listed");
}

TEST(InitManifest, LimitsAreKept)
{
    std::string text;
    for (int index = 0; index < 20; ++index)
        text += "service s" + std::to_string(index) + " /bin/x\n";
    auto manifest = parse(text);
    EXPECT_EQ(manifest.service_count, Init::maximum_services);
    EXPECT_EQ(manifest.problem_count, 4u);
    auto long_name = parse("service " + std::string(32, 'n') + " /bin/x\n");
    EXPECT_EQ(long_name.service_count, 0u);
    // At most 16 words on a line.
    std::string words = "service w /bin/x";
    for (int index = 0; index < 20; ++index)
        words += " ramdisk";
    EXPECT_EQ(parse(words).service_count, 0u);
}

TEST(InitManifest, TextWithoutATerminatorIsReadToItsLengthOnly)
{
    const char text[] = "service a /bin/a\nservice b /bin/b";
    Init::Manifest manifest {};
    Init::parse_manifest(text, std::strlen("service a /bin/a\nservice b /bin"), manifest);
    ASSERT_EQ(manifest.service_count, 2u);
    EXPECT_STREQ(manifest.services[1].program, "/bin");
}

TEST(InitSupervision, CrashesBackOffThenQuarantine)
{
    Init::CrashHistory history;
    uint64_t now = 10 * second;
    uint64_t expected_delay = 100 * millisecond;
    for (int crash = 1; crash <= 4; ++crash) {
        auto decision
            = Init::decide_after_exit(history, Init::RestartPolicy::OnFailure, -1014, now - millisecond, now);
        EXPECT_EQ(decision.verdict, Init::Verdict::Restart) << crash;
        EXPECT_EQ(decision.restart_delay_ns, expected_delay) << crash;
        expected_delay *= 2;
        now += second;
    }
    auto fifth = Init::decide_after_exit(history, Init::RestartPolicy::OnFailure, 1, now - millisecond, now);
    EXPECT_EQ(fifth.verdict, Init::Verdict::Quarantine);
}

TEST(InitSupervision, TheBackoffStopsGrowingAtItsLongest)
{
    Init::CrashHistory history;
    uint64_t now = 0;
    uint64_t delay = 0;
    for (int crash = 0; crash < 12; ++crash) {
        now += 40 * second; // never five within the window
        auto decision
            = Init::decide_after_exit(history, Init::RestartPolicy::Always, 3, now - millisecond, now);
        ASSERT_EQ(decision.verdict, Init::Verdict::Restart);
        delay = decision.restart_delay_ns;
    }
    EXPECT_EQ(delay, Init::longest_backoff_ns);
}

TEST(InitSupervision, CrashesSpreadBeyondTheWindowDoNotQuarantine)
{
    Init::CrashHistory history;
    uint64_t now = 0;
    for (int crash = 0; crash < 10; ++crash) {
        now += 8 * second;
        auto decision
            = Init::decide_after_exit(history, Init::RestartPolicy::OnFailure, -2000, now - millisecond, now);
        EXPECT_EQ(decision.verdict, Init::Verdict::Restart) << crash;
    }
}

TEST(InitSupervision, ARecoveredServiceStartsItsBackoffAgain)
{
    Init::CrashHistory history;
    (void)Init::decide_after_exit(history, Init::RestartPolicy::OnFailure, 1, 0, millisecond);
    (void)Init::decide_after_exit(
        history, Init::RestartPolicy::OnFailure, 1, 2 * millisecond, 3 * millisecond);
    // Ran for 10 s: recovered.
    auto decision = Init::decide_after_exit(history, Init::RestartPolicy::OnFailure, 1, second, 11 * second);
    EXPECT_EQ(decision.restart_delay_ns, Init::first_backoff_ns);
}

TEST(InitSupervision, PoliciesDecideCleanExits)
{
    Init::CrashHistory history;
    EXPECT_EQ(Init::decide_after_exit(history, Init::RestartPolicy::OnFailure, 0, 0, second).verdict,
        Init::Verdict::Stay);
    EXPECT_EQ(Init::decide_after_exit(history, Init::RestartPolicy::Always, 0, 0, second).verdict,
        Init::Verdict::Restart);
    EXPECT_EQ(Init::decide_after_exit(history, Init::RestartPolicy::Never, 0, 0, second).verdict,
        Init::Verdict::Stay);
    EXPECT_EQ(Init::decide_after_exit(history, Init::RestartPolicy::Never, 5, 0, second).verdict,
        Init::Verdict::Stay);
    // A clean exit is no crash: it leaves the history alone.
    EXPECT_EQ(history.crash_count, 0u);
}
