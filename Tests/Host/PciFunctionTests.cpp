// Decoding PCI configuration space (Userland/Services/DeviceManager/PciFunction.h) and the
// device manager's protocol (Protocol.h).

#include <Userland/Services/DeviceManager/PciFunction.h>
#include <Userland/Services/DeviceManager/Protocol.h>
#include <Userland/Services/Rtc/Protocol.h>
#include <cstring>
#include <gtest/gtest.h>
#include <vector>

namespace {

struct Space {
    uint8_t bytes[256] {};

    void put16(size_t offset, uint16_t value)
    {
        bytes[offset] = static_cast<uint8_t>(value);
        bytes[offset + 1] = static_cast<uint8_t>(value >> 8);
    }
    void put32(size_t offset, uint32_t value)
    {
        put16(offset, static_cast<uint16_t>(value));
        put16(offset + 2, static_cast<uint16_t>(value >> 16));
    }
};

// An AHCI controller: a port window, a 32-bit memory window, MSI and PCI Express.
Space sata_controller()
{
    Space space;
    space.put16(0x00, 0x8086);
    space.put16(0x02, 0x2922);
    space.put16(0x06, 1u << 4); // a capability list
    space.bytes[0x08] = 0x02;
    space.bytes[0x09] = 0x01;
    space.bytes[0x0A] = 0x06;
    space.bytes[0x0B] = 0x01;
    space.bytes[0x0E] = 0x80; // multi-function
    space.put32(0x20, 0xC041); // ports at 0xC040
    space.put32(0x24, 0xFEBD1000); // memory at 0xFEBD1000
    space.put16(0x2C, 0x1AF4);
    space.put16(0x2E, 0x1100);
    space.bytes[0x34] = 0x80;
    space.bytes[0x3D] = 1; // INTA
    space.bytes[0x80] = 0x05; // MSI, next at 0xA8
    space.bytes[0x81] = 0xA8;
    space.bytes[0xA8] = 0x10; // PCI Express, the end
    space.bytes[0xA9] = 0x00;
    return space;
}

} // namespace

TEST(PciFunction, DecodesADevicesHeaderWindowsAndCapabilities)
{
    Space space = sata_controller();
    DeviceManager::DecodedFunction decoded;
    ASSERT_TRUE(DeviceManager::decode_function(space.bytes, sizeof(space.bytes), 0, 0, 0x1F, 2, decoded));
    const DeviceManager::FunctionRecord& record = decoded.record;
    EXPECT_EQ(record.vendor_id, 0x8086);
    EXPECT_EQ(record.device_id, 0x2922);
    EXPECT_EQ(record.class_code, 0x01);
    EXPECT_EQ(record.subclass, 0x06);
    EXPECT_EQ(record.programming_interface, 0x01);
    EXPECT_EQ(record.revision, 0x02);
    EXPECT_EQ(record.subsystem_vendor_id, 0x1AF4);
    EXPECT_EQ(record.interrupt_pin, 1);
    EXPECT_EQ(record.device, 0x1F);
    EXPECT_EQ(record.function, 2);
    EXPECT_TRUE(decoded.multifunction);
    EXPECT_EQ(record.bar_count, 2);
    EXPECT_TRUE(decoded.bars[4].is_port);
    EXPECT_EQ(decoded.bars[4].address, 0xC040u);
    EXPECT_FALSE(decoded.bars[5].is_port);
    EXPECT_EQ(decoded.bars[5].address, 0xFEBD1000u);
    EXPECT_EQ(record.capabilities, DeviceManager::HasMsi | DeviceManager::IsPciExpress);
    EXPECT_STREQ(DeviceManager::class_name(record.class_code, record.subclass), "SATA controller");
}

TEST(PciFunction, SixtyFourBitWindowsTakeTheNextRegister)
{
    Space space = sata_controller();
    space.put32(0x10, 0x0000000C); // 64-bit, prefetchable
    space.put32(0x14, 0x00000080); // high half: 0x80_00000000
    DeviceManager::DecodedFunction decoded;
    ASSERT_TRUE(DeviceManager::decode_function(space.bytes, sizeof(space.bytes), 0, 0, 3, 0, decoded));
    EXPECT_TRUE(decoded.bars[0].is_64_bit);
    EXPECT_TRUE(decoded.bars[0].prefetchable);
    EXPECT_EQ(decoded.bars[0].address, 0x8000000000ull);
    EXPECT_FALSE(decoded.bars[1].present);
    EXPECT_EQ(decoded.record.bar_count, 3);
    // A 64-bit type in the last register has no high half to take.
    space.put32(0x24, 0x0000000C | 0xFE000000);
    ASSERT_TRUE(DeviceManager::decode_function(space.bytes, sizeof(space.bytes), 0, 0, 3, 0, decoded));
    EXPECT_FALSE(decoded.bars[5].is_64_bit);
}

