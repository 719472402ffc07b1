// The device manager (docs/devices.md#the-device-manager): a user-space service that finds
// the machine's PCI functions through the PCI Express configuration window (ECAM) init
// hands it (or the legacy configuration ports where there is none), and answers what it found over its
// channel (Protocol.h) to clients such as lspci. Enumeration follows PCI-to-PCI bridges from bus 0 to the
// buses behind them.
//
// Start-up roles: PciConfiguration (an MmioRange over the window; its layout in
// RAEEN_PCI_ECAM: "segment base start_bus end_bus") or, on a machine without an MCFG,
// PciPorts (the legacy configuration ports 0xCF8-0xCFF); DeviceManagerServer.
//
// Matching drivers to the functions and starting them with the functions' resources comes
// next (issue M1.9).

#include <ABI/Memory.h>
#include <ABI/Signals.h>
#include <Userland/LibC/ServiceRequest.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/ThreadBlock.h>
#include <Userland/Services/DeviceManager/PciFunction.h>
#include <Userland/Services/DeviceManager/Protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

// Where configuration space is read from: the ECAM window (a bus at a time, mapped) or,
// on machines without an MCFG, the legacy configuration ports 0xCF8 and 0xCFC.
class ConfigurationSpace {
public:
    uint16_t segment { 0 };
    uint8_t start_bus { 0 };
    uint8_t end_bus { 255 };

    // Prepares to read `bus`; false when it cannot be read.
    virtual bool begin_bus(uint8_t bus) = 0;
    // One function's 256 bytes, a 32-bit read at a time (both mechanisms need aligned
    // accesses).
    virtual void read_function(uint8_t device, uint8_t function, uint8_t (&bytes)[256]) = 0;
    // One aligned register of a function of the current bus.
    virtual uint32_t read32(uint8_t device, uint8_t function, uint32_t offset) = 0;
    virtual void write32(uint8_t device, uint8_t function, uint32_t offset, uint32_t value) = 0;
    virtual void finish_bus() = 0;

protected:
    ~ConfigurationSpace() = default;
};

class EcamSpace final : public ConfigurationSpace {
public:
    uint32_t range { 0 }; // the MmioRange over the window
    uint64_t base { 0 }; // bus 0's address, even when start_bus is higher

    bool begin_bus(uint8_t bus) override
    {
        constexpr uint64_t bus_bytes = 1u << 20;
        m_memory = System::memory_object_create_physical(range, base + bus * bus_bytes, bus_bytes);
        if (m_memory <= 0)
            return false;
        int64_t address = System::vm_map(Runtime::process_handle(), static_cast<uint32_t>(m_memory), 0,
            bus_bytes, ABI::vm_read | ABI::vm_write);
        if (address <= 0) {
            (void)System::handle_close(static_cast<uint32_t>(m_memory));
            return false;
        }
        m_bus = reinterpret_cast<volatile uint32_t*>(address);
        return true;
    }
    uint32_t read32(uint8_t device, uint8_t function, uint32_t offset) override
    {
        return m_bus[((device << 15 | function << 12) + (offset & 0xFFC)) / 4];
    }
    void write32(uint8_t device, uint8_t function, uint32_t offset, uint32_t value) override
    {
        m_bus[((device << 15 | function << 12) + (offset & 0xFFC)) / 4] = value;
    }
    void read_function(uint8_t device, uint8_t function, uint8_t (&bytes)[256]) override
    {
        // The bus window is mapped uncached; the function's 4 KiB lie inside it.
        const volatile uint32_t* space = m_bus + ((device << 15 | function << 12) / 4);
        for (size_t offset = 0; offset < sizeof(bytes); offset += 4) {
            uint32_t value = space[offset / 4];
            memcpy(bytes + offset, &value, 4);
        }
    }
    void finish_bus() override
    {
        (void)System::vm_unmap(Runtime::process_handle(), reinterpret_cast<uint64_t>(m_bus), 1u << 20);
        (void)System::handle_close(static_cast<uint32_t>(m_memory));
    }

private:
    int64_t m_memory { 0 };
    volatile uint32_t* m_bus { nullptr };
};

class PortSpace final : public ConfigurationSpace {
public:
    uint32_t ports { 0 }; // an IoPortRange over 0xCF8-0xCFF

