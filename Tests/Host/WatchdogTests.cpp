// When the device manager checks a driver and when it gives up on one
// (Userland/Services/DeviceManager/Watchdog.h), and the health messages' encoding.

#include <Userland/Services/DeviceManager/Protocol.h>
#include <Userland/Services/DeviceManager/Watchdog.h>
#include <gtest/gtest.h>

namespace {

constexpr uint64_t second = 1'000'000'000;

} // namespace

TEST(Watchdog, ChecksComeAnIntervalApartWhileAnswered)
{
    DeviceManager::Watchdog watchdog;
    watchdog.started(100 * second);
    EXPECT_FALSE(watchdog.check_due(101 * second));
    EXPECT_EQ(watchdog.next_deadline(), 102 * second);
    EXPECT_TRUE(watchdog.check_due(102 * second));
    watchdog.check_sent(102 * second, 7);
    // One check at a time.
    EXPECT_FALSE(watchdog.check_due(105 * second));
    watchdog.answered(7);
    EXPECT_FALSE(watchdog.is_hung(200 * second));
    EXPECT_EQ(watchdog.next_deadline(), 104 * second);
    EXPECT_TRUE(watchdog.check_due(104 * second));
}

TEST(Watchdog, ADriverThatDoesNotAnswerIsHungAfterTheLimit)
{
    DeviceManager::Watchdog watchdog;
    watchdog.started(0);
    watchdog.check_sent(2 * second, 1);
    EXPECT_EQ(watchdog.next_deadline(), 12 * second);
    // Longer than a driver waits for its device (5 s): a slow request is not a hang.
    EXPECT_FALSE(watchdog.is_hung(7 * second));
    EXPECT_FALSE(watchdog.is_hung(12 * second - 1));
    EXPECT_TRUE(watchdog.is_hung(12 * second));
    // An answer to an older check does not count.
    watchdog.answered(0);
    EXPECT_TRUE(watchdog.is_hung(12 * second));
    watchdog.answered(1);
    EXPECT_FALSE(watchdog.is_hung(12 * second));
}

TEST(Watchdog, HealthMessagesRoundTrip)
{
    uint8_t bytes[64];
    auto encoded
        = Core::Ipc::encode(DeviceManager::HealthCheck { 42 }, 0, Core::Bytes(bytes, sizeof(bytes)), {});
    ASSERT_FALSE(encoded.is_error());
    auto check = Core::Ipc::decode<DeviceManager::HealthCheck>(
        Core::ReadonlyBytes(bytes, encoded.value().byte_count), {});
    ASSERT_FALSE(check.is_error());
    EXPECT_EQ(check.value().message.sequence, 42u);
    // An answer is not a check.
    EXPECT_TRUE(Core::Ipc::decode<DeviceManager::HealthAnswer>(
        Core::ReadonlyBytes(bytes, encoded.value().byte_count), {})
                    .is_error());
}
