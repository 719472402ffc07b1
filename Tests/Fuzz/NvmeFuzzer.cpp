// Fuzz target: what an NVMe controller writes for its driver (Userland/Drivers/Nvme/
// NvmeStructures.h): Identify data, completion entries, the capabilities register. Whatever
// the bytes, decoding reads only inside them, and what it accepts is within the limits the
// driver relies on.

#include <Userland/Drivers/Nvme/NvmeStructures.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::vector<uint8_t> bytes(data, data + size);
    Nvme::Namespace space;
    if (Nvme::decode_namespace(bytes.data(), bytes.size(), space)
        && (space.block_count == 0 || space.block_size < 512 || space.block_size > 65536
            || (space.block_size & (space.block_size - 1)) != 0))
        __builtin_trap();
    Nvme::Controller controller;
    (void)Nvme::decode_controller(bytes.data(), bytes.size(), 4096, controller);
    if (size >= 16) {
        uint8_t entry[16];
        std::memcpy(entry, data, 16);
        Nvme::Completion completion = Nvme::decode_completion(entry);
        if (completion.status > 0x7FF
            || (Nvme::completes(completion, 1, 7, 64) && completion.submission_head >= 64))
            __builtin_trap();
    }
    if (size >= 8) {
        uint64_t value;
        std::memcpy(&value, data, 8);
        Nvme::Capabilities capabilities = Nvme::decode_capabilities(value);
        if (capabilities.maximum_queue_entries == 0 || capabilities.doorbell_stride < 4)
            __builtin_trap();
    }
    return 0;
}
