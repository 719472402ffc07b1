#include <Userland/Drivers/VirtioBlock/VirtioPci.h>

namespace Virtio {

namespace {

constexpr uint8_t capability_vendor = 0x09;
constexpr uint8_t type_common = 1;
constexpr uint8_t type_notify = 2;
constexpr uint8_t type_isr = 3;
constexpr uint8_t type_device = 4;
constexpr size_t capability_minimum_length = 16;
constexpr size_t notify_capability_length = 20;

uint32_t read32(const uint8_t* bytes, size_t offset)
{
    return static_cast<uint32_t>(bytes[offset]) | static_cast<uint32_t>(bytes[offset + 1]) << 8
        | static_cast<uint32_t>(bytes[offset + 2]) << 16 | static_cast<uint32_t>(bytes[offset + 3]) << 24;
}

} // namespace

bool parse_layout(const uint8_t* space, size_t length, Layout& layout)
{
    layout = Layout {};
    constexpr size_t space_size = 256;
    if (length < space_size || !(space[0x06] & (1u << 4)))
        return false;
    uint8_t pointer = space[0x34] & 0xFC;
    // Bounded as the device manager's walk: a list that loops ends.
    for (int visited = 0; visited < 48 && pointer >= 0x40; ++visited) {
        uint8_t capability_length = space[pointer + 2];
        if (space[pointer] == capability_vendor && capability_length >= capability_minimum_length
            && pointer + capability_minimum_length <= space_size) {
            Structure structure { true, space[pointer + 4], read32(space, pointer + 8),
                read32(space, pointer + 12) };
            uint8_t type = space[pointer + 3];
            if (structure.bar < 6) {
                if (type == type_common && !layout.common.present) {
                    layout.common = structure;
                } else if (type == type_notify && !layout.notify.present
                    && capability_length >= notify_capability_length
                    && pointer + notify_capability_length <= space_size) {
                    layout.notify = structure;
                    layout.notify_multiplier = read32(space, pointer + 16);
                } else if (type == type_isr && !layout.isr.present) {
                    layout.isr = structure;
                } else if (type == type_device && !layout.device.present) {
                    layout.device = structure;
                }
            }
        }
        pointer = space[pointer + 1] & 0xFC;
    }
    return layout.common.present && layout.common.length >= common_configuration_size && layout.notify.present
        && layout.device.present;
}

bool structure_fits(const Structure& structure, uint64_t window_size, uint64_t offset, uint64_t size)
{
    if (!structure.present || offset > structure.length || size > structure.length - offset)
        return false;
    uint64_t start = static_cast<uint64_t>(structure.offset) + offset;
    return start <= window_size && size <= window_size - start;
}

RingLayout ring_layout(uint16_t size)
{
    RingLayout layout {};
    layout.descriptors = 0;
    // Available ring: flags, index, the ring, used_event.
    layout.available = 16ull * size;
    uint64_t available_end = layout.available + 6 + 2ull * size;
    // Used ring: flags, index, the ring of (id, length), avail_event; 4-byte aligned.
    layout.used = (available_end + 3) & ~uint64_t(3);
    layout.bytes = layout.used + 6 + 8ull * size;
    return layout;
}

bool is_valid_queue_size(uint16_t size)
{
    return size != 0 && (size & (size - 1)) == 0;
}

bool completes(uint32_t used_id, uint16_t queue_size, uint16_t expected_head)
{
    return used_id < queue_size && used_id == expected_head;
}

bool parse_block_configuration(
    const uint8_t* bytes, size_t length, bool has_block_size, BlockConfiguration& out)
{
    constexpr size_t block_size_offset = 20;
    out = BlockConfiguration { 0, 512 };
    if (length < 8)
        return false;
    out.capacity_sectors
        = static_cast<uint64_t>(read32(bytes, 0)) | static_cast<uint64_t>(read32(bytes, 4)) << 32;
    if (has_block_size) {
        if (length < block_size_offset + 4)
            return false;
        uint32_t size = read32(bytes, block_size_offset);
        if (size < 512 || size > 65536 || (size & (size - 1)) != 0)
            return false;
        out.block_size = size;
    }
    return true;
}

} // namespace Virtio
