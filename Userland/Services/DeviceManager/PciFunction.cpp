#include <Userland/Services/DeviceManager/PciFunction.h>
#include <stdio.h>
#include <string.h>

namespace DeviceManager {

namespace {

uint16_t read16(const uint8_t* space, size_t offset)
{
    return static_cast<uint16_t>(space[offset] | space[offset + 1] << 8);
}

uint32_t read32(const uint8_t* space, size_t offset)
{
    return static_cast<uint32_t>(read16(space, offset))
        | static_cast<uint32_t>(read16(space, offset + 2)) << 16;
}

constexpr uint8_t capability_msi = 0x05;
constexpr uint8_t capability_pci_express = 0x10;
constexpr uint8_t capability_msi_x = 0x11;
constexpr uint16_t status_capabilities_list = 1u << 4;

} // namespace

bool decode_function(const uint8_t* space, size_t length, uint16_t segment, uint8_t bus, uint8_t device,
    uint8_t function, DecodedFunction& decoded)
{
    if (length < configuration_header_size)
        return false;
    uint16_t vendor_id = read16(space, 0x00);
    if (is_absent(vendor_id))
        return false;
    decoded = DecodedFunction {};
    FunctionRecord& record = decoded.record;
    record.segment = segment;
    record.bus = bus;
    record.device = device;
    record.function = function;
    record.vendor_id = vendor_id;
    record.device_id = read16(space, 0x02);
    record.revision = space[0x08];
    record.programming_interface = space[0x09];
    record.subclass = space[0x0A];
    record.class_code = space[0x0B];
    decoded.header_type = space[0x0E] & 0x7F;
    decoded.multifunction = (space[0x0E] & 0x80) != 0;
    record.interrupt_pin = space[0x3D] <= 4 ? space[0x3D] : 0;
    // Base address registers: six in a device's header, two in a bridge's, none in others.
    int bar_registers = decoded.header_type == 0 ? 6 : decoded.header_type == 1 ? 2 : 0;
    if (decoded.header_type == 0) {
        record.subsystem_vendor_id = read16(space, 0x2C);
        record.subsystem_id = read16(space, 0x2E);
    }
    for (int index = 0; index < bar_registers; ++index) {
        uint32_t low = read32(space, 0x10 + 4 * static_cast<size_t>(index));
        Bar& bar = decoded.bars[index];
        if (low & 1) {
            bar.is_port = true;
            bar.address = low & ~uint32_t(3);
        } else {
            uint32_t type = (low >> 1) & 3;
            bar.prefetchable = (low & 8) != 0;
            bar.address = low & ~uint32_t(15);
            // A 64-bit window takes the next register as its high half (none past the last).
            if (type == 2 && index + 1 < bar_registers) {
                bar.is_64_bit = true;
                bar.address |= static_cast<uint64_t>(read32(space, 0x10 + 4 * static_cast<size_t>(index + 1)))
                    << 32;
                ++index;
            }
        }
        bar.present = bar.address != 0;
        if (bar.present)
            ++record.bar_count;
    }
    // The capability list: pointers into the device-specific part (0x40 up), four-byte
    // aligned, at most one visit per possible slot, so a loop in it ends.
    if ((read16(space, 0x06) & status_capabilities_list) && length >= configuration_space_size) {
        uint8_t pointer = space[decoded.header_type == 2 ? 0x14 : 0x34] & 0xFC;
        for (int visited = 0; visited < 48 && pointer >= 0x40; ++visited) {
            uint8_t id = space[pointer];
            if (id == capability_msi && !(record.capabilities & HasMsi)) {
                record.capabilities |= HasMsi;
                decoded.msi_offset = pointer;
            } else if (id == capability_msi_x && !(record.capabilities & HasMsiX)) {
                record.capabilities |= HasMsiX;
                decoded.msi_x_offset = pointer;
            } else if (id == capability_pci_express)
                record.capabilities |= IsPciExpress;
            pointer = space[pointer + 1] & 0xFC;
        }
    }
    return true;
}

int find_capabilities(const uint8_t* space, size_t length, uint8_t id, uint8_t* offsets, int capacity)
{
    if (length < configuration_space_size || !(read16(space, 0x06) & status_capabilities_list))
        return 0;
    int found = 0;
    uint8_t pointer = space[(space[0x0E] & 0x7F) == 2 ? 0x14 : 0x34] & 0xFC;
    for (int visited = 0; visited < 48 && pointer >= 0x40; ++visited) {
        if (space[pointer] == id && found < capacity)
            offsets[found++] = pointer;
        pointer = space[pointer + 1] & 0xFC;
    }
    return found;
}

uint64_t bar_size(const Bar& bar, uint32_t mask_low, uint32_t mask_high)
{
    // The size is the lowest address bit that took the ones (sizes are powers of two and
    // windows aligned to them); a device that reads back anything else, or a window that
    // would run past the end of its address space, counts as implementing nothing.
    if (bar.is_port) {
        // Port windows decode 16 bits; the low two are flags.
        uint32_t mask = (mask_low & ~uint32_t(3)) & 0xFFFF;
        if (mask == 0)
            return 0;
        uint32_t size = mask & (~mask + 1);
        return bar.address + size > 0x10000 ? 0 : size;
    }
    uint64_t mask = mask_low & ~uint32_t(15);
    if (bar.is_64_bit)
        mask |= static_cast<uint64_t>(mask_high) << 32;
    else
        mask |= 0xFFFFFFFF00000000ull;
    if (mask == 0xFFFFFFFF00000000ull || mask == 0)
        return 0;
    uint64_t size = mask & (~mask + 1);
    // Every bit above the size must have taken the ones, as a real decoder's do.
    if ((mask | (size - 1)) != ~uint64_t(0))
        return 0;
    uint64_t limit = bar.is_64_bit ? ~uint64_t(0) : 0xFFFFFFFFull;
    return bar.address > limit - (size - 1) ? 0 : size;
}

const char* driver_for(const FunctionRecord& record)
{
    constexpr uint16_t virtio_vendor = 0x1AF4;
    constexpr uint16_t virtio_block_modern = 0x1042;
    // Mass storage (1), non-volatile memory (8), NVM Express (programming interface 2).
    constexpr uint8_t mass_storage = 0x01;
    constexpr uint8_t non_volatile_memory = 0x08;
    constexpr uint8_t nvm_express = 0x02;
    // Mass storage, SATA (6), AHCI 1.0 (programming interface 1).
    constexpr uint8_t sata = 0x06;
    constexpr uint8_t ahci = 0x01;
    if (record.vendor_id == virtio_vendor && record.device_id == virtio_block_modern)
        return "/bin/virtio-blk";
    if (record.class_code == mass_storage && record.subclass == non_volatile_memory
        && record.programming_interface == nvm_express)
        return "/bin/nvme";
    if (record.class_code == mass_storage && record.subclass == sata && record.programming_interface == ahci)
        return "/bin/ahci";
    return nullptr;
}

bool block_device_name(const char* driver, uint32_t index, char (&name)[12])
{
    for (char& character : name)
        character = 0;
    if (!driver)
        return false;
    // Linux's names, so that a user finds what they expect: vda, vdb, ...; nvme0n1 (the
    // first namespace of controller 0), nvme1n1, ...
    if (strcmp(driver, "/bin/nvme") == 0) {
        if (index >= 100)
            return false;
        snprintf(name, sizeof(name), "nvme%un1", index);
        return true;
    }
    if (index >= 26)
        return false;
    bool is_ahci = strcmp(driver, "/bin/ahci") == 0;
    name[0] = is_ahci ? 's' : 'v';
    name[1] = 'd';
    name[2] = static_cast<char>('a' + index);
    return true;
}

const char* class_name(uint8_t class_code, uint8_t subclass)
{
    struct Name {
        uint8_t class_code;
        uint8_t subclass; // 0xFF: any
        const char* name;
    };
    static constexpr Name names[] = {
        { 0x01, 0x00, "SCSI storage controller" },
        { 0x01, 0x01, "IDE interface" },
        { 0x01, 0x06, "SATA controller" },
        { 0x01, 0x08, "Non-Volatile memory controller" },
        { 0x01, 0xFF, "Mass storage controller" },
        { 0x02, 0x00, "Ethernet controller" },
        { 0x02, 0xFF, "Network controller" },
        { 0x03, 0x00, "VGA compatible controller" },
        { 0x03, 0xFF, "Display controller" },
        { 0x04, 0xFF, "Multimedia controller" },
        { 0x05, 0xFF, "Memory controller" },
        { 0x06, 0x00, "Host bridge" },
        { 0x06, 0x01, "ISA bridge" },
        { 0x06, 0x04, "PCI bridge" },
        { 0x06, 0xFF, "Bridge" },
        { 0x07, 0x00, "Serial controller" },
        { 0x07, 0xFF, "Communication controller" },
        { 0x08, 0xFF, "System peripheral" },
        { 0x09, 0xFF, "Input device controller" },
        { 0x0C, 0x03, "USB controller" },
        { 0x0C, 0x05, "SMBus" },
        { 0x0C, 0xFF, "Serial bus controller" },
        { 0x0D, 0xFF, "Wireless controller" },
    };
    for (const Name& name : names) {
        if (name.class_code == class_code && (name.subclass == subclass || name.subclass == 0xFF))
            return name.name;
    }
    return "Unknown device";
}

} // namespace DeviceManager
