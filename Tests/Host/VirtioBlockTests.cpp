// virtio's PCI layout, split-queue arithmetic and virtio-blk's configuration
// (Userland/Drivers/VirtioBlock/VirtioPci.h), the block protocol
// (Userland/Services/Block/Protocol.h), and the device manager's driver matching.

#include <Userland/Drivers/VirtioBlock/VirtioPci.h>
#include <Userland/Services/Block/Protocol.h>
#include <Userland/Services/DeviceManager/PciFunction.h>
#include <Userland/Services/DeviceManager/Protocol.h>
#include <cstring>
#include <gtest/gtest.h>
#include <vector>

namespace {

// A function's 256 bytes with a capability list: the status register's list bit and the
// list's head at 0x34.
struct Space {
    uint8_t bytes[256] {};
    uint8_t last { 0 };

    Space()
    {
        bytes[0] = 0xF4;
        bytes[1] = 0x1A;
        bytes[2] = 0x42;
        bytes[3] = 0x10;
        bytes[0x06] = 1u << 4;
    }
    // Appends a vendor capability of `length` bytes at `offset`.
    void add_virtio(uint8_t offset, uint8_t type, uint8_t bar, uint32_t structure_offset,
        uint32_t structure_length, uint8_t length = 16, uint32_t multiplier = 0)
    {
        if (last == 0)
            bytes[0x34] = offset;
        else
            bytes[last + 1] = offset;
        last = offset;
        bytes[offset] = 0x09;
        bytes[offset + 1] = 0;
        bytes[offset + 2] = length;
        bytes[offset + 3] = type;
        bytes[offset + 4] = bar;
        std::memcpy(bytes + offset + 8, &structure_offset, 4);
        std::memcpy(bytes + offset + 12, &structure_length, 4);
        if (length >= 20)
            std::memcpy(bytes + offset + 16, &multiplier, 4);
    }
};

// What QEMU's virtio-blk-pci offers: four structures in window 4, 4 KiB apart.
Space qemu_like()
{
    Space space;
    space.add_virtio(0x84, 1, 4, 0x0000, 0x1000);
    space.add_virtio(0x70, 3, 4, 0x1000, 0x1000);
    space.add_virtio(0x60, 4, 4, 0x2000, 0x1000);
    space.add_virtio(0x40, 2, 4, 0x3000, 0x1000, 20, 4);
    return space;
}

} // namespace

TEST(VirtioPci, FindsTheStructuresAndTheNotifyMultiplier)
{
    Space space = qemu_like();
    Virtio::Layout layout;
    ASSERT_TRUE(Virtio::parse_layout(space.bytes, sizeof(space.bytes), layout));
    EXPECT_EQ(layout.common.bar, 4);
    EXPECT_EQ(layout.common.offset, 0u);
    EXPECT_EQ(layout.isr.offset, 0x1000u);
    EXPECT_EQ(layout.device.offset, 0x2000u);
    EXPECT_EQ(layout.notify.offset, 0x3000u);
    EXPECT_EQ(layout.notify_multiplier, 4u);
}

