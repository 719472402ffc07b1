// Fuzz target: PCI configuration space as a device wrote it (Userland/Services/DeviceManager/
// PciFunction.h). Whatever the bytes, decoding reads only inside them, ends (the capability
// list may loop), and reports at most six windows.

#include <Userland/Services/DeviceManager/PciFunction.h>
#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::vector<uint8_t> space(data, data + size);
    DeviceManager::DecodedFunction decoded;
    if (!DeviceManager::decode_function(space.data(), space.size(), 0, 0, 0, 0, decoded))
        return 0;
    if (decoded.record.bar_count > 6 || decoded.record.interrupt_pin > 4 || decoded.header_type > 0x7F)
        __builtin_trap();
    (void)DeviceManager::class_name(decoded.record.class_code, decoded.record.subclass);
    return 0;
}
