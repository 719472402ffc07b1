#include <ABI/Memory.h>
#include <ABI/Signals.h>
#include <Userland/Drivers/Common/DeviceResources.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/ThreadBlock.h>
#include <stdarg.h>
#include <stdio.h>

namespace Drivers {

namespace {

char s_name[48];

const LibC::StartupHandle* window_range(uint8_t register_index)
{
    return LibC::startup_handle(static_cast<LibC::HandleRole>(
        static_cast<uint32_t>(LibC::HandleRole::DeviceWindow0) + register_index));
}

} // namespace

void log(const Device& device, const char* format, ...)
{
    char message[192];
    int length = snprintf(message, sizeof(message), "%s: ", device.name);
    va_list arguments;
    va_start(arguments, format);
    length += vsnprintf(message + length, sizeof(message) - static_cast<size_t>(length), format, arguments);
    va_end(arguments);
    if (length > static_cast<int>(sizeof(message)) - 1)
        length = sizeof(message) - 1;
    (void)System::debug_log(message, static_cast<size_t>(length));
}

bool open_device(const char* driver, int argc, char** argv, Device& device)
{
    snprintf(s_name, sizeof(s_name), "%s %s", driver, argc >= 2 ? argv[1] : "?");
    device.name = s_name;
    const LibC::StartupHandle* configuration = LibC::startup_handle(LibC::HandleRole::DeviceConfiguration);
    const LibC::StartupHandle* interrupt = LibC::startup_handle(LibC::HandleRole::DeviceInterrupt);
    const LibC::StartupHandle* server = LibC::startup_handle(LibC::HandleRole::BlockServer);
    if (!configuration || !interrupt || !server) {
        log(device, "started without its device's resources");
        return false;
    }
    device.interrupt = interrupt->handle;
    device.server = server->handle;
    if (System::memory_object_read(
            configuration->handle, 0, device.configuration, sizeof(device.configuration))
            != 0
        || !DeviceManager::decode_function(
            device.configuration, sizeof(device.configuration), 0, 0, 0, 0, device.function)) {
        log(device, "its configuration bytes are unreadable");
        return false;
    }
    return true;
}

volatile uint8_t* map_window(const Device& device, uint8_t register_index, uint64_t size)
{
    if (register_index >= 6 || size == 0)
        return nullptr;
    const DeviceManager::Bar& bar = device.function.bars[register_index];
    const LibC::StartupHandle* range = window_range(register_index);
    if (!bar.present || bar.is_port || !range)
        return nullptr;
    // The device manager narrowed the window rounded out to whole pages; the kernel refuses
    // a mapping past that range, so a window smaller than `size` fails here.
    uint64_t page = ABI::memory_page_size;
    uint64_t first_page = bar.address & ~(page - 1);
    uint64_t lead = bar.address - first_page;
    uint64_t mapped_size = (lead + size + page - 1) & ~(page - 1);
    int64_t memory = System::memory_object_create_physical(range->handle, first_page, mapped_size);
    if (memory < 0)
        return nullptr;
    int64_t address = System::vm_map(Runtime::process_handle(), static_cast<uint32_t>(memory), 0, mapped_size,
        ABI::vm_read | ABI::vm_write);
    (void)System::handle_close(static_cast<uint32_t>(memory));
    return address > 0 ? reinterpret_cast<volatile uint8_t*>(address) + lead : nullptr;
}

uint8_t* allocate_dma(const Device& device, uint64_t size, uint64_t& physical)
{
    const LibC::StartupHandle* pci_device = LibC::startup_handle(LibC::HandleRole::DevicePci);
    if (!pci_device) {
        log(device, "started without its PCI device: no DMA memory");
        return nullptr;
    }
    int64_t memory = System::pci_device_create_dma(pci_device->handle, size, &physical);
    if (memory < 0)
        return nullptr;
    int64_t address = System::vm_map(
        Runtime::process_handle(), static_cast<uint32_t>(memory), 0, size, ABI::vm_read | ABI::vm_write);
    (void)System::handle_close(static_cast<uint32_t>(memory));
    return address > 0 ? reinterpret_cast<uint8_t*>(address) : nullptr;
}

bool wait_interrupt_once(const Device& device, uint64_t deadline)
{
    if (System::object_wait(device.interrupt, ABI::signal_bits(ABI::Signal::Triggered), deadline) < 0)
        return false;
    (void)System::interrupt_ack(device.interrupt);
    return true;
}

} // namespace Drivers