TEST(VirtioPci, RefusesMissingShortOrMisplacedStructures)
{
    Virtio::Layout layout;
    // No device structure.
    Space missing;
    missing.add_virtio(0x40, 1, 4, 0, 0x1000);
    missing.add_virtio(0x50, 2, 4, 0x3000, 0x1000, 20, 4);
    EXPECT_FALSE(Virtio::parse_layout(missing.bytes, sizeof(missing.bytes), layout));
    // A common structure too short for the queue registers.
    Space short_common;
    short_common.add_virtio(0x40, 1, 4, 0, 40);
    short_common.add_virtio(0x50, 2, 4, 0x3000, 0x1000, 20, 4);
    short_common.add_virtio(0x60, 4, 4, 0x2000, 0x1000);
    EXPECT_FALSE(Virtio::parse_layout(short_common.bytes, sizeof(short_common.bytes), layout));
    // A notify capability too short to hold its multiplier is not one.
    Space short_notify;
    short_notify.add_virtio(0x40, 1, 4, 0, 0x1000);
    short_notify.add_virtio(0x50, 2, 4, 0x3000, 0x1000, 16);
    short_notify.add_virtio(0x60, 4, 4, 0x2000, 0x1000);
    EXPECT_FALSE(Virtio::parse_layout(short_notify.bytes, sizeof(short_notify.bytes), layout));
    // A window register that does not exist.
    Space bad_window;
    bad_window.add_virtio(0x40, 1, 7, 0, 0x1000);
    bad_window.add_virtio(0x50, 2, 4, 0x3000, 0x1000, 20, 4);
    bad_window.add_virtio(0x60, 4, 4, 0x2000, 0x1000);
    EXPECT_FALSE(Virtio::parse_layout(bad_window.bytes, sizeof(bad_window.bytes), layout));
    // Fewer than 256 bytes, or no list.
    Space good = qemu_like();
    EXPECT_FALSE(Virtio::parse_layout(good.bytes, 255, layout));
    good.bytes[0x06] = 0;
    EXPECT_FALSE(Virtio::parse_layout(good.bytes, sizeof(good.bytes), layout));
}

TEST(VirtioPci, ALoopingListEnds)
{
    Space space = qemu_like();
    space.bytes[0x40 + 1] = 0x84; // the last capability points back at the first
    Virtio::Layout layout;
    EXPECT_TRUE(Virtio::parse_layout(space.bytes, sizeof(space.bytes), layout));
}

TEST(VirtioPci, StructureAccessesStayInsideStructureAndWindow)
{
    Virtio::Structure notify { true, 4, 0x3000, 0x1000 };
    EXPECT_TRUE(Virtio::structure_fits(notify, 0x4000, 0, 2));
    EXPECT_TRUE(Virtio::structure_fits(notify, 0x4000, 0xFFE, 2));
    EXPECT_FALSE(Virtio::structure_fits(notify, 0x4000, 0xFFF, 2));
    // A structure the device places past its window's end.
    EXPECT_FALSE(Virtio::structure_fits(notify, 0x3800, 0x900, 2));
    // Offsets that would wrap.
    EXPECT_FALSE(Virtio::structure_fits(notify, 0x4000, ~0ull, 2));
    Virtio::Structure absent {};
    EXPECT_FALSE(Virtio::structure_fits(absent, 0x4000, 0, 1));
}

TEST(VirtioPci, SplitQueueLayout)
{
    Virtio::RingLayout layout = Virtio::ring_layout(64);
    EXPECT_EQ(layout.descriptors, 0u);
    EXPECT_EQ(layout.available, 1024u);
    // 1024 + 6 + 128 = 1158, aligned up to 1160.
    EXPECT_EQ(layout.used, 1160u);
    EXPECT_EQ(layout.bytes, 1160u + 6 + 512);
    EXPECT_TRUE(Virtio::is_valid_queue_size(1));
    EXPECT_TRUE(Virtio::is_valid_queue_size(256));
    EXPECT_FALSE(Virtio::is_valid_queue_size(0));
    EXPECT_FALSE(Virtio::is_valid_queue_size(100));
}

TEST(VirtioPci, OnlyTheRequestInFlightCompletes)
{
    EXPECT_TRUE(Virtio::completes(0, 64, 0));
    EXPECT_FALSE(Virtio::completes(1, 64, 0));
    EXPECT_FALSE(Virtio::completes(64, 64, 64));
    EXPECT_FALSE(Virtio::completes(0xFFFFFFFF, 64, 0));
}

