// What an NVMe controller writes for its driver (Userland/Drivers/Nvme/NvmeStructures.h),
// and the PRP entries the driver builds.

#include <Userland/Drivers/Nvme/NvmeStructures.h>
#include <Userland/Services/DeviceManager/PciFunction.h>
#include <cstring>
#include <gtest/gtest.h>
#include <vector>

TEST(Nvme, CapabilitiesDecode)
{
    // QEMU's: MQES 2047, CQR, TO 15 (7.5 s), DSTRD 0, CSS NVM, MPSMIN 0.
    uint64_t value = 0x7FFull | 1ull << 16 | 0x0Full << 24 | 1ull << 37;
    Nvme::Capabilities capabilities = Nvme::decode_capabilities(value);
    EXPECT_EQ(capabilities.maximum_queue_entries, 2048u);
    EXPECT_EQ(capabilities.doorbell_stride, 4u);
    EXPECT_EQ(capabilities.ready_timeout_ns, 7'500'000'000ull);
    EXPECT_TRUE(capabilities.supports_nvm_command_set);
    EXPECT_EQ(capabilities.minimum_page_size, 4096u);
    Nvme::Capabilities wide = Nvme::decode_capabilities(0xFFFFull | 3ull << 32 | 2ull << 48);
    EXPECT_EQ(wide.maximum_queue_entries, 65536u);
    EXPECT_EQ(wide.doorbell_stride, 32u);
    EXPECT_FALSE(wide.supports_nvm_command_set);
    EXPECT_EQ(wide.minimum_page_size, 16384u);
}

TEST(Nvme, ACompletionIsCheckedAgainstTheCommandInFlight)
{
    uint8_t entry[16] = {};
    uint32_t result = 0xAABBCCDD;
    std::memcpy(entry, &result, 4);
    uint32_t queue_word = 1u << 16 | 5; // queue 1, head 5
    std::memcpy(entry + 8, &queue_word, 4);
    uint32_t status_word = 7u | 1u << 16; // command 7, phase 1, success
    std::memcpy(entry + 12, &status_word, 4);
    Nvme::Completion completion = Nvme::decode_completion(entry);
    EXPECT_EQ(completion.result, 0xAABBCCDDu);
    EXPECT_EQ(completion.submission_queue, 1);
    EXPECT_EQ(completion.submission_head, 5);
    EXPECT_EQ(completion.command_id, 7);
    EXPECT_TRUE(completion.phase);
    EXPECT_EQ(completion.status, 0);
    EXPECT_TRUE(Nvme::completes(completion, 1, 7, 64));
    EXPECT_FALSE(Nvme::completes(completion, 0, 7, 64));
    EXPECT_FALSE(Nvme::completes(completion, 1, 8, 64));
    // A head outside the queue is the controller's error.
    EXPECT_FALSE(Nvme::completes(completion, 1, 7, 4));
    // An error status: LBA out of range (SCT 0, SC 0x80).
    status_word = 7u | 1u << 16 | 0x80u << 17;
    std::memcpy(entry + 12, &status_word, 4);
    EXPECT_EQ(Nvme::decode_completion(entry).status, 0x80);
}

TEST(Nvme, IdentifyNamespaceGivesTheFormatInUse)
{
    std::vector<uint8_t> data(4096);
    uint64_t blocks = 2048;
    std::memcpy(data.data(), &blocks, 8);
    data[25] = 1; // two formats
    data[26] = 1; // the second in use
    uint32_t format_512 = 9u << 16;
    uint32_t format_4096 = 12u << 16;
    std::memcpy(data.data() + 128, &format_512, 4);
    std::memcpy(data.data() + 132, &format_4096, 4);
    Nvme::Namespace result;
    ASSERT_TRUE(Nvme::decode_namespace(data.data(), data.size(), result));
    EXPECT_EQ(result.block_count, 2048u);
    EXPECT_EQ(result.block_size, 4096u);
    // A format index past the ones listed, a size outside 512 B-64 KiB, no blocks, short data.
    data[26] = 2;
    EXPECT_FALSE(Nvme::decode_namespace(data.data(), data.size(), result));
    data[26] = 0;
    uint32_t format_tiny = 8u << 16;
    std::memcpy(data.data() + 128, &format_tiny, 4);
    EXPECT_FALSE(Nvme::decode_namespace(data.data(), data.size(), result));
    std::memcpy(data.data() + 128, &format_512, 4);
    EXPECT_TRUE(Nvme::decode_namespace(data.data(), data.size(), result));
    EXPECT_FALSE(Nvme::decode_namespace(data.data(), 4095, result));
    // Formats with metadata, extended LBAs or protection information are refused: the
    // driver moves plain blocks only.
    uint32_t format_with_metadata = 9u << 16 | 8;
    std::memcpy(data.data() + 128, &format_with_metadata, 4);
    EXPECT_FALSE(Nvme::decode_namespace(data.data(), data.size(), result));
    std::memcpy(data.data() + 128, &format_512, 4);
    data[26] = 0x10;
    EXPECT_FALSE(Nvme::decode_namespace(data.data(), data.size(), result));
    data[26] = 0;
    data[29] = 1;
    EXPECT_FALSE(Nvme::decode_namespace(data.data(), data.size(), result));
    data[29] = 0;
    EXPECT_TRUE(Nvme::decode_namespace(data.data(), data.size(), result));
    blocks = 0;
    std::memcpy(data.data(), &blocks, 8);
    EXPECT_FALSE(Nvme::decode_namespace(data.data(), data.size(), result));
}

TEST(Nvme, IdentifyControllerGivesCacheAndTransferLimit)
{
    std::vector<uint8_t> data(4096);
    data[77] = 7; // 2^7 pages
    data[525] = 1;
    Nvme::Controller result;
    ASSERT_TRUE(Nvme::decode_controller(data.data(), data.size(), 4096, result));
    EXPECT_TRUE(result.volatile_write_cache);
    EXPECT_EQ(result.maximum_transfer_bytes, 512u * 1024);
    data[77] = 0;
    ASSERT_TRUE(Nvme::decode_controller(data.data(), data.size(), 4096, result));
    EXPECT_EQ(result.maximum_transfer_bytes, 0u);
    EXPECT_FALSE(Nvme::decode_controller(data.data(), 100, 4096, result));
}

TEST(Nvme, PrpEntriesForOneTwoAndManyPages)
{
    uint64_t list[8] = {};
    uint64_t prp1 = 0;
    uint64_t prp2 = 0;
    EXPECT_EQ(Nvme::build_prps(0x10000, 512, 0x9000, list, prp1, prp2), 1u);
    EXPECT_EQ(prp1, 0x10000u);
    EXPECT_EQ(prp2, 0u);
    EXPECT_EQ(Nvme::build_prps(0x10000, 8192, 0x9000, list, prp1, prp2), 2u);
    EXPECT_EQ(prp2, 0x11000u);
    EXPECT_EQ(Nvme::build_prps(0x10000, 32768, 0x9000, list, prp1, prp2), 8u);
    EXPECT_EQ(prp2, 0x9000u);
    EXPECT_EQ(list[0], 0x11000u);
    EXPECT_EQ(list[6], 0x17000u);
    EXPECT_EQ(Nvme::build_prps(0x10000, 0, 0x9000, list, prp1, prp2), 0u);
    EXPECT_EQ(Nvme::build_prps(0x10000, 32769, 0x9000, list, prp1, prp2), 0u);
}

TEST(Nvme, TheDeviceManagerMatchesAndNamesControllers)
{
    DeviceManager::FunctionRecord record {};
    record.class_code = 0x01;
    record.subclass = 0x08;
    record.programming_interface = 0x02;
    ASSERT_NE(DeviceManager::driver_for(record), nullptr);
    EXPECT_STREQ(DeviceManager::driver_for(record), "/bin/nvme");
    record.programming_interface = 0x03; // another interface
    EXPECT_EQ(DeviceManager::driver_for(record), nullptr);
    char name[12];
    ASSERT_TRUE(DeviceManager::block_device_name("/bin/nvme", 0, name));
    EXPECT_STREQ(name, "nvme0n1");
    ASSERT_TRUE(DeviceManager::block_device_name("/bin/nvme", 12, name));
    EXPECT_STREQ(name, "nvme12n1");
    EXPECT_FALSE(DeviceManager::block_device_name("/bin/nvme", 100, name));
}
