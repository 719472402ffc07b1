#pragma once

// The block protocol's server side (Userland/Services/Block/Protocol.h), the same for every
// disk driver: it decodes each request, refuses what is malformed, out of range or a write
// to a read-only device, and hands the rest to the driver's BlockDevice, one at a time.

#include <Userland/Services/Block/Protocol.h>
#include <stddef.h>
#include <stdint.h>

namespace Drivers {

struct Device;

// How a command a driver gave its device ended.
enum class Outcome {
    Done,
    // The device reported a failure: the client sees DeviceError, and the driver goes on.
    DeviceError,
    // The device did not complete it in time.
    TimedOut,
    // The device completed a command that was not in flight: its queue no longer matches
    // the driver's view.
    Desynchronised,
};

// The block protocol's status for an outcome. After a time-out or a desynchronised queue
// nothing the device holds can be trusted: the driver logs why and exits with status 3,
// and the device manager turns the device's DMA off and starts the driver again, which
// resets the device. Does not return then.
Block::Status to_status(const Device& device, Outcome outcome);

class BlockDevice {
public:
    // What GeometryRequest answers; block_count and block_size bound every request.
    virtual Block::GeometryReply geometry() const = 0;
    // Where transfers go: at least Block::maximum_transfer_bytes, DMA memory of the driver's.
    virtual uint8_t* data_buffer() = 0;
    // Moves `count` blocks (already checked: inside the device, at most a transfer) between
    // the device and data_buffer(). DeviceError when the device reports a failure.
    virtual Block::Status read(uint64_t first_block, uint32_t count) = 0;
    virtual Block::Status write(uint64_t first_block, uint32_t count) = 0;
    // Everything written is on stable storage when this returns Ok.
    virtual Block::Status flush() = 0;

protected:
    ~BlockDevice() = default;
};

// Serves `channel` until its other end is gone (the device manager and its clients).
void serve_block_device(BlockDevice& device, uint32_t channel);

} // namespace Drivers
