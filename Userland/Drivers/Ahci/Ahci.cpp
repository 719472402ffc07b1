// The AHCI driver (docs/devices.md#ahci): a user-space process the device manager starts for
// one AHCI (SATA) controller, with that controller's register window (ABAR, window 5), its
// MSI vector and a channel. It serves the controller's first SATA disk over the block
// protocol, one command at a time, through command slot 0 of the disk's port. A controller
// with no disk (q35's own, which holds only the boot CD) is logged and the driver exits
// with DeviceManager::driver_found_nothing, and is not started again.
//
// Start-up roles and arguments as every driver's (Userland/Drivers/Common/DeviceResources.h).
// What the controller and disk report is checked before it is believed (AhciStructures.h).
// A command that does not complete in time makes the driver exit with status 3, and the
// device manager's restart sets the port up again.

#include <ABI/Memory.h>
#include <Userland/Drivers/Ahci/AhciStructures.h>
#include <Userland/Drivers/Common/BlockServer.h>
#include <Userland/Drivers/Common/DeviceResources.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/DeviceManager/Protocol.h>
#include <string.h>

namespace {

// Generic host control registers (AHCI 1.3.1, 3.1).
constexpr uint32_t host_capabilities = 0x00;
constexpr uint32_t capability_64_bit = 1u << 31;
constexpr uint32_t host_control = 0x04;
constexpr uint32_t host_interrupt_status = 0x08;
constexpr uint32_t ports_implemented = 0x0C;
constexpr uint32_t host_control_interrupts = 1u << 1;
constexpr uint32_t host_control_ahci_enable = 1u << 31;

// Port registers, from 0x100 + 0x80 per port (3.3).
constexpr uint32_t port_command_list = 0x00;
constexpr uint32_t port_fis_base = 0x08;
constexpr uint32_t port_interrupt_status = 0x10;
constexpr uint32_t port_interrupt_enable = 0x14;
constexpr uint32_t port_command = 0x18;
constexpr uint32_t port_task_file = 0x20;
constexpr uint32_t port_signature = 0x24;
constexpr uint32_t port_sata_status = 0x28;
constexpr uint32_t port_sata_error = 0x30;
constexpr uint32_t port_command_issue = 0x38;

constexpr uint32_t command_start = 1u << 0;
constexpr uint32_t command_fis_receive = 1u << 4;
constexpr uint32_t command_fis_running = 1u << 14;
constexpr uint32_t command_list_running = 1u << 15;
constexpr uint32_t task_file_error = 1u << 0;
constexpr uint32_t task_file_busy = (1u << 7) | (1u << 3); // BSY, DRQ
constexpr uint32_t interrupt_task_file_error = 1u << 30;
// Errors after which the port stops processing commands (AHCI 6.2.2.1): task file, host
// bus fatal, host bus data and interface fatal.
constexpr uint32_t interrupt_fatal = interrupt_task_file_error | (1u << 29) | (1u << 28) | (1u << 27);
// Device-to-host register, PIO setup, DMA setup and set-device-bits FISes, and the fatal
// errors.
constexpr uint32_t interrupts_wanted = 0xFu | interrupt_fatal;

constexpr uint64_t page_size = ABI::memory_page_size;
constexpr uint64_t registers_mapped = 0x1000;
constexpr uint64_t command_timeout_ns = 5'000'000'000;
constexpr uint64_t port_stop_timeout_ns = 500'000'000;

// One DMA block, page by page: the command list (1 KiB) and received FISes (256 bytes), the
// command table, the IDENTIFY data, and a transfer's data.
constexpr uint64_t command_list_page = 0;
constexpr uint64_t received_fis_offset = 1024;
constexpr uint64_t command_table_page = 1;
constexpr uint64_t identify_page = 2;
constexpr uint64_t data_page = 8;
constexpr uint64_t dma_bytes = 16 * page_size;

Drivers::Device s_device;
volatile uint8_t* s_registers;
uint32_t s_port;
uint8_t* s_dma;
uint64_t s_dma_physical;
Ahci::Identity s_identity;

uint32_t read_host(uint32_t offset)
{
    return *reinterpret_cast<volatile uint32_t*>(s_registers + offset);
}

void write_host(uint32_t offset, uint32_t value)
{
    *reinterpret_cast<volatile uint32_t*>(s_registers + offset) = value;
}

uint32_t read_port(uint32_t offset)
{
    return read_host(0x100 + 0x80 * s_port + offset);
}

void write_port(uint32_t offset, uint32_t value)
{
    write_host(0x100 + 0x80 * s_port + offset, value);
}

// Waits, bounded, until `(read_port(offset) & mask) == 0`.
bool wait_port_clear(uint32_t offset, uint32_t mask, uint64_t timeout_ns)
{
    uint64_t give_up = System::clock_monotonic() + timeout_ns;
    while (read_port(offset) & mask) {
        if (System::clock_monotonic() > give_up)
            return false;
        (void)System::thread_yield();
    }
    return true;
}

bool fail(const char* why)
{
    Drivers::log(s_device, "%s", why);
    return false;
}

// The first implemented port with a disk on it, or false.
bool find_disk()
{
    uint32_t implemented = read_host(ports_implemented);
    // Ports past the mapped registers are not looked at (a 4 KiB ABAR holds 30).
    for (uint32_t port = 0; port < 30; ++port) {
        if (!(implemented & (1u << port)))
            continue;
        s_port = port;
        if (Ahci::classify_port(read_port(port_signature), read_port(port_sata_status))
            == Ahci::Attached::Disk)
            return true;
    }
    return false;
}

// Stops the port, gives it this driver's command list and FIS area, and starts it again.
bool start_port()
{
    write_port(port_command, read_port(port_command) & ~command_start);
    if (!wait_port_clear(port_command, command_list_running, port_stop_timeout_ns))
        return fail("the port's command list does not stop");
    write_port(port_command, read_port(port_command) & ~command_fis_receive);
    if (!wait_port_clear(port_command, command_fis_running, port_stop_timeout_ns))
        return fail("the port's FIS receive does not stop");
    uint64_t command_list = s_dma_physical + command_list_page * page_size;
    uint64_t received_fis = command_list + received_fis_offset;
    write_port(port_command_list, static_cast<uint32_t>(command_list));
    write_port(port_command_list + 4, static_cast<uint32_t>(command_list >> 32));
    write_port(port_fis_base, static_cast<uint32_t>(received_fis));
    write_port(port_fis_base + 4, static_cast<uint32_t>(received_fis >> 32));
    // Errors and interrupts left by the firmware or a previous driver are cleared.
    write_port(port_sata_error, 0xFFFFFFFF);
    write_port(port_interrupt_status, 0xFFFFFFFF);
    write_host(host_interrupt_status, 1u << s_port);
    write_port(port_interrupt_enable, interrupts_wanted);
    write_port(port_command, read_port(port_command) | command_fis_receive);
    if (!wait_port_clear(port_task_file, task_file_busy, command_timeout_ns))
        return fail("the disk stays busy");
    write_port(port_command, read_port(port_command) | command_start);
    write_host(host_control, read_host(host_control) | host_control_interrupts);
    return true;
}

// After a fatal error the port has stopped taking commands: it is stopped and started
// again, its errors cleared (AHCI 6.2.2.1). False when it will not stop.
bool recover_port()
{
    write_port(port_command, read_port(port_command) & ~command_start);
    if (!wait_port_clear(port_command, command_list_running, port_stop_timeout_ns))
        return false;
    write_port(port_sata_error, 0xFFFFFFFF);
    write_port(port_interrupt_status, 0xFFFFFFFF);
    write_host(host_interrupt_status, 1u << s_port);
    if (!wait_port_clear(port_task_file, task_file_busy, command_timeout_ns))
        return false;
    write_port(port_command, read_port(port_command) | command_start);
    return true;
}

using Drivers::Outcome;

// Runs one command through slot 0: `bytes` of data at `data_physical` (none for a flush).
Outcome issue(
    uint8_t command, uint64_t lba, uint16_t count, uint64_t data_physical, uint32_t bytes, bool writes)
{
    uint8_t* table = s_dma + command_table_page * page_size;
    uint8_t fis[20];
    Ahci::build_command_fis(command, lba, count, fis);
    memset(table, 0, 0x80 + 16);
    memcpy(table, fis, sizeof(fis));
    uint16_t regions = bytes != 0 ? 1 : 0;
    if (regions) {
        // One region: the data are contiguous. The byte count is zero-based.
        uint32_t entry[4] = { static_cast<uint32_t>(data_physical),
            static_cast<uint32_t>(data_physical >> 32), 0, bytes - 1 };
        memcpy(table + 0x80, entry, sizeof(entry));
    }
    uint64_t table_physical = s_dma_physical + command_table_page * page_size;
    uint32_t header[8] = { Ahci::command_header_flags(writes, regions), 0,
        static_cast<uint32_t>(table_physical), static_cast<uint32_t>(table_physical >> 32), 0, 0, 0, 0 };
    memcpy(s_dma + command_list_page * page_size, header, sizeof(header));
    // The header and table are visible before the issue bit that hands them over.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    write_port(port_command_issue, 1);
    bool finished = Drivers::wait_for_interrupt(s_device, System::clock_monotonic() + command_timeout_ns, [] {
        return !(read_port(port_command_issue) & 1)
            || (read_port(port_interrupt_status) & interrupt_task_file_error);
    });
    uint32_t status = read_port(port_interrupt_status);
    // Acknowledged at the port, then at the controller, so the next completion interrupts.
    write_port(port_interrupt_status, status);
    write_host(host_interrupt_status, 1u << s_port);
    if (!finished)
        return Outcome::TimedOut;
    if (status & interrupt_fatal) {
        // The command failed, and the port waits to be restarted before the next one.
        return recover_port() ? Outcome::DeviceError : Outcome::TimedOut;
    }
    if (read_port(port_task_file) & task_file_error)
        return Outcome::DeviceError;
    return Outcome::Done;
}

Block::Status to_status(Outcome outcome)
{
    return Drivers::to_status(s_device, outcome);
}

class AhciDisk final : public Drivers::BlockDevice {
public:
    Block::GeometryReply geometry() const override
    {
        Block::GeometryReply geometry;
        geometry.block_count = s_identity.sector_count;
        geometry.block_size = s_identity.sector_size;
        geometry.queue_depth = 1;
        geometry.write_cache = s_identity.write_cache;
        (void)geometry.driver.assign(Core::StringView("ahci"));
        return geometry;
    }
    uint8_t* data_buffer() override { return s_dma + data_page * page_size; }
    Block::Status read(uint64_t first_block, uint32_t count) override
    {
        return transfer(Ahci::command_read_dma_ext, first_block, count, false);
    }
    Block::Status write(uint64_t first_block, uint32_t count) override
    {
        return transfer(Ahci::command_write_dma_ext, first_block, count, true);
    }
    Block::Status flush() override
    {
        return to_status(issue(Ahci::command_flush_cache_ext, 0, 0, 0, 0, false));
    }

private:
    static Block::Status transfer(uint8_t command, uint64_t first_block, uint32_t count, bool writes)
    {
        return to_status(issue(command, first_block, static_cast<uint16_t>(count),
            s_dma_physical + data_page * page_size, count * s_identity.sector_size, writes));
    }
};

} // namespace

