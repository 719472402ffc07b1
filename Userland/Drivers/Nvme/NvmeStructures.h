#pragma once

// What an NVMe controller tells its driver (NVM Express base specification 1.4): its
// capabilities register, completion queue entries and Identify data, decoded without
// trusting them, since a device wrote them. Pure, so that host tests and a fuzz target
// (Tests/Fuzz/NvmeFuzzer.cpp) cover them.

#include <stddef.h>
#include <stdint.h>

namespace Nvme {

// The capabilities register (CAP, offset 0).
struct Capabilities {
    uint32_t maximum_queue_entries; // MQES + 1
    uint32_t doorbell_stride; // bytes between doorbells: 4 << DSTRD
    uint64_t ready_timeout_ns; // TO, in 500 ms units
    bool supports_nvm_command_set; // CSS bit 0
    uint32_t minimum_page_size; // 4096 << MPSMIN
};
Capabilities decode_capabilities(uint64_t register_value);

// A completion queue entry (16 bytes) as the controller wrote it.
struct Completion {
    uint32_t result; // command-specific (DW0)
    uint16_t submission_head; // SQHD
    uint16_t submission_queue; // SQID
    uint16_t command_id; // CID
    bool phase; // P
    uint16_t status; // SC and SCT (bits 10:0 of the status field); 0 is success
};
Completion decode_completion(const uint8_t (&entry)[16]);

// Whether `completion` finishes the command the driver waits for: the right queue, the
// right command id, and a head inside the queue. (The driver has one command in flight on
// each queue.)
bool completes(const Completion& completion, uint16_t queue, uint16_t command_id, uint32_t queue_entries);

// Identify Namespace (CNS 0): the size in blocks and the block size of the format in use.
// False for a namespace of no blocks, a format index past the formats it lists, a block
// size that is not a power of two from 512 to 64 KiB, or a format with metadata or
// protection information.
struct Namespace {
    uint64_t block_count;
    uint32_t block_size;
};
bool decode_namespace(const uint8_t* data, size_t length, Namespace& result);

// Identify Controller (CNS 1): whether it has a volatile write cache (VWC bit 0), and the
// largest transfer in bytes (MDTS, in units of the minimum page size; 0 means no limit,
// reported as 0 here).
struct Controller {
    bool volatile_write_cache;
    uint64_t maximum_transfer_bytes;
};
bool decode_controller(const uint8_t* data, size_t length, uint32_t minimum_page_size, Controller& result);

// The PRP entries of a transfer of `length` bytes (at most 32 KiB) at `physical`, which is
// page-aligned and contiguous: PRP1 is the first page; PRP2 is the second page when there
// are exactly two, or the physical address of a list (`list_physical`, whose entries
// `list` receives) when there are more. Returns the number of pages, 0 for a length of 0
// or over eight pages.
uint32_t build_prps(uint64_t physical, uint64_t length, uint64_t list_physical, uint64_t (&list)[8],
    uint64_t& prp1, uint64_t& prp2);

} // namespace Nvme
