#pragma once

// A PCI function's configuration space, decoded (PCI Local Bus 3.0, chapter 6; PCI Express
// Base, chapter 7). The bytes are what the device put there: decoding reads only inside
// them, and walks the capability list with a bound, whatever they hold. Pure: host tests
// and a fuzz target run it.

#include <Userland/Services/DeviceManager/Protocol.h>
#include <stddef.h>
#include <stdint.h>

namespace DeviceManager {

inline constexpr size_t configuration_header_size = 64;
inline constexpr size_t configuration_space_size = 256;

struct Bar {
    bool present;
    bool is_port; // I/O space; else memory
    bool is_64_bit;
    bool prefetchable;
    uint64_t address;
    uint64_t size; // 0 until probed (bar_size)
};

struct DecodedFunction {
    FunctionRecord record;
    uint8_t header_type; // 0 device, 1 PCI-to-PCI bridge, 2 CardBus bridge (bit 7 cleared)
    bool multifunction;
    // A device's six base address registers (a bridge's two), as addresses: their sizes
    // need the registers probed, which only the device manager can do.
    Bar bars[6];
    // Where the first MSI and MSI-X capabilities are (0: none).
    uint8_t msi_offset;
    uint8_t msi_x_offset;
};

// Whether a vendor id read there means "no function here" (all ones from an absent device).
inline bool is_absent(uint16_t vendor_id)
{
    return vendor_id == 0xFFFF || vendor_id == 0x0000;
}

// Decodes `length` bytes (at least the 64-byte header; 256 for the capabilities) of one
// function at `address`. False when there is no function there or too few bytes.
bool decode_function(const uint8_t* space, size_t length, uint16_t segment, uint8_t bus, uint8_t device,
    uint8_t function, DecodedFunction& decoded);

// The offsets of the capabilities with `id` in a function's 256 bytes, in list order, up to
// `capacity` of them; returns how many were written. The walk is bounded as
// decode_function's is, and every offset is at least 0x40 and at most 0xFC.
int find_capabilities(const uint8_t* space, size_t length, uint8_t id, uint8_t* offsets, int capacity);

// A window's size from what its register read back after all ones were written to it:
// `mask_low`, and for a 64-bit window `mask_high` from the register after it. 0 for a
// register that implements nothing.
uint64_t bar_size(const Bar& bar, uint32_t mask_low, uint32_t mask_high);

// The driver program for a function, or null when there is none: virtio-blk's modern device
// (1af4:1042), NVM Express controllers (class 01, subclass 08, interface 02) and AHCI
// controllers (01, 06, 01).
const char* driver_for(const FunctionRecord& record);

// The nth (from 0) block device's name for a driver, as Linux names them: "vda" ... "vdz"
// for virtio-blk, "nvme0n1" ... "nvme99n1" for NVMe, "sda" ... "sdz" for AHCI (one disk a
// controller); false past those.
bool block_device_name(const char* driver, uint32_t index, char (&name)[12]);

// The PCI class name (base class and subclass), for lspci; "Unknown" for others.
const char* class_name(uint8_t class_code, uint8_t subclass);

} // namespace DeviceManager
