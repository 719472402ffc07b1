// The device manager (docs/devices.md#the-device-manager): a user-space service that finds
// the machine's PCI functions through the PCI Express configuration window (ECAM) init
// hands it, and answers what it found over its channel (Protocol.h) to clients such as
// lspci. Enumeration follows PCI-to-PCI bridges from bus 0 to the buses behind them.
//
// Start-up roles: PciConfiguration (an MmioRange over the window; its layout in
// RAEEN_PCI_ECAM: "segment base start_bus end_bus"), DeviceManagerServer.
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

struct Window {
    uint32_t range; // the MmioRange over the window
    uint16_t segment;
    uint64_t base; // bus 0's address, even when start_bus is higher
    uint8_t start_bus;
    uint8_t end_bus;
};

DeviceManager::FunctionRecord s_functions[DeviceManager::maximum_functions];
uint32_t s_function_count;
bool s_bus_scanned[256];

// Reads one function's 256 bytes of configuration space, a 32-bit read at a time (ECAM
// needs aligned accesses), from a bus window mapped uncached.
void read_configuration(const volatile uint32_t* function_space, uint8_t (&bytes)[256])
{
    for (size_t offset = 0; offset < sizeof(bytes); offset += 4) {
        uint32_t value = function_space[offset / 4];
        memcpy(bytes + offset, &value, 4);
    }
}

// Maps bus `bus`'s 1 MiB of configuration space; null when it cannot be.
const volatile uint32_t* map_bus(const Window& window, uint8_t bus, int64_t& memory)
{
    constexpr uint64_t bus_bytes = 1u << 20;
    memory = System::memory_object_create_physical(window.range, window.base + bus * bus_bytes, bus_bytes);
    if (memory <= 0)
        return nullptr;
    int64_t address = System::vm_map(
        Runtime::process_handle(), static_cast<uint32_t>(memory), 0, bus_bytes, ABI::vm_read);
    if (address <= 0) {
        (void)System::handle_close(static_cast<uint32_t>(memory));
        return nullptr;
    }
    return reinterpret_cast<const volatile uint32_t*>(address);
}

// Scans one bus, adding the secondary buses of the bridges on it to `pending`.
void scan_bus(const Window& window, uint8_t bus, uint8_t* pending, int& pending_count)
{
    int64_t memory = 0;
    const volatile uint32_t* space = map_bus(window, bus, memory);
    if (!space)
        return;
    for (uint8_t device = 0; device < 32; ++device) {
        for (uint8_t function = 0; function < 8; ++function) {
            const volatile uint32_t* function_space = space + ((device << 15 | function << 12) / 4);
            uint8_t bytes[256];
            read_configuration(function_space, bytes);
            DeviceManager::DecodedFunction decoded;
            if (!DeviceManager::decode_function(
                    bytes, sizeof(bytes), window.segment, bus, device, function, decoded)) {
                if (function == 0)
                    break; // no device here
                continue;
            }
            if (s_function_count < DeviceManager::maximum_functions)
                s_functions[s_function_count++] = decoded.record;
            // A PCI-to-PCI bridge: its secondary bus is at 0x19.
            uint8_t secondary = bytes[0x19];
            if (decoded.header_type == 1 && secondary >= window.start_bus && secondary <= window.end_bus
                && !s_bus_scanned[secondary]) {
                s_bus_scanned[secondary] = true;
                pending[pending_count++] = secondary;
            }
            // Functions 1-7 exist only on a multi-function device.
            if (function == 0 && !decoded.multifunction)
                break;
        }
    }
    (void)System::vm_unmap(Runtime::process_handle(), reinterpret_cast<uint64_t>(space), 1u << 20);
    (void)System::handle_close(static_cast<uint32_t>(memory));
}

// Every bus reachable from the window's first through bridges, each once: a work list
// rather than recursion, so that a chain of bridges cannot exhaust the stack.
void scan_buses(const Window& window)
{
    uint8_t pending[256];
    int pending_count = 0;
    s_bus_scanned[window.start_bus] = true;
    pending[pending_count++] = window.start_bus;
    while (pending_count > 0) {
        uint8_t bus = pending[--pending_count];
        scan_bus(window, bus, pending, pending_count);
    }
}

bool read_window(Window& window)
{
    const LibC::StartupHandle* range = LibC::startup_handle(LibC::HandleRole::PciConfiguration);
    const char* layout = getenv("RAEEN_PCI_ECAM");
    unsigned segment = 0, start_bus = 0, end_bus = 0;
    unsigned long long base = 0;
    if (!range || !layout || sscanf(layout, "%u %llx %u %u", &segment, &base, &start_bus, &end_bus) != 4
        || start_bus > end_bus || end_bus > 255)
        return false;
    window = { range->handle, static_cast<uint16_t>(segment), base, static_cast<uint8_t>(start_bus),
        static_cast<uint8_t>(end_bus) };
    return true;
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
    list = DeviceManager::FunctionList {};
    if (!Core::Ipc::decode<DeviceManager::ListFunctionsRequest>(request.bytes, {}).is_error()) {
        (void)list.records.assign(Core::ReadonlyBytes(
            reinterpret_cast<const uint8_t*>(s_functions), s_function_count * sizeof(s_functions[0])));
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
    Window window {};
    if (read_window(window))
        scan_buses(window);
    else
        System::debug_log("no PCI configuration window: no devices to list");
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