    bool begin_bus(uint8_t bus) override
    {
        m_bus = bus;
        return true;
    }
    void read_function(uint8_t device, uint8_t function, uint8_t (&bytes)[256]) override
    {
        for (uint32_t offset = 0; offset < sizeof(bytes); offset += 4) {
            uint32_t word = read32(device, function, offset);
            memcpy(bytes + offset, &word, 4);
        }
    }
    uint32_t read32(uint8_t device, uint8_t function, uint32_t offset) override
    {
        int64_t value = System::ioport_write(ports, address_port, 4, address(device, function, offset)) == 0
            ? System::ioport_read(ports, data_port, 4)
            : -1;
        return value < 0 ? 0xFFFFFFFFu : static_cast<uint32_t>(value);
    }
    void write32(uint8_t device, uint8_t function, uint32_t offset, uint32_t value) override
    {
        if (System::ioport_write(ports, address_port, 4, address(device, function, offset)) == 0)
            (void)System::ioport_write(ports, data_port, 4, value);
    }
    void finish_bus() override { }

private:
    static constexpr uint64_t address_port = 0xCF8;
    static constexpr uint64_t data_port = 0xCFC;

    uint32_t address(uint8_t device, uint8_t function, uint32_t offset) const
    {
        return 0x80000000u | static_cast<uint32_t>(m_bus) << 16 | static_cast<uint32_t>(device) << 11
            | static_cast<uint32_t>(function) << 8 | (offset & 0xFC);
    }

    uint8_t m_bus { 0 };
};

DeviceManager::FunctionRecord s_functions[DeviceManager::maximum_functions];
uint32_t s_function_count;
DeviceManager::WindowRecord s_windows[DeviceManager::maximum_windows];
uint32_t s_window_count;
bool s_bus_scanned[256];

// The sizes of a function's windows: each register is written all ones and read back (the
// bits that stay zero are the size's), then given its value again, with the function's
// decoding of memory and ports off meanwhile so that it answers nowhere half-programmed.
void probe_windows(ConfigurationSpace& space, uint8_t device, uint8_t function,
    DeviceManager::DecodedFunction& decoded, uint32_t function_index)
{
    constexpr uint32_t command_register = 0x04;
    constexpr uint32_t decode_bits = 3; // I/O space and memory space
    int registers = decoded.header_type == 0 ? 6 : decoded.header_type == 1 ? 2 : 0;
    if (registers == 0)
        return;
    // The status register above the command is write-one-to-clear: zeros leave it alone.
    uint32_t command = space.read32(device, function, command_register) & 0xFFFF;
    space.write32(device, function, command_register, command & ~decode_bits);
    for (int index = 0; index < registers; ++index) {
        DeviceManager::Bar& bar = decoded.bars[index];
        uint32_t offset = 0x10 + 4 * static_cast<uint32_t>(index);
        uint32_t original_low = space.read32(device, function, offset);
        space.write32(device, function, offset, 0xFFFFFFFF);
        uint32_t mask_low = space.read32(device, function, offset);
        space.write32(device, function, offset, original_low);
        uint32_t mask_high = 0;
        if (bar.is_64_bit) {
            uint32_t original_high = space.read32(device, function, offset + 4);
            space.write32(device, function, offset + 4, 0xFFFFFFFF);
            mask_high = space.read32(device, function, offset + 4);
            space.write32(device, function, offset + 4, original_high);
        }
        bar.size = DeviceManager::bar_size(bar, mask_low, mask_high);
        if (bar.size != 0 && s_window_count < DeviceManager::maximum_windows) {
            uint8_t flags = static_cast<uint8_t>((bar.is_port ? DeviceManager::IsPort : 0)
                | (bar.is_64_bit ? DeviceManager::Is64Bit : 0)
                | (bar.prefetchable ? DeviceManager::Prefetchable : 0));
            s_windows[s_window_count++] = { static_cast<uint16_t>(function_index),
                static_cast<uint8_t>(index), flags, 0, bar.address, bar.size };
        }
        if (bar.is_64_bit)
            ++index; // its high half is the next register
    }
    space.write32(device, function, command_register, command);
}

