#include <Userland/Drivers/Ahci/AhciStructures.h>

namespace Ahci {

namespace {

uint16_t word(const uint8_t* data, size_t index)
{
    return static_cast<uint16_t>(data[2 * index] | data[2 * index + 1] << 8);
}

} // namespace

Attached classify_port(uint32_t signature, uint32_t sata_status)
{
    constexpr uint32_t device_present_and_communicating = 3;
    constexpr uint32_t interface_active = 1;
    constexpr uint32_t ata_disk_signature = 0x00000101;
    if ((sata_status & 0xF) != device_present_and_communicating
        || ((sata_status >> 8) & 0xF) != interface_active)
        return Attached::Nothing;
    return signature == ata_disk_signature ? Attached::Disk : Attached::Other;
}

bool decode_identity(const uint8_t* data, size_t length, Identity& result)
{
    result = Identity {};
    if (length < 512)
        return false;
    // Word 83 bit 10: the 48-bit address feature set; words 100-103 its sector count.
    if (!(word(data, 83) & (1u << 10)))
        return false;
    uint64_t sectors = 0;
    for (size_t index = 0; index < 4; ++index)
        sectors |= static_cast<uint64_t>(word(data, 100 + index)) << (16 * index);
    // 48-bit addressing reaches 2^48 sectors; a count past that could not be addressed.
    if (sectors == 0 || sectors > (1ull << 48))
        return false;
    uint32_t sector_size = 512;
    // Word 106: valid (bit 14 set, bit 15 clear), and bit 12 for a logical sector longer
    // than 256 words, whose length in words is in words 117-118.
    uint16_t sector_information = word(data, 106);
    if ((sector_information & 0xC000) == 0x4000 && (sector_information & (1u << 12))) {
        uint64_t words = word(data, 117) | static_cast<uint64_t>(word(data, 118)) << 16;
        if (words < 256 || words > 32768 || (words & (words - 1)) != 0)
            return false;
        sector_size = static_cast<uint32_t>(words * 2);
    }
    result.sector_count = sectors;
    result.sector_size = sector_size;
    // Word 82 bit 5: a write cache; word 85 bit 5: enabled.
    result.write_cache = (word(data, 82) & (1u << 5)) && (word(data, 85) & (1u << 5));
    return true;
}

void build_command_fis(uint8_t command, uint64_t lba, uint16_t count, uint8_t (&fis)[20])
{
    constexpr uint8_t register_host_to_device = 0x27;
    constexpr uint8_t is_command = 0x80;
    constexpr uint8_t lba_mode = 0x40;
    for (uint8_t& byte : fis)
        byte = 0;
    fis[0] = register_host_to_device;
    fis[1] = is_command;
    fis[2] = command;
    fis[4] = static_cast<uint8_t>(lba);
    fis[5] = static_cast<uint8_t>(lba >> 8);
    fis[6] = static_cast<uint8_t>(lba >> 16);
    fis[7] = lba_mode;
    fis[8] = static_cast<uint8_t>(lba >> 24);
    fis[9] = static_cast<uint8_t>(lba >> 32);
    fis[10] = static_cast<uint8_t>(lba >> 40);
    fis[12] = static_cast<uint8_t>(count);
    fis[13] = static_cast<uint8_t>(count >> 8);
}

uint32_t command_header_flags(bool writes, uint16_t regions)
{
    constexpr uint32_t fis_dwords = 5;
    constexpr uint32_t write_bit = 1u << 6;
    return fis_dwords | (writes ? write_bit : 0) | static_cast<uint32_t>(regions) << 16;
}

} // namespace Ahci