int main(int argc, char** argv)
{
    if (!Drivers::open_device("ahci", argc, argv, s_device))
        return 2;
    s_registers = Drivers::map_window(s_device, 5, registers_mapped);
    if (!s_registers) {
        Drivers::log(s_device, "its register window (ABAR) is missing or smaller than 4 KiB");
        return 2;
    }
    write_host(host_control, read_host(host_control) | host_control_ahci_enable);
    if (!find_disk()) {
        Drivers::log(s_device, "no SATA disk on this controller");
        return DeviceManager::driver_found_nothing;
    }
    s_dma = Drivers::allocate_dma(s_device, dma_bytes, s_dma_physical);
    // A controller that addresses 32 bits only would drop the upper half of the addresses.
    if (s_dma && !(read_host(host_capabilities) & capability_64_bit)
        && s_dma_physical + dma_bytes > (1ull << 32)) {
        Drivers::log(s_device, "its DMA memory lies above 4 GiB and the controller addresses 32 bits only");
        return 2;
    }
    if (!s_dma || !start_port())
        return 2;
    if (issue(Ahci::command_identify, 0, 0, s_dma_physical + identify_page * page_size, 512, false)
            != Outcome::Done
        || !Ahci::decode_identity(s_dma + identify_page * page_size, 512, s_identity)) {
        Drivers::log(s_device, "the disk on port %u does not identify itself as a 48-bit ATA disk", s_port);
        return 2;
    }
    if (s_identity.sector_size > Block::maximum_transfer_bytes) {
        Drivers::log(s_device, "its sectors are larger than a block request");
        return 2;
    }
    Drivers::log(s_device, "port %u: %llu sectors of %u bytes%s", s_port,
        static_cast<unsigned long long>(s_identity.sector_count), s_identity.sector_size,
        s_identity.write_cache ? ", write cache" : "");
    AhciDisk disk;
    Drivers::serve_block_device(disk, s_device.server);
    return 0;
}
