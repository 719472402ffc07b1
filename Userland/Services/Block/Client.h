#pragma once

// A block device's client side: its channel from the device manager (by name, "vda"), then
// the block protocol's calls on it. What lsblk and the block tests use.

#include <Userland/Services/Block/Protocol.h>
#include <Userland/Services/DeviceManager/Protocol.h>
#include <stddef.h>
#include <stdint.h>

namespace Block {

// The device manager's block devices (its BlockDeviceRecords), up to `capacity`; returns
// how many were written, or -1 when the device manager does not answer.
int list_devices(uint32_t device_manager, DeviceManager::BlockDeviceRecord* records, int capacity);

// A channel to the named device's driver, or 0 when there is no such device, its driver is
// being restarted, or the device manager does not answer.
uint32_t open_device(uint32_t device_manager, const char* name);

// The calls. Each returns false when the driver does not answer (it ended: the channel is
// closed, and the device must be opened again), and otherwise fills `status`.
bool geometry(uint32_t channel, GeometryReply& reply);
// Reads `block_count` blocks of `block_size` bytes into `buffer`.
bool read(uint32_t channel, uint64_t first_block, uint32_t block_count, uint32_t block_size, uint8_t* buffer,
    Status& status);
bool write(uint32_t channel, uint64_t first_block, const uint8_t* data, size_t length, Status& status);
bool flush(uint32_t channel, Status& status);

} // namespace Block
