// What an AHCI port and its disk report (Userland/Drivers/Ahci/AhciStructures.h), and the
// command FIS and header the driver builds.

#include <Userland/Drivers/Ahci/AhciStructures.h>
#include <Userland/Services/DeviceManager/PciFunction.h>
#include <cstring>
#include <gtest/gtest.h>
#include <vector>

namespace {

void set_word(std::vector<uint8_t>& data, size_t index, uint16_t value)
{
    data[2 * index] = static_cast<uint8_t>(value);
    data[2 * index + 1] = static_cast<uint8_t>(value >> 8);
}

std::vector<uint8_t> identity(uint64_t sectors)
{
    std::vector<uint8_t> data(512);
    set_word(data, 83, 1u << 10);
    for (size_t index = 0; index < 4; ++index)
        set_word(data, 100 + index, static_cast<uint16_t>(sectors >> (16 * index)));
    return data;
}

} // namespace

TEST(Ahci, PortsAreClassifiedBySignatureAndLinkState)
{
    // DET 3 (present, communicating), IPM 1 (active).
    EXPECT_EQ(Ahci::classify_port(0x00000101, 0x113), Ahci::Attached::Disk);
    EXPECT_EQ(Ahci::classify_port(0xEB140101, 0x113), Ahci::Attached::Other); // ATAPI (a CD)
    EXPECT_EQ(Ahci::classify_port(0x00000101, 0x000), Ahci::Attached::Nothing);
    EXPECT_EQ(Ahci::classify_port(0x00000101, 0x613), Ahci::Attached::Nothing); // asleep
    EXPECT_EQ(Ahci::classify_port(0x00000101, 0x101), Ahci::Attached::Nothing); // no link
}

TEST(Ahci, IdentifyGivesSectorsSizeAndCache)
{
    std::vector<uint8_t> data = identity(2048);
    Ahci::Identity result;
    ASSERT_TRUE(Ahci::decode_identity(data.data(), data.size(), result));
    EXPECT_EQ(result.sector_count, 2048u);
    EXPECT_EQ(result.sector_size, 512u);
    EXPECT_FALSE(result.write_cache);
    set_word(data, 82, 1u << 5);
    set_word(data, 85, 1u << 5);
    ASSERT_TRUE(Ahci::decode_identity(data.data(), data.size(), result));
    EXPECT_TRUE(result.write_cache);
    // 4 KiB logical sectors: word 106 valid with bit 12, 2048 words in 117-118.
    set_word(data, 106, 0x4000 | 1u << 12);
    set_word(data, 117, 2048);
    ASSERT_TRUE(Ahci::decode_identity(data.data(), data.size(), result));
    EXPECT_EQ(result.sector_size, 4096u);
    // A size that is not a power of two is refused.
    set_word(data, 117, 1000);
    EXPECT_FALSE(Ahci::decode_identity(data.data(), data.size(), result));
}

TEST(Ahci, IdentifyRefusesWhatTheDriverCannotAddress)
{
    Ahci::Identity result;
    std::vector<uint8_t> no_lba48 = identity(2048);
    set_word(no_lba48, 83, 0);
    EXPECT_FALSE(Ahci::decode_identity(no_lba48.data(), no_lba48.size(), result));
    std::vector<uint8_t> empty = identity(0);
    EXPECT_FALSE(Ahci::decode_identity(empty.data(), empty.size(), result));
    // More sectors than 48-bit addresses reach.
    std::vector<uint8_t> too_many = identity((1ull << 48) + 1);
    EXPECT_FALSE(Ahci::decode_identity(too_many.data(), too_many.size(), result));
    std::vector<uint8_t> good = identity(2048);
    EXPECT_FALSE(Ahci::decode_identity(good.data(), 511, result));
}

TEST(Ahci, CommandFisAndHeader)
{
    uint8_t fis[20];
    Ahci::build_command_fis(Ahci::command_read_dma_ext, 0x0000123456789ABCull, 64, fis);
    EXPECT_EQ(fis[0], 0x27);
    EXPECT_EQ(fis[1], 0x80);
    EXPECT_EQ(fis[2], 0x25);
    EXPECT_EQ(fis[4], 0xBC);
    EXPECT_EQ(fis[5], 0x9A);
    EXPECT_EQ(fis[6], 0x78);
    EXPECT_EQ(fis[7], 0x40);
    EXPECT_EQ(fis[8], 0x56);
    EXPECT_EQ(fis[9], 0x34);
    EXPECT_EQ(fis[10], 0x12);
    EXPECT_EQ(fis[12], 64);
    EXPECT_EQ(fis[13], 0);
    EXPECT_EQ(Ahci::command_header_flags(false, 1), 5u | 1u << 16);
    EXPECT_EQ(Ahci::command_header_flags(true, 1), 5u | 1u << 6 | 1u << 16);
    EXPECT_EQ(Ahci::command_header_flags(false, 0), 5u);
}

TEST(Ahci, TheDeviceManagerMatchesAndNamesControllers)
{
    DeviceManager::FunctionRecord record {};
    record.class_code = 0x01;
    record.subclass = 0x06;
    record.programming_interface = 0x01;
    ASSERT_NE(DeviceManager::driver_for(record), nullptr);
    EXPECT_STREQ(DeviceManager::driver_for(record), "/bin/ahci");
    record.programming_interface = 0x00; // vendor-specific SATA: not AHCI
    EXPECT_EQ(DeviceManager::driver_for(record), nullptr);
    char name[12];
    ASSERT_TRUE(DeviceManager::block_device_name("/bin/ahci", 1, name));
    EXPECT_STREQ(name, "sdb");
}
