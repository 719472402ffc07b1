// The device manager (docs/devices.md#the-device-manager): a user-space service that finds
// the machine's PCI functions through the PCI Express configuration window (ECAM) init
// hands it (or the legacy configuration ports where there is none), and answers what it found over its
// channel (Protocol.h) to clients such as lspci. Enumeration follows PCI-to-PCI bridges from bus 0 to the
// buses behind them.
//
// It matches drivers to the functions (driver_for) and starts each driver with exactly its
// function's resources: MmioRanges over its windows, an MSI or MSI-X interrupt the device
// manager programs into the device, its configuration bytes, and the server end of a
// channel whose client end the device manager hands to clients (lsblk). A driver that ends
// is started again, after a delay that doubles with each failure in a row.
//
// Start-up roles: PciConfiguration (an MmioRange over the window; its layout in
// RAEEN_PCI_ECAM: "segment base start_bus end_bus") or, on a machine without an MCFG,
// PciPorts (the legacy configuration ports 0xCF8-0xCFF); DeviceManagerServer; and, to start
// drivers, DeviceMemory (the MMIO root), DeviceInterrupts (the interrupt lines' root) and
// Ramdisk (the programs).

#include <ABI/Memory.h>
#include <ABI/Rights.h>
#include <ABI/Signals.h>
#include <Userland/LibC/Launch.h>
#include <Userland/LibC/Ramdisk.h>
#include <Userland/LibC/ServiceRequest.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/ThreadBlock.h>
#include <Userland/Services/DeviceManager/PciFunction.h>
#include <Userland/Services/DeviceManager/Protocol.h>
#include <Userland/Services/DeviceManager/Watchdog.h>
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
//
// Except for a display controller: its framebuffer is in use (the console draws into it on
// another CPU), and moving or switching off its window under those writes is wrong on real
// hardware and crashes QEMU (a vCPU's access races the memory map's change). Its windows
// are listed where they are, not sized.
void probe_windows(ConfigurationSpace& space, uint8_t device, uint8_t function,
    DeviceManager::DecodedFunction& decoded, uint32_t function_index)
{
    constexpr uint32_t command_register = 0x04;
    constexpr uint32_t decode_bits = 3; // I/O space and memory space
    constexpr uint8_t display_controller = 0x03;
    int registers = decoded.header_type == 0 ? 6 : decoded.header_type == 1 ? 2 : 0;
    if (registers == 0)
        return;
    if (decoded.record.class_code == display_controller) {
        for (int index = 0; index < registers; ++index) {
            const DeviceManager::Bar& bar = decoded.bars[index];
            if (bar.present && s_window_count < DeviceManager::maximum_windows) {
                uint8_t flags = static_cast<uint8_t>(DeviceManager::NotSized
                    | (bar.is_port ? DeviceManager::IsPort : 0) | (bar.is_64_bit ? DeviceManager::Is64Bit : 0)
                    | (bar.prefetchable ? DeviceManager::Prefetchable : 0));
                s_windows[s_window_count++] = { static_cast<uint16_t>(function_index),
                    static_cast<uint8_t>(index), flags, 0, bar.address, 0 };
            }
            if (bar.is_64_bit)
                ++index;
        }
        return;
    }
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

// A function a driver was matched to, and its driver.
struct DriverInstance {
    DeviceManager::BlockDeviceRecord record;
    const char* program;
    char address[16]; // "00:03.0", the driver's argument
    uint8_t bus, device, function;
    uint8_t configuration[256]; // as the driver is given it
    // Kept across restarts: the device is programmed once with the interrupt's message, and
    // each start gets duplicates of these.
    uint32_t interrupt;
    uint32_t windows[6]; // narrowed MmioRanges (0: none)
    // The running driver (0: none), the client end of its channel and the device manager's
    // end of its health checks (0: none), and when it is due a check or given up on.
    uint32_t process;
    uint32_t client_end;
    uint32_t health_end;
    DeviceManager::Watchdog watchdog;
    // Killed for not answering: its end is awaited, not checked again.
    bool ending;
    uint32_t failures_in_a_row;
    uint64_t started_ns;
    uint64_t restart_at_ns;
};

constexpr uint32_t maximum_drivers = 16;
DriverInstance s_drivers[maximum_drivers];
uint32_t s_driver_count;
uint32_t s_device_memory;
uint32_t s_device_interrupts;
const LibC::StartupHandle* s_ramdisk;
// Where configuration space is read and written (after the scan too: a driver's end turns
// its function's bus mastering off).
ConfigurationSpace* s_space;

constexpr uint64_t millisecond = 1'000'000;
constexpr uint64_t first_restart_delay = 100 * millisecond;
constexpr uint64_t longest_restart_delay = 5'000 * millisecond;
// A driver that ran this long before it ended is not failing in a row.
constexpr uint64_t healthy_run = 10'000 * millisecond;

void log(const char* format, const char* first = "", const char* second = "")
{
    char message[160];
    int length = snprintf(message, sizeof(message), format, first, second);
    if (length > 0)
        (void)System::debug_log(message,
            static_cast<size_t>(length) < sizeof(message) ? static_cast<size_t>(length)
                                                          : sizeof(message) - 1);
}

constexpr uint32_t bus_master = 1u << 2;

// Turns the function's bus mastering (its DMA) on for a driver that starts, or off for one
// that ended: its DMA memory goes with it, and a device still working on a request must not
// write into frames that are someone else's by now.
void set_bus_master(const DriverInstance& instance, bool on)
{
    constexpr uint32_t command_register = 0x04;
    if (!s_space || !s_space->begin_bus(instance.bus))
        return;
    uint32_t command = s_space->read32(instance.device, instance.function, command_register) & 0xFFFF;
    command = on ? command | bus_master : command & ~bus_master;
    s_space->write32(instance.device, instance.function, command_register, command);
    s_space->finish_bus();
}

// Writes the interrupt's message into the device's MSI-X table entry 0 (mapped through the
// MMIO root for the moment) or its MSI capability, and enables it. False when the device
// has neither, or its table is outside its windows.
bool program_interrupt(ConfigurationSpace& space, uint8_t device, uint8_t function,
    const DeviceManager::DecodedFunction& decoded, const ABI::InterruptMessage& message)
{
    if (uint8_t capability = decoded.msi_x_offset) {
        // The capability's three registers must lie inside the 256 bytes read.
        if (capability + 12u > 0x100)
            return false;
        uint32_t table = space.read32(device, function, capability + 4u);
        uint8_t table_register = static_cast<uint8_t>(table & 7);
        uint64_t table_offset = table & ~uint32_t(7);
        if (table_register >= 6 || !decoded.bars[table_register].present
            || decoded.bars[table_register].is_port || table_offset + 16 > decoded.bars[table_register].size)
            return false;
        uint64_t entry = decoded.bars[table_register].address + table_offset;
        uint64_t page = entry & ~(ABI::memory_page_size - 1);
        // One page is mapped: an entry the device placed across a page boundary is refused.
        if ((entry & (ABI::memory_page_size - 1)) + 16 > ABI::memory_page_size)
            return false;
        int64_t memory = System::memory_object_create_physical(s_device_memory, page, ABI::memory_page_size);
        if (memory < 0)
            return false;
        int64_t mapped = System::vm_map(Runtime::process_handle(), static_cast<uint32_t>(memory), 0,
            ABI::memory_page_size, ABI::vm_read | ABI::vm_write);
        (void)System::handle_close(static_cast<uint32_t>(memory));
        if (mapped <= 0)
            return false;
        // The entry: address low and high, data, vector control (bit 0 masks; cleared).
        auto* words = reinterpret_cast<volatile uint32_t*>(mapped + static_cast<int64_t>(entry - page));
        words[0] = static_cast<uint32_t>(message.address);
        words[1] = static_cast<uint32_t>(message.address >> 32);
        words[2] = message.data;
        words[3] = 0;
        (void)System::vm_unmap(
            Runtime::process_handle(), static_cast<uint64_t>(mapped), ABI::memory_page_size);
        // Message control: enable (bit 15), function mask (bit 14) off.
        uint32_t header = space.read32(device, function, capability);
        uint32_t control = ((header >> 16) | 0x8000u) & ~0x4000u;
        space.write32(device, function, capability, (header & 0xFFFF) | control << 16);
        return true;
    }
    if (uint8_t capability = decoded.msi_offset) {
        uint32_t header = space.read32(device, function, capability);
        uint32_t control = header >> 16;
        bool is_64_bit = (control & 0x80) != 0;
        bool per_vector_masking = (control & 0x100) != 0;
        // The capability's registers (with the mask and pending bits when it has them) must
        // lie inside the 256 bytes read.
        uint32_t length = (is_64_bit ? 14u : 10u) + (per_vector_masking ? 10u : 0u);
        if (capability + length > 0x100)
            return false;
        if (per_vector_masking) {
            // Vector 0 unmasked, whatever the firmware left.
            uint32_t mask_register = capability + (is_64_bit ? 0x10u : 0x0Cu);
            space.write32(
                device, function, mask_register, space.read32(device, function, mask_register) & ~1u);
        }
        space.write32(device, function, capability + 4u, static_cast<uint32_t>(message.address));
        if (is_64_bit)
            space.write32(device, function, capability + 8u, static_cast<uint32_t>(message.address >> 32));
        space.write32(device, function, capability + (is_64_bit ? 12u : 8u), message.data & 0xFFFF);
        // One vector (multiple message enable, bits 6-4, zero), enabled (bit 0).
        control = (control & ~0x70u) | 1u;
        space.write32(device, function, capability, (header & 0xFFFF) | control << 16);
        return true;
    }
    return false;
}

// Prepares a matched function for its driver while its bus is open: windows narrowed,
// interrupt made and programmed, memory decoding and bus mastering on, legacy interrupts
// off, configuration bytes kept.
void prepare_driver(ConfigurationSpace& space, uint8_t device, uint8_t function,
    const DeviceManager::DecodedFunction& decoded, const char* program)
{
    if (s_driver_count == maximum_drivers || !s_device_memory || !s_device_interrupts || !s_ramdisk)
        return;
    DriverInstance& instance = s_drivers[s_driver_count];
    instance = DriverInstance {};
    instance.program = program;
    snprintf(
        instance.address, sizeof(instance.address), "%02x:%02x.%x", decoded.record.bus, device, function);
    instance.bus = decoded.record.bus;
    instance.device = device;
    instance.function = function;
    uint32_t index_for_driver = 0;
    for (uint32_t other = 0; other < s_driver_count; ++other)
        index_for_driver += s_drivers[other].program == program ? 1 : 0;
    if (!DeviceManager::block_device_name(program, index_for_driver, instance.record.name))
        return;
    instance.record.function_index = static_cast<uint16_t>(s_function_count);
    for (int index = 0; index < 6; ++index) {
        const DeviceManager::Bar& bar = decoded.bars[index];
        if (!bar.present || bar.is_port || bar.size == 0)
            continue;
        uint64_t first = bar.address & ~(ABI::memory_page_size - 1);
        uint64_t end = (bar.address + bar.size + ABI::memory_page_size - 1) & ~(ABI::memory_page_size - 1);
        int64_t range = System::resource_narrow(s_device_memory, first, end - first);
        if (range > 0)
            instance.windows[index] = static_cast<uint32_t>(range);
    }
    // Memory decoding on (the MSI-X table is in a window) and legacy interrupts off; bus
    // mastering waits for a driver (set_bus_master).
    constexpr uint32_t command_register = 0x04;
    constexpr uint32_t memory_space = 1u << 1;
    constexpr uint32_t legacy_interrupt_disable = 1u << 10;
    uint32_t command = space.read32(device, function, command_register) & 0xFFFF & ~bus_master;
    space.write32(device, function, command_register, command | memory_space | legacy_interrupt_disable);
    ABI::InterruptMessage message {};
    int64_t interrupt = System::interrupt_create_message(s_device_interrupts, &message);
    if (interrupt <= 0 || !program_interrupt(space, device, function, decoded, message)) {
        char detail[32];
        snprintf(detail, sizeof(detail), "%lld", static_cast<long long>(interrupt));
        log("%s: no MSI or MSI-X interrupt for the driver (%s); not started", instance.address, detail);
        if (interrupt > 0)
            (void)System::handle_close(static_cast<uint32_t>(interrupt));
        for (uint32_t window : instance.windows)
            if (window)
                (void)System::handle_close(window);
        return;
    }
    instance.interrupt = static_cast<uint32_t>(interrupt);
    space.read_function(device, function, instance.configuration);
    ++s_driver_count;
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
                if (const char* program = DeviceManager::driver_for(decoded.record))
                    prepare_driver(space, device, function, decoded, program);
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

// Starts the instance's driver with duplicates of its resources and a new channel; on
// failure it is tried again later, as after a crash.
void start_driver(DriverInstance& instance, uint64_t now)
{
    LibC::RamdiskNode program;
    uint32_t ends[2] = { 0, 0 };
    uint32_t handles[12];
    LibC::LaunchHandle roles[12];
    uint32_t count = 0;
    auto add = [&](uint32_t source, ABI::Rights rights, LibC::HandleRole role) {
        int64_t duplicated = System::handle_duplicate(source, rights.raw());
        if (duplicated <= 0)
            return false;
        handles[count] = static_cast<uint32_t>(duplicated);
        roles[count] = { role, 0 };
        ++count;
        return true;
    };
    bool ok = LibC::ramdisk_lookup(instance.program, program) == 0 && !program.is_directory;
    // The configuration bytes, in a memory object the driver may only read.
    int64_t configuration = ok ? System::memory_object_create(ABI::memory_page_size) : -1;
    ok = ok && configuration > 0
        && System::memory_object_write(static_cast<uint32_t>(configuration), 0, instance.configuration,
               sizeof(instance.configuration))
            == 0;
    ok = ok
        && add(static_cast<uint32_t>(configuration), ABI::Right::Read | ABI::Right::Transfer,
            LibC::HandleRole::DeviceConfiguration);
    if (configuration > 0)
        (void)System::handle_close(static_cast<uint32_t>(configuration));
    ok = ok
        && add(instance.interrupt, ABI::Right::Wait | ABI::Right::Signal | ABI::Right::Transfer,
            LibC::HandleRole::DeviceInterrupt);
    // The function as a DMA master: the driver's DMA memory is made through it, and with an
    // IOMMU that memory is all the device can reach. A new one each start; the function's
    // domain lives on while the old driver's memory does.
    uint16_t segment = s_ecam.range ? s_ecam.segment : 0;
    int64_t pci_device = ok
        ? System::pci_device_create(s_device_interrupts,
            ABI::pci_device_address(segment, instance.bus, instance.device, instance.function))
        : -1;
    ok = ok && pci_device > 0
        && add(static_cast<uint32_t>(pci_device), ABI::Right::Map | ABI::Right::Transfer,
            LibC::HandleRole::DevicePci);
    if (pci_device > 0)
        (void)System::handle_close(static_cast<uint32_t>(pci_device));
    for (uint32_t index = 0; ok && index < 6; ++index) {
        if (instance.windows[index])
            ok = add(instance.windows[index],
                ABI::Right::Read | ABI::Right::Write | ABI::Right::Map | ABI::Right::Transfer,
                static_cast<LibC::HandleRole>(
                    static_cast<uint32_t>(LibC::HandleRole::DeviceWindow0) + index));
    }
    ok = ok && System::channel_create(ABI::ChannelQos::LatencySensitive, ends) == 0;
    if (ok) {
        handles[count] = ends[1];
        roles[count] = { LibC::HandleRole::BlockServer, 0 };
        ++count;
        ends[1] = 0;
    }
    // Health checks go on a channel of their own, so that they never wait behind requests.
    uint32_t health[2] = { 0, 0 };
    ok = ok && System::channel_create(ABI::ChannelQos::BestEffort, health) == 0;
    if (ok) {
        handles[count] = health[1];
        roles[count] = { LibC::HandleRole::DriverHealth, 0 };
        ++count;
        health[1] = 0;
    }
    const char* arguments[] = { instance.program, instance.address, nullptr };
    int64_t process = -1;
    if (ok) {
        set_bus_master(instance, true);
        // launch_program takes the handles, and closes them if it fails.
        process = LibC::launch_program(
            instance.record.name, program.data, program.size, arguments, nullptr, handles, roles, count);
        count = 0;
    }
    for (uint32_t index = 0; index < count; ++index)
        (void)System::handle_close(handles[index]);
    ++instance.record.starts;
    if (process <= 0) {
        set_bus_master(instance, false);
        if (ends[0])
            (void)System::handle_close(ends[0]);
        if (health[0])
            (void)System::handle_close(health[0]);
        log("%s: the driver %s could not be started", instance.record.name, instance.program);
        ++instance.failures_in_a_row;
        instance.record.state = DeviceManager::Restarting;
        uint64_t delay = first_restart_delay
            << (instance.failures_in_a_row < 6 ? instance.failures_in_a_row - 1 : 5);
        instance.restart_at_ns = now + (delay < longest_restart_delay ? delay : longest_restart_delay);
        return;
    }
    instance.process = static_cast<uint32_t>(process);
    instance.client_end = ends[0];
    instance.health_end = health[0];
    instance.ending = false;
    instance.watchdog.started(now);
    instance.started_ns = now;
    instance.record.state = DeviceManager::Running;
    log("%s: started %s", instance.record.name, instance.program);
}

// The driver ended: its clients' channel closes with it (their calls in flight fail with
// PeerClosed), and it is started again after a delay.
void driver_ended(DriverInstance& instance, uint64_t now)
{
    set_bus_master(instance, false);
    int64_t status = 0;
    (void)System::process_wait(instance.process, &status, 0);
    (void)System::handle_close(instance.process);
    instance.process = 0;
    if (instance.client_end) {
        (void)System::handle_close(instance.client_end);
        instance.client_end = 0;
    }
    if (instance.health_end) {
        (void)System::handle_close(instance.health_end);
        instance.health_end = 0;
    }
    if (status == DeviceManager::driver_found_nothing) {
        instance.record.state = DeviceManager::Stopped;
        instance.restart_at_ns = ABI::no_deadline;
        log("%s: the driver found nothing to drive; not started again", instance.record.name);
        return;
    }
    if (now - instance.started_ns >= healthy_run)
        instance.failures_in_a_row = 0;
    ++instance.failures_in_a_row;
    uint32_t shift = instance.failures_in_a_row < 7 ? instance.failures_in_a_row - 1 : 6;
    uint64_t delay = first_restart_delay << shift;
    if (delay > longest_restart_delay)
        delay = longest_restart_delay;
    instance.restart_at_ns = now + delay;
    instance.record.state = DeviceManager::Restarting;
    char detail[64];
    snprintf(detail, sizeof(detail), "status %lld; restarting in %llu ms", static_cast<long long>(status),
        static_cast<unsigned long long>(delay / millisecond));
    log("%s: the driver ended with %s", instance.record.name, detail);
}

// Reads the driver's health answers, sends a check when one is due, and kills a driver that
// has not answered its check in time (the restart path then takes over, as for a crash).
void look_after(DriverInstance& instance, uint64_t now)
{
    static uint64_t s_sequence;
    for (;;) {
        uint8_t bytes[64];
        ABI::ChannelReadBuffer buffer { reinterpret_cast<uint64_t>(bytes), sizeof(bytes), 0, 0, 0, 0 };
        if (System::channel_read(instance.health_end, &buffer) != 0)
            break;
        auto answer = Core::Ipc::decode<DeviceManager::HealthAnswer>(
            Core::ReadonlyBytes(bytes, buffer.byte_count), {});
        if (!answer.is_error())
            instance.watchdog.answered(answer.value().message.sequence);
    }
    if (instance.watchdog.is_hung(now)) {
        log("%s: the driver has not answered its health check in 10 s; ending it", instance.record.name);
        (void)System::process_kill(instance.process);
        instance.ending = true;
        return;
    }
    if (instance.watchdog.check_due(now)) {
        DeviceManager::HealthCheck check { ++s_sequence };
        uint8_t bytes[64];
        auto encoded = Core::Ipc::encode(check, 0, Core::Bytes(bytes, sizeof(bytes)), {});
        if (!encoded.is_error()
            && System::channel_write(instance.health_end, bytes, encoded.value().byte_count) == 0)
            instance.watchdog.check_sent(now, s_sequence);
    }
}

uint8_t s_request_bytes[ABI::channel_maximum_message_bytes];
uint8_t s_reply[ABI::channel_maximum_message_bytes];

template<typename Reply>
void send(uint32_t channel, const Reply& reply, uint64_t transaction_id, uint32_t* handles = nullptr,
    size_t handle_count = 0)
{
    uint32_t encoded_handles[1] = { 0 };
    auto encoded = Core::Ipc::encode(reply, transaction_id, Core::Bytes(s_reply, sizeof(s_reply)),
        Core::Span<ABI::HandleValue>(encoded_handles, handle_count));
    if (encoded.is_error()) {
        for (size_t index = 0; index < handle_count; ++index)
            (void)System::handle_close(handles[index]);
        return;
    }
    if (System::channel_write(
            channel, s_reply, encoded.value().byte_count, encoded_handles, encoded.value().handle_count)
        < 0) {
        for (size_t index = 0; index < encoded.value().handle_count; ++index)
            (void)System::handle_close(encoded_handles[index]);
    }
}

// Serves one request: the list of the functions, of the block devices, or a block device's
// channel; an empty function list for a request it does not know, so that its caller is
// not left waiting.
void serve(uint32_t channel)
{
    static DeviceManager::FunctionList list;
    static DeviceManager::BlockDeviceList devices;
    LibC::ServiceRequest request;
    if (!LibC::read_service_request(channel, s_request_bytes, request) || !request.wants_reply)
        return;
    if (!Core::Ipc::decode<DeviceManager::ListBlockDevicesRequest>(request.bytes, {}).is_error()) {
        DeviceManager::BlockDeviceRecord records[maximum_drivers];
        for (uint32_t index = 0; index < s_driver_count; ++index)
            records[index] = s_drivers[index].record;
        (void)devices.records.assign(Core::ReadonlyBytes(
            reinterpret_cast<const uint8_t*>(records), s_driver_count * sizeof(records[0])));
        send(channel, devices, request.transaction_id);
        return;
    }
    if (auto open = Core::Ipc::decode<DeviceManager::OpenBlockDeviceRequest>(request.bytes, {});
        !open.is_error()) {
        Core::StringView wanted = open.value().message.name.view();
        for (uint32_t index = 0; index < s_driver_count; ++index) {
            DriverInstance& instance = s_drivers[index];
            if (!instance.client_end || wanted != Core::StringView(instance.record.name))
                continue;
            int64_t duplicate = System::handle_duplicate(instance.client_end,
                (ABI::Right::Read | ABI::Right::Write | ABI::Right::Wait | ABI::Right::Transfer).raw());
            if (duplicate <= 0)
                break;
            DeviceManager::BlockDeviceChannel reply;
            reply.channel.value = static_cast<uint32_t>(duplicate);
            uint32_t handle = static_cast<uint32_t>(duplicate);
            send(channel, reply, request.transaction_id, &handle, 1);
            return;
        }
        send(channel, DeviceManager::BlockDeviceMissing {}, request.transaction_id);
        return;
    }
    // Emptied in place: a fresh FunctionList would be a temporary as large as the stack.
    (void)list.records.assign(Core::ReadonlyBytes());
    (void)list.windows.assign(Core::ReadonlyBytes());
    if (!Core::Ipc::decode<DeviceManager::ListFunctionsRequest>(request.bytes, {}).is_error()) {
        (void)list.records.assign(Core::ReadonlyBytes(
            reinterpret_cast<const uint8_t*>(s_functions), s_function_count * sizeof(s_functions[0])));
        (void)list.windows.assign(Core::ReadonlyBytes(
            reinterpret_cast<const uint8_t*>(s_windows), s_window_count * sizeof(s_windows[0])));
    }
    send(channel, list, request.transaction_id);
}

} // namespace

int main()
{
    const LibC::StartupHandle* server = LibC::startup_handle(LibC::HandleRole::DeviceManagerServer);
    if (!server) {
        System::debug_log("started without its channel");
        return 2;
    }
    if (const LibC::StartupHandle* memory = LibC::startup_handle(LibC::HandleRole::DeviceMemory))
        s_device_memory = memory->handle;
    if (const LibC::StartupHandle* lines = LibC::startup_handle(LibC::HandleRole::DeviceInterrupts))
        s_device_interrupts = lines->handle;
    s_ramdisk = LibC::startup_handle(LibC::HandleRole::Ramdisk);
    s_space = configuration_space();
    if (s_space)
        scan_buses(*s_space);
    else
        System::debug_log("no PCI configuration space: no devices to list");
    char message[80];
    int length = snprintf(message, sizeof(message), "found %u PCI functions", s_function_count);
    System::debug_log(message, static_cast<size_t>(length));
    for (uint32_t index = 0; index < s_driver_count; ++index)
        start_driver(s_drivers[index], System::clock_monotonic());
    constexpr uint32_t readable = ABI::signal_bits(ABI::Signal::Readable);
    constexpr uint32_t terminated = ABI::signal_bits(ABI::Signal::Terminated);
    for (;;) {
        // The channel, each running driver, and the nearest restart as the deadline.
        // The channel, then for each running driver its process and its health channel.
        ABI::WaitItem items[1 + 2 * maximum_drivers];
        DriverInstance* watched[1 + 2 * maximum_drivers];
        uint32_t count = 0;
        items[count++] = { server->handle, readable, 0 };
        uint64_t deadline = ABI::no_deadline;
        for (uint32_t index = 0; index < s_driver_count; ++index) {
            DriverInstance& instance = s_drivers[index];
            if (instance.process) {
                watched[count] = &instance;
                items[count++] = { instance.process, terminated, 0 };
                if (instance.health_end && !instance.ending) {
                    watched[count] = &instance;
                    items[count++] = { instance.health_end, readable, 0 };
                    if (instance.watchdog.next_deadline() < deadline)
                        deadline = instance.watchdog.next_deadline();
                }
            } else if (instance.record.state != DeviceManager::Stopped && instance.restart_at_ns < deadline) {
                deadline = instance.restart_at_ns;
            }
        }
        int64_t woken = System::object_wait_many(items, count, deadline);
        if (woken < 0 && woken != System::failure(ABI::ErrorCode::TimedOut))
            return 3;
        uint64_t now = System::clock_monotonic();
        for (uint32_t index = 1; index < count; ++index) {
            if (items[index].wanted == terminated && (items[index].observed & terminated))
                driver_ended(*watched[index], now);
        }
        for (uint32_t index = 0; index < s_driver_count; ++index) {
            if (s_drivers[index].process && s_drivers[index].health_end && !s_drivers[index].ending)
                look_after(s_drivers[index], now);
        }
        for (uint32_t index = 0; index < s_driver_count; ++index) {
            DriverInstance& instance = s_drivers[index];
            if (!instance.process && instance.record.state != DeviceManager::Stopped
                && instance.restart_at_ns <= now)
                start_driver(instance, now);
        }
        if (items[0].observed & readable)
            serve(server->handle);
    }
}
