#pragma once

// What an AHCI controller and its SATA disks tell their driver (AHCI 1.3.1, ATA/ATAPI-8
// ACS), decoded without trusting it, and the structures the driver builds for them: the
// command FIS and the command header. Pure, so that host tests and a fuzz target
// (Tests/Fuzz/AhciFuzzer.cpp) cover them.

#include <stddef.h>
#include <stdint.h>

namespace Ahci {

// What a port's signature (PxSIG) and status (PxSSTS) say is attached.
enum class Attached { Nothing, Disk, Other };
Attached classify_port(uint32_t signature, uint32_t sata_status);

// IDENTIFY DEVICE's 512 bytes: the sector count through 48-bit addressing, the logical
// sector size, and the volatile write cache. False for a device without 48-bit
// addressing, of no sectors or more than 48 bits can address, or with a sector size that is not a power of
// two from 512 to 64 KiB.
struct Identity {
    uint64_t sector_count;
    uint32_t sector_size;
    bool write_cache;
};
bool decode_identity(const uint8_t* data, size_t length, Identity& result);

// The ATA commands the driver sends.
inline constexpr uint8_t command_identify = 0xEC;
inline constexpr uint8_t command_read_dma_ext = 0x25;
inline constexpr uint8_t command_write_dma_ext = 0x35;
inline constexpr uint8_t command_flush_cache_ext = 0xEA;

// A host-to-device register FIS (20 bytes, type 0x27) for `command` at `lba` (48 bits)
// over `count` sectors.
void build_command_fis(uint8_t command, uint64_t lba, uint16_t count, uint8_t (&fis)[20]);

// Command header DW0: a 5-dword FIS, `writes` for data to the device, `regions` PRDT
// entries.
uint32_t command_header_flags(bool writes, uint16_t regions);

} // namespace Ahci
