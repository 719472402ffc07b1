// Fuzz target: what a virtio device writes for its driver (Userland/Drivers/VirtioBlock/
// VirtioPci.h): its configuration space's capabilities, its block configuration and used
// ring elements. Whatever the bytes, parsing reads only inside them and ends, and every
// structure it accepts names one of the six windows.

#include <Userland/Drivers/VirtioBlock/VirtioPci.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::vector<uint8_t> bytes(data, data + size);
    Virtio::Layout layout;
    if (Virtio::parse_layout(bytes.data(), bytes.size(), layout)) {
        if (layout.common.bar >= 6 || layout.notify.bar >= 6 || layout.device.bar >= 6
            || layout.common.length < Virtio::common_configuration_size)
            __builtin_trap();
        // An access the check lets through lies inside the structure.
        uint64_t offset = size > 8 ? data[size - 1] * 16ull : 0;
        if (Virtio::structure_fits(layout.notify, 0x4000, offset, 2)
            && (offset + 2 > layout.notify.length || layout.notify.offset + offset + 2 > 0x4000))
            __builtin_trap();
    }
    Virtio::BlockConfiguration configuration;
    if (Virtio::parse_block_configuration(bytes.data(), bytes.size(), size % 2 == 0, configuration)
        && (configuration.block_size < 512
            || (configuration.block_size & (configuration.block_size - 1)) != 0))
        __builtin_trap();
    if (size >= 6) {
        uint32_t used_id;
        uint16_t queue_size;
        std::memcpy(&used_id, data, 4);
        std::memcpy(&queue_size, data + 4, 2);
        if (Virtio::completes(used_id, queue_size, 0) && used_id >= queue_size)
            __builtin_trap();
    }
    return 0;
}
