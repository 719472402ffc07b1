#include <Userland/Drivers/Nvme/NvmeStructures.h>

namespace Nvme {

namespace {

uint32_t read32(const uint8_t* bytes, size_t offset)
{
    return static_cast<uint32_t>(bytes[offset]) | static_cast<uint32_t>(bytes[offset + 1]) << 8
        | static_cast<uint32_t>(bytes[offset + 2]) << 16 | static_cast<uint32_t>(bytes[offset + 3]) << 24;
}

uint64_t read64(const uint8_t* bytes, size_t offset)
{
    return static_cast<uint64_t>(read32(bytes, offset))
        | static_cast<uint64_t>(read32(bytes, offset + 4)) << 32;
}

constexpr uint64_t page_size = 4096;

} // namespace

Capabilities decode_capabilities(uint64_t register_value)
{
    Capabilities capabilities {};
    capabilities.maximum_queue_entries = static_cast<uint32_t>(register_value & 0xFFFF) + 1;
    capabilities.ready_timeout_ns = ((register_value >> 24) & 0xFF) * 500'000'000ull;
    capabilities.doorbell_stride = 4u << ((register_value >> 32) & 0xF);
    capabilities.supports_nvm_command_set = ((register_value >> 37) & 1) != 0;
    capabilities.minimum_page_size = 4096u << ((register_value >> 48) & 0xF);
    return capabilities;
}

Completion decode_completion(const uint8_t (&entry)[16])
{
    Completion completion {};
    completion.result = read32(entry, 0);
    uint32_t queue_word = read32(entry, 8);
    completion.submission_head = static_cast<uint16_t>(queue_word & 0xFFFF);
    completion.submission_queue = static_cast<uint16_t>(queue_word >> 16);
    uint32_t status_word = read32(entry, 12);
    completion.command_id = static_cast<uint16_t>(status_word & 0xFFFF);
    completion.phase = ((status_word >> 16) & 1) != 0;
    completion.status = static_cast<uint16_t>((status_word >> 17) & 0x7FF);
    return completion;
}

bool completes(const Completion& completion, uint16_t queue, uint16_t command_id, uint32_t queue_entries)
{
    return completion.submission_queue == queue && completion.command_id == command_id
        && completion.submission_head < queue_entries;
}

bool decode_namespace(const uint8_t* data, size_t length, Namespace& result)
{
    constexpr size_t formats_offset = 128;
    result = Namespace {};
    if (length < 4096)
        return false;
    uint64_t blocks = read64(data, 0);
    uint8_t format_count = static_cast<uint8_t>(data[25] + 1); // NLBAF is zero-based
    uint8_t format_index = data[26] & 0xF;
    if (blocks == 0 || format_index >= format_count || format_count > 16)
        return false;
    uint32_t format = read32(data, formats_offset + 4u * format_index);
    uint32_t shift = (format >> 16) & 0xFF;
    if (shift < 9 || shift > 16)
        return false;
    // Metadata (MS, bits 15:0 of the format) or end-to-end protection (DPS, byte 29): the
    // driver moves plain blocks only, and a transfer would then need a metadata pointer or
    // more than the data's pages.
    constexpr uint8_t extended_lba = 1u << 4;
    if ((format & 0xFFFF) != 0 || (data[26] & extended_lba) || (data[29] & 7) != 0)
        return false;
    result.block_count = blocks;
    result.block_size = 1u << shift;
    return true;
}

bool decode_controller(const uint8_t* data, size_t length, uint32_t minimum_page_size, Controller& result)
{
    result = Controller {};
    if (length < 4096)
        return false;
    uint8_t transfer_shift = data[77];
    result.volatile_write_cache = (data[525] & 1) != 0;
    // A shift past the width of the arithmetic is no limit a driver of 32 KiB transfers
    // can reach.
    result.maximum_transfer_bytes = transfer_shift == 0 || transfer_shift > 20
        ? 0
        : static_cast<uint64_t>(minimum_page_size) << transfer_shift;
    return true;
}

uint32_t build_prps(uint64_t physical, uint64_t length, uint64_t list_physical, uint64_t (&list)[8],
    uint64_t& prp1, uint64_t& prp2)
{
    uint64_t pages = (length + page_size - 1) / page_size;
    prp1 = 0;
    prp2 = 0;
    if (pages == 0 || pages > 8)
        return 0;
    prp1 = physical;
    if (pages == 2) {
        prp2 = physical + page_size;
    } else if (pages > 2) {
        for (uint64_t index = 1; index < pages; ++index)
            list[index - 1] = physical + index * page_size;
        prp2 = list_physical;
    }
    return static_cast<uint32_t>(pages);
}

} // namespace Nvme