TEST(PciFunction, AbsentFunctionsAndShortSpacesAreRefused)
{
    Space space = sata_controller();
    DeviceManager::DecodedFunction decoded;
    EXPECT_FALSE(DeviceManager::decode_function(space.bytes, 63, 0, 0, 0, 0, decoded));
    space.put16(0x00, 0xFFFF);
    EXPECT_FALSE(DeviceManager::decode_function(space.bytes, sizeof(space.bytes), 0, 0, 0, 0, decoded));
    space.put16(0x00, 0x0000);
    EXPECT_FALSE(DeviceManager::decode_function(space.bytes, sizeof(space.bytes), 0, 0, 0, 0, decoded));
}

TEST(PciFunction, ACapabilityLoopEndsAndBridgesHaveTwoWindows)
{
    Space space = sata_controller();
    space.bytes[0xA9] = 0x80; // PCI Express points back at MSI: a loop
    DeviceManager::DecodedFunction decoded;
    ASSERT_TRUE(DeviceManager::decode_function(space.bytes, sizeof(space.bytes), 0, 0, 0, 0, decoded));
    EXPECT_EQ(decoded.record.capabilities, DeviceManager::HasMsi | DeviceManager::IsPciExpress);
    // A PCI-to-PCI bridge: two windows, no subsystem ids where a device has them.
    Space bridge = sata_controller();
    bridge.bytes[0x0E] = 0x01;
    bridge.bytes[0x0B] = 0x06;
    bridge.bytes[0x0A] = 0x04;
    bridge.put32(0x10, 0xFE000000);
    ASSERT_TRUE(DeviceManager::decode_function(bridge.bytes, sizeof(bridge.bytes), 0, 0, 0, 0, decoded));
    EXPECT_EQ(decoded.header_type, 1);
    EXPECT_EQ(decoded.record.bar_count, 1);
    EXPECT_EQ(decoded.record.subsystem_vendor_id, 0);
    EXPECT_STREQ(DeviceManager::class_name(0x06, 0x04), "PCI bridge");
    EXPECT_STREQ(DeviceManager::class_name(0x06, 0x80), "Bridge");
    EXPECT_STREQ(DeviceManager::class_name(0xEE, 0x00), "Unknown device");
}

TEST(PciFunction, WindowSizesComeFromTheBitsThatStayZero)
{
    DeviceManager::Bar memory32 { true, false, false, false, 0xFEBD1000, 0 };
    // A 4 KiB window keeps its low 12 address bits zero; the type bits are not the size's.
    EXPECT_EQ(DeviceManager::bar_size(memory32, 0xFFFFF000, 0), 4096u);
    EXPECT_EQ(DeviceManager::bar_size(memory32, 0xFF000008, 0), 16u * 1024 * 1024);
    // Nothing implemented: the register reads back zero.
    EXPECT_EQ(DeviceManager::bar_size(memory32, 0, 0), 0u);
    DeviceManager::Bar port { true, true, false, false, 0xC000, 0 };
    EXPECT_EQ(DeviceManager::bar_size(port, 0xFFFFFFE1, 0), 32u);
    // Port registers may leave the upper 16 bits zero.
    EXPECT_EQ(DeviceManager::bar_size(port, 0x0000FFF9, 0), 8u);
    EXPECT_EQ(DeviceManager::bar_size(port, 0x1, 0), 0u);
    DeviceManager::Bar memory64 { true, false, true, true, 0x800000000, 0 };
    EXPECT_EQ(DeviceManager::bar_size(memory64, 0xFFFFC00C, 0xFFFFFFFF), 16u * 1024);
    // A 64-bit window larger than 4 GiB has size bits in its high register.
    EXPECT_EQ(DeviceManager::bar_size(memory64, 0x0000000C, 0xFFFFFFF0), 64ull << 30);
    EXPECT_EQ(DeviceManager::bar_size(memory64, 0, 0), 0u);
    // What no real decoder reads back: a 64-bit window whose high half kept zeros (it would
    // be near 2^64 bytes), a mask with gaps, a window that runs past the address space.
    EXPECT_EQ(DeviceManager::bar_size(memory64, 0xFFFFC00C, 0), 0u);
    EXPECT_EQ(DeviceManager::bar_size(memory32, 0xFF0FF000, 0), 0u);
    DeviceManager::Bar high32 { true, false, false, false, 0xFFFFF000, 0 };
    EXPECT_EQ(DeviceManager::bar_size(high32, 0xFFFFE000, 0), 0u);
    EXPECT_EQ(DeviceManager::bar_size(high32, 0xFFFFF000, 0), 4096u);
}