TEST(VirtioPci, BlockConfiguration)
{
    uint8_t bytes[24] {};
    uint64_t capacity = 2048;
    std::memcpy(bytes, &capacity, 8);
    uint32_t block_size = 4096;
    std::memcpy(bytes + 20, &block_size, 4);
    Virtio::BlockConfiguration configuration;
    ASSERT_TRUE(Virtio::parse_block_configuration(bytes, 8, false, configuration));
    EXPECT_EQ(configuration.capacity_sectors, 2048u);
    EXPECT_EQ(configuration.block_size, 512u);
    ASSERT_TRUE(Virtio::parse_block_configuration(bytes, sizeof(bytes), true, configuration));
    EXPECT_EQ(configuration.block_size, 4096u);
    EXPECT_FALSE(Virtio::parse_block_configuration(bytes, 7, false, configuration));
    EXPECT_FALSE(Virtio::parse_block_configuration(bytes, 20, true, configuration));
    block_size = 1000;
    std::memcpy(bytes + 20, &block_size, 4);
    EXPECT_FALSE(Virtio::parse_block_configuration(bytes, sizeof(bytes), true, configuration));
}

TEST(DeviceManagerDrivers, MatchesVirtioBlockAndNamesItsDisks)
{
    DeviceManager::FunctionRecord record {};
    record.vendor_id = 0x1AF4;
    record.device_id = 0x1042;
    ASSERT_NE(DeviceManager::driver_for(record), nullptr);
    EXPECT_STREQ(DeviceManager::driver_for(record), "/bin/virtio-blk");
    // The transitional (legacy) virtio-blk is not the modern device this driver speaks.
    record.device_id = 0x1001;
    EXPECT_EQ(DeviceManager::driver_for(record), nullptr);
    char name[12];
    ASSERT_TRUE(DeviceManager::block_device_name("/bin/virtio-blk", 0, name));
    EXPECT_STREQ(name, "vda");
    ASSERT_TRUE(DeviceManager::block_device_name("/bin/virtio-blk", 25, name));
    EXPECT_STREQ(name, "vdz");
    EXPECT_FALSE(DeviceManager::block_device_name("/bin/virtio-blk", 26, name));
}

TEST(DeviceManagerDrivers, FindsEveryCapabilityOfAnId)
{
    Space space = qemu_like();
    uint8_t offsets[8];
    int found = DeviceManager::find_capabilities(space.bytes, sizeof(space.bytes), 0x09, offsets, 8);
    ASSERT_EQ(found, 4);
    EXPECT_EQ(offsets[0], 0x84);
    EXPECT_EQ(offsets[3], 0x40);
    EXPECT_EQ(DeviceManager::find_capabilities(space.bytes, sizeof(space.bytes), 0x09, offsets, 2), 2);
    EXPECT_EQ(DeviceManager::find_capabilities(space.bytes, sizeof(space.bytes), 0x11, offsets, 8), 0);
}

TEST(BlockProtocol, AReadReplyAndAWriteRoundTrip)
{
    static Block::ReadReply reply;
    reply.status = Block::Status::Ok;
    std::vector<uint8_t> data(4096, 0x5A);
    ASSERT_FALSE(reply.data.assign(Core::ReadonlyBytes(data.data(), data.size())).is_error());
    std::vector<uint8_t> buffer(Core::Ipc::maximum_encoded_size<Block::ReadReply>);
    auto encoded = Core::Ipc::encode(reply, 5, Core::Bytes(buffer.data(), buffer.size()), {});
    ASSERT_FALSE(encoded.is_error());
    static Core::Ipc::Received<Block::ReadReply> received;
    ASSERT_FALSE(
        Core::Ipc::decode_into(Core::ReadonlyBytes(buffer.data(), encoded.value().byte_count), {}, received)
            .is_error());
    EXPECT_EQ(received.message.data.bytes().size(), 4096u);
    EXPECT_EQ(received.message.data.bytes()[4095], 0x5A);
    // A status outside the set is refused.
    size_t status_offset = Core::Ipc::header_size;
    buffer[status_offset] = 9;
    EXPECT_TRUE(
        Core::Ipc::decode_into(Core::ReadonlyBytes(buffer.data(), encoded.value().byte_count), {}, received)
            .is_error());
    // More than a transfer's worth of data does not fit the message.
    std::vector<uint8_t> too_much(Block::maximum_transfer_bytes + 1);
    static Block::WriteRequest write;
    EXPECT_TRUE(write.data.assign(Core::ReadonlyBytes(too_much.data(), too_much.size())).is_error());
}
