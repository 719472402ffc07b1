// Fuzz target: what a SATA disk answers to IDENTIFY DEVICE and what an AHCI port reports
// (Userland/Drivers/Ahci/AhciStructures.h). Whatever the bytes, decoding reads only inside
// them, and an accepted identity is one the driver can address.

#include <Userland/Drivers/Ahci/AhciStructures.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::vector<uint8_t> bytes(data, data + size);
    Ahci::Identity identity;
    if (Ahci::decode_identity(bytes.data(), bytes.size(), identity)
        && (identity.sector_count == 0 || identity.sector_size < 512 || identity.sector_size > 65536
            || (identity.sector_size & (identity.sector_size - 1)) != 0))
        __builtin_trap();
    if (size >= 8) {
        uint32_t signature;
        uint32_t status;
        std::memcpy(&signature, data, 4);
        std::memcpy(&status, data + 4, 4);
        if (Ahci::classify_port(signature, status) == Ahci::Attached::Disk && (status & 0xF) != 3)
            __builtin_trap();
    }
    return 0;
}
