// The PS/2 mouse's packets (Userland/Drivers/Ps2/MousePacket.h) and the mouse event's
// encoding (Userland/Services/Input/Protocol.h).

#include <Userland/Drivers/Ps2/MousePacket.h>
#include <Userland/Services/Input/Protocol.h>
#include <gtest/gtest.h>
#include <vector>

namespace {

// Feeds `bytes`, returning the motions completed.
std::vector<Mouse::Motion> feed(Mouse::PacketDecoder& decoder, std::vector<uint8_t> bytes)
{
    std::vector<Mouse::Motion> motions;
    for (uint8_t byte : bytes) {
        Mouse::Motion motion {};
        if (decoder.feed(byte, motion))
            motions.push_back(motion);
    }
    return motions;
}

} // namespace

TEST(MousePacket, ThreeBytePacketsWithSignsAndButtons)
{
    Mouse::PacketDecoder decoder(false);
    // Left held, 12 right, 7 up.
    auto motions = feed(decoder, { 0x09, 12, 7 });
    ASSERT_EQ(motions.size(), 1u);
    EXPECT_EQ(motions[0].dx, 12);
    EXPECT_EQ(motions[0].dy, 7);
    EXPECT_EQ(motions[0].buttons, Mouse::Left);
    EXPECT_EQ(motions[0].wheel, 0);
    // Negative: sign bits 4 (x) and 5 (y); right and middle held.
    motions = feed(decoder, { 0x08 | 0x10 | 0x20 | 0x06, 0xFE, 0x80 });
    ASSERT_EQ(motions.size(), 1u);
    EXPECT_EQ(motions[0].dx, -2);
    EXPECT_EQ(motions[0].dy, -128);
    EXPECT_EQ(motions[0].buttons, Mouse::Right | Mouse::Middle);
}

TEST(MousePacket, LostBytesResynchroniseAndOverflowsAreDiscarded)
{
    Mouse::PacketDecoder decoder(false);
    // A stray byte without bit 3 cannot start a packet; the next one can.
    auto motions = feed(decoder, { 0x00, 0x08, 1, 2 });
    ASSERT_EQ(motions.size(), 1u);
    EXPECT_EQ(motions[0].dx, 1);
    // An X overflow: the packet is dropped, the next is kept.
    motions = feed(decoder, { 0x48, 0xFF, 0xFF, 0x08, 3, 4 });
    ASSERT_EQ(motions.size(), 1u);
    EXPECT_EQ(motions[0].dx, 3);
    EXPECT_EQ(motions[0].dy, 4);
}

TEST(MousePacket, FourBytePacketsCarryTheWheel)
{
    Mouse::PacketDecoder decoder(true);
    auto motions = feed(decoder, { 0x08, 0, 0, 0x01, 0x08, 0, 0, 0x0F });
    ASSERT_EQ(motions.size(), 2u);
    EXPECT_EQ(motions[0].wheel, 1);
    EXPECT_EQ(motions[1].wheel, -1);
}

TEST(MousePacket, AnEventRoundTripsAndUnknownButtonsAreRefused)
{
    Input::MouseEvent event;
    event.dx = -300;
    event.dy = 5;
    event.wheel = -1;
    event.buttons = Input::Left | Input::Right;
    uint8_t bytes[64];
    auto encoded = Core::Ipc::encode(event, 0, Core::Bytes(bytes, sizeof(bytes)), {});
    ASSERT_FALSE(encoded.is_error());
    auto decoded
        = Core::Ipc::decode<Input::MouseEvent>(Core::ReadonlyBytes(bytes, encoded.value().byte_count), {});
    ASSERT_FALSE(decoded.is_error());
    EXPECT_EQ(decoded.value().message.dx, -300);
    EXPECT_EQ(decoded.value().message.wheel, -1);
    EXPECT_EQ(decoded.value().message.buttons, Input::Left | Input::Right);
    bytes[encoded.value().byte_count - 1] = 0x80; // a button bit nobody defined
    EXPECT_TRUE(
        Core::Ipc::decode<Input::MouseEvent>(Core::ReadonlyBytes(bytes, encoded.value().byte_count), {})
            .is_error());
}