// Scans one bus, adding the secondary buses of the bridges on it to `pending`.
void scan_bus(ConfigurationSpace& space, uint8_t bus, uint8_t* pending, int& pending_count)
{
    if (!space.begin_bus(bus))
        return;
    for (uint8_t device = 0; device < 32; ++device) {
        for (uint8_t function = 0; function < 8; ++function) {
            uint8_t bytes[256];
            space.read_function(device, function, bytes);
            DeviceManager::DecodedFunction decoded;
            if (!DeviceManager::decode_function(
                    bytes, sizeof(bytes), space.segment, bus, device, function, decoded)) {
                if (function == 0)
                    break; // no device here
                continue;
            }
            if (s_function_count < DeviceManager::maximum_functions) {
                probe_windows(space, device, function, decoded, s_function_count);
                s_functions[s_function_count++] = decoded.record;
            }
            // A PCI-to-PCI bridge: its secondary bus is at 0x19.
            uint8_t secondary = bytes[0x19];
            if (decoded.header_type == 1 && secondary >= space.start_bus && secondary <= space.end_bus
                && !s_bus_scanned[secondary]) {
                s_bus_scanned[secondary] = true;
                pending[pending_count++] = secondary;
            }
            // Functions 1-7 exist only on a multi-function device.
            if (function == 0 && !decoded.multifunction)
                break;
        }
    }
    space.finish_bus();
}

// Every bus reachable from the first through bridges, each once: a work list rather than
// recursion, so that a chain of bridges cannot exhaust the stack.
void scan_buses(ConfigurationSpace& space)
{
    uint8_t pending[256];
    int pending_count = 0;
    s_bus_scanned[space.start_bus] = true;
    pending[pending_count++] = space.start_bus;
    while (pending_count > 0) {
        uint8_t bus = pending[--pending_count];
        scan_bus(space, bus, pending, pending_count);
    }
}

EcamSpace s_ecam;
PortSpace s_ports;

// The configuration space init gave: the ECAM window, or else the legacy ports; null for
// neither.
ConfigurationSpace* configuration_space()
{
    const LibC::StartupHandle* range = LibC::startup_handle(LibC::HandleRole::PciConfiguration);
    const char* layout = getenv("RAEEN_PCI_ECAM");
    unsigned segment = 0, start_bus = 0, end_bus = 0;
    unsigned long long base = 0;
    if (range && layout && sscanf(layout, "%u %llx %u %u", &segment, &base, &start_bus, &end_bus) == 4
        && start_bus <= end_bus && end_bus <= 255) {
        s_ecam.range = range->handle;
        s_ecam.segment = static_cast<uint16_t>(segment);
        s_ecam.base = base;
        s_ecam.start_bus = static_cast<uint8_t>(start_bus);
        s_ecam.end_bus = static_cast<uint8_t>(end_bus);
        return &s_ecam;
    }
    if (const LibC::StartupHandle* ports = LibC::startup_handle(LibC::HandleRole::PciPorts)) {
        s_ports.ports = ports->handle;
        return &s_ports;
    }
    return nullptr;
}

// Serves one request: the list of the functions; an empty one for a request it does not
// know, so that its caller is not left waiting.
void serve(uint32_t channel)
{
    static uint8_t request_bytes[ABI::channel_maximum_message_bytes];
    static uint8_t reply[ABI::channel_maximum_message_bytes];
    static DeviceManager::FunctionList list;
    LibC::ServiceRequest request;
    if (!LibC::read_service_request(channel, request_bytes, request) || !request.wants_reply)
        return;
    // Emptied in place: a fresh FunctionList would be a temporary as large as the stack.
    (void)list.records.assign(Core::ReadonlyBytes());
    (void)list.windows.assign(Core::ReadonlyBytes());
    if (!Core::Ipc::decode<DeviceManager::ListFunctionsRequest>(request.bytes, {}).is_error()) {
        (void)list.records.assign(Core::ReadonlyBytes(
            reinterpret_cast<const uint8_t*>(s_functions), s_function_count * sizeof(s_functions[0])));
        (void)list.windows.assign(Core::ReadonlyBytes(
            reinterpret_cast<const uint8_t*>(s_windows), s_window_count * sizeof(s_windows[0])));
    }
    auto encoded = Core::Ipc::encode(list, request.transaction_id, Core::Bytes(reply, sizeof(reply)), {});
    if (!encoded.is_error())
        (void)System::channel_write(channel, reply, encoded.value().byte_count);
}

} // namespace

int main()
{
    const LibC::StartupHandle* server = LibC::startup_handle(LibC::HandleRole::DeviceManagerServer);
    if (!server) {
        System::debug_log("started without its channel");
        return 2;
    }
    if (ConfigurationSpace* space = configuration_space())
        scan_buses(*space);
    else
        System::debug_log("no PCI configuration space: no devices to list");
    char message[80];
    int length = snprintf(message, sizeof(message), "found %u PCI functions", s_function_count);
    System::debug_log(message, static_cast<size_t>(length));
    for (;;) {
        if (System::object_wait(server->handle, ABI::signal_bits(ABI::Signal::Readable), ABI::no_deadline)
            < 0)
            return 3;
        serve(server->handle);
    }
}