TEST(DeviceManagerProtocol, AListOfFunctionsRoundTrips)
{
    std::vector<DeviceManager::FunctionRecord> records(3);
    records[1].vendor_id = 0x1234;
    records[2].device = 31;
    static DeviceManager::FunctionList list;
    ASSERT_FALSE(list.records
                     .assign(Core::ReadonlyBytes(reinterpret_cast<const uint8_t*>(records.data()),
                         records.size() * sizeof(records[0])))
                     .is_error());
    DeviceManager::WindowRecord window { 2, 4, DeviceManager::Is64Bit, 0, 0xFE000000, 16384 };
    ASSERT_FALSE(
        list.windows.assign(Core::ReadonlyBytes(reinterpret_cast<const uint8_t*>(&window), sizeof(window)))
            .is_error());
    std::vector<uint8_t> buffer(Core::Ipc::maximum_encoded_size<DeviceManager::FunctionList>);
    auto encoded = Core::Ipc::encode(list, 77, Core::Bytes(buffer.data(), buffer.size()), {});
    ASSERT_FALSE(encoded.is_error());
    auto decoded = Core::Ipc::decode<DeviceManager::FunctionList>(
        Core::ReadonlyBytes(buffer.data(), encoded.value().byte_count), {});
    ASSERT_FALSE(decoded.is_error());
    EXPECT_EQ(decoded.value().header.transaction_id, 77u);
    ASSERT_EQ(decoded.value().message.records.bytes().size(), 3 * sizeof(DeviceManager::FunctionRecord));
    DeviceManager::FunctionRecord second;
    std::memcpy(&second, decoded.value().message.records.bytes().data() + sizeof(second), sizeof(second));
    EXPECT_EQ(second.vendor_id, 0x1234);
    ASSERT_EQ(decoded.value().message.windows.bytes().size(), sizeof(DeviceManager::WindowRecord));
    DeviceManager::WindowRecord window_back;
    std::memcpy(&window_back, decoded.value().message.windows.bytes().data(), sizeof(window_back));
    EXPECT_EQ(window_back.function_index, 2);
    EXPECT_EQ(window_back.register_index, 4);
    EXPECT_EQ(window_back.address, 0xFE000000u);
    EXPECT_EQ(window_back.size, 16384u);
    // A version 1 manager's list has no windows; it decodes, in place, with none.
    ASSERT_FALSE(list.windows.assign(Core::ReadonlyBytes()).is_error());
    std::vector<uint8_t> older(Core::Ipc::maximum_encoded_size<DeviceManager::FunctionList>);
    auto encoded_older
        = Core::Ipc::encode_as_version(1, list, 78, Core::Bytes(older.data(), older.size()), {});
    ASSERT_FALSE(encoded_older.is_error());
    static Core::Ipc::Received<DeviceManager::FunctionList> in_place;
    ASSERT_FALSE(Core::Ipc::decode_into(
        Core::ReadonlyBytes(older.data(), encoded_older.value().byte_count), {}, in_place)
                     .is_error());
    EXPECT_EQ(in_place.header.version, 1);
    EXPECT_EQ(in_place.message.records.bytes().size(), 3 * sizeof(DeviceManager::FunctionRecord));
    EXPECT_EQ(in_place.message.windows.bytes().size(), 0u);
    // A request is not a list.
    EXPECT_TRUE(Core::Ipc::decode<DeviceManager::ListFunctionsRequest>(
        Core::ReadonlyBytes(buffer.data(), encoded.value().byte_count), {})
                    .is_error());
}

TEST(RtcProtocol, ATimeRoundTripsAndABadBooleanIsRefused)
{
    Rtc::TimeReply time { true, 2026, 11, 26, 14, 42, 51, 1795704171 };
    uint8_t buffer[128];
    auto encoded = Core::Ipc::encode(time, 9, Core::Bytes(buffer, sizeof(buffer)), {});
    ASSERT_FALSE(encoded.is_error());
    auto decoded
        = Core::Ipc::decode<Rtc::TimeReply>(Core::ReadonlyBytes(buffer, encoded.value().byte_count), {});
    ASSERT_FALSE(decoded.is_error());
    EXPECT_TRUE(decoded.value().message.valid);
    EXPECT_EQ(decoded.value().message.year, 2026);
    EXPECT_EQ(decoded.value().message.second, 51);
    EXPECT_EQ(decoded.value().message.unix_seconds, 1795704171u);
    buffer[24] = 2; // `valid` is a boolean: 2 is no value of it
    EXPECT_TRUE(Core::Ipc::decode<Rtc::TimeReply>(Core::ReadonlyBytes(buffer, encoded.value().byte_count), {})
                    .is_error());
}
