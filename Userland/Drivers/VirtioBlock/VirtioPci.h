#pragma once

// What a virtio 1.x ("modern") PCI device tells its driver through configuration space and
// its split virtqueues (the OASIS virtio 1.1 specification, sections 2.6 and 4.1), decoded
// without trusting it: the driver reads these bytes from a device, so a malformed or
// hostile device must not make it read or write outside what it mapped. Pure, so that
// host tests and a fuzz target (Tests/Fuzz/VirtioFuzzer.cpp) cover it.

#include <stddef.h>
#include <stdint.h>

namespace Virtio {

// One structure a vendor-specific capability points at: inside window `bar`, `length`
// bytes from `offset`.
struct Structure {
    bool present;
    uint8_t bar;
    uint32_t offset;
    uint32_t length;
};

struct Layout {
    Structure common; // the common configuration (features, status, queues)
    Structure notify; // where queue notifications are written
    Structure isr; // the interrupt status byte (unused with MSI-X)
    Structure device; // the device-specific configuration
    uint32_t notify_multiplier; // bytes between queues' notification addresses
};

// The sizes the driver relies on: the common configuration up to the used ring's
// address, and a notify capability long enough to hold its multiplier.
inline constexpr uint32_t common_configuration_size = 56;

// Decodes the vendor-specific capabilities (id 9) of a function's 256 configuration bytes.
// False unless the common, notify and device structures are all present, each in one of
// the six windows and the common one at least common_configuration_size long. The first
// capability of each type wins, as the specification asks.
bool parse_layout(const uint8_t* space, size_t length, Layout& layout);

// Whether [offset, offset + size) of a structure lies inside it and inside a window of
// `window_size` bytes: what the driver checks before it touches a register.
bool structure_fits(const Structure& structure, uint64_t window_size, uint64_t offset, uint64_t size);

// Where a split virtqueue of `size` entries puts its three parts, from the start of one
// DMA block: the descriptor table (16-byte aligned), the available ring (2) and the used
// ring (4), and the bytes the whole needs.
struct RingLayout {
    uint64_t descriptors;
    uint64_t available;
    uint64_t used;
    uint64_t bytes;
};
RingLayout ring_layout(uint16_t size);

// Whether a queue size the device offers is one the driver can use: a power of two from
// 1 to 32768, as split queues require.
bool is_valid_queue_size(uint16_t size);

// Whether a used-ring element the device wrote completes the request the driver is
// waiting for: its id must be the chain's head (the driver has one request in flight) and
// inside the queue. The written length is the device's word and is not trusted for
// anything but reporting.
bool completes(uint32_t used_id, uint16_t queue_size, uint16_t expected_head);

// virtio-blk's device configuration: the capacity in 512-byte sectors, and the block size
// when the device offers VIRTIO_BLK_F_BLK_SIZE (512 otherwise). False for a configuration
// shorter than the fields it reads, or a block size that is not a power of two between
// 512 and 64 KiB.
struct BlockConfiguration {
    uint64_t capacity_sectors;
    uint32_t block_size;
};
bool parse_block_configuration(
    const uint8_t* bytes, size_t length, bool has_block_size, BlockConfiguration& out);

} // namespace Virtio
