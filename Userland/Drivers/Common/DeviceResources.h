#pragma once

// What every PCI driver the device manager starts does with the resources it is given
// (docs/devices.md#drivers): its configuration bytes read and decoded, its windows mapped,
// DMA memory asked for, messages logged under its name.

#include <Userland/Services/DeviceManager/PciFunction.h>
#include <stddef.h>
#include <stdint.h>

namespace Drivers {

struct Device {
    const char* name; // "virtio-blk 00:03.0", for messages
    uint8_t configuration[256];
    DeviceManager::DecodedFunction function;
    uint32_t interrupt; // its MSI or MSI-X vector
    uint32_t server; // the server end of its channel
};

// Reads the start-up handles and the configuration bytes; `driver` and the function's
// address (argv[1]) make the name. False, after logging why, when something is missing.
bool open_device(const char* driver, int argc, char** argv, Device& device);

// Maps the first `size` bytes of memory window `register_index`, uncached, readable and
// writable. Null when the window is absent, a port window, smaller than `size`, or not
// given to this driver.
volatile uint8_t* map_window(const Device& device, uint8_t register_index, uint64_t size);

// `size` bytes (whole pages) of zeroed, physically contiguous memory mapped here, and its
// physical address in `physical`; null when there is none. Made for the device's PciDevice
// (DevicePci): with an IOMMU, such memory is all the device can reach by DMA.
uint8_t* allocate_dma(const Device& device, uint64_t size, uint64_t& physical);

// Logs "NAME: " and the formatted message to the kernel log.
void log(const Device& device, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Waits for the device's interrupt until `done()` holds or `deadline` (monotonic ns) passes;
// acknowledges each time. `done` is tested after every acknowledgement, so a completion is
// never missed between the two. False on time-out.
template<typename Done> bool wait_for_interrupt(const Device& device, uint64_t deadline, Done done);

bool wait_interrupt_once(const Device& device, uint64_t deadline);

template<typename Done> bool wait_for_interrupt(const Device& device, uint64_t deadline, Done done)
{
    for (;;) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (done())
            return true;
        if (!wait_interrupt_once(device, deadline)) {
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            return done();
        }
    }
}

} // namespace Drivers
