// The NVMe driver (docs/devices.md#nvme): a user-space process the device manager starts for
// one NVM Express controller, with that controller's register window, its MSI-X vector and
// a channel. It brings the controller up with an admin queue, identifies it and its first
// namespace, creates one I/O queue pair, and serves namespace 1 over the block protocol,
// one command at a time.
//
// Start-up roles and arguments as every driver's (Userland/Drivers/Common/DeviceResources.h).
// Everything the controller writes (capabilities, completions, Identify data) is checked
// before it is believed (NvmeStructures.h). A controller that does not complete a command
// in time makes the driver exit with status 3, and the device manager's restart resets it.

#include <ABI/Memory.h>
#include <Userland/Drivers/Common/BlockServer.h>
#include <Userland/Drivers/Common/DeviceResources.h>
#include <Userland/Drivers/Nvme/NvmeStructures.h>
#include <Userland/Runtime/System.h>
#include <string.h>

namespace {

// Controller registers (NVMe 1.4, 3.1).
constexpr uint32_t register_capabilities = 0x00;
constexpr uint32_t register_configuration = 0x14;
constexpr uint32_t register_status = 0x1C;
constexpr uint32_t register_admin_queue_attributes = 0x24;
constexpr uint32_t register_admin_submission_queue = 0x28;
constexpr uint32_t register_admin_completion_queue = 0x30;
constexpr uint32_t doorbells = 0x1000;

constexpr uint32_t configuration_enable = 1u << 0;
// 64-byte submission entries (2^6) and 16-byte completion entries (2^4); 4 KiB pages (MPS
// 0); the NVM command set (CSS 0); round-robin arbitration.
constexpr uint32_t configuration_entry_sizes = 6u << 16 | 4u << 20;
constexpr uint32_t status_ready = 1u << 0;
constexpr uint32_t status_fatal = 1u << 1;

constexpr uint8_t admin_create_submission_queue = 0x01;
constexpr uint8_t admin_create_completion_queue = 0x05;
constexpr uint8_t admin_identify = 0x06;
constexpr uint8_t io_flush = 0x00;
constexpr uint8_t io_write = 0x01;
constexpr uint8_t io_read = 0x02;
constexpr uint32_t identify_namespace = 0;
constexpr uint32_t identify_controller = 1;
constexpr uint32_t namespace_id = 1;

constexpr uint64_t page_size = ABI::memory_page_size;
constexpr uint64_t command_timeout_ns = 5'000'000'000;
constexpr uint32_t admin_entries = 16;
constexpr uint32_t maximum_io_entries = 64;

// One DMA block, page by page: the two queue pairs, the Identify buffer, a PRP list and
// the data of a transfer.
constexpr uint64_t admin_submission_page = 0;
constexpr uint64_t admin_completion_page = 1;
constexpr uint64_t io_submission_page = 2;
constexpr uint64_t io_completion_page = 3;
constexpr uint64_t identify_page = 4;
constexpr uint64_t prp_list_page = 5;
constexpr uint64_t data_page = 8;
constexpr uint64_t dma_bytes = 16 * page_size;

struct Command {
    uint8_t opcode;
    uint32_t namespace_id;
    uint64_t prp1;
    uint64_t prp2;
    uint32_t dwords[6]; // command dwords 10-15
};

struct Queue {
    uint16_t id;
    uint32_t entries;
    uint8_t* submissions;
    uint8_t* completions;
    uint64_t submissions_physical;
    uint64_t completions_physical;
    uint32_t tail;
    uint32_t head;
    bool phase;
    uint16_t next_command_id;
};

Drivers::Device s_device;
volatile uint8_t* s_registers;
Nvme::Capabilities s_capabilities;
uint8_t* s_dma;
uint64_t s_dma_physical;
Queue s_admin;
Queue s_io;
Nvme::Namespace s_namespace;
Nvme::Controller s_controller;

uint32_t read32(uint32_t offset)
{
    return *reinterpret_cast<volatile uint32_t*>(s_registers + offset);
}

void write32(uint32_t offset, uint32_t value)
{
    *reinterpret_cast<volatile uint32_t*>(s_registers + offset) = value;
}

// 64-bit registers as two 32-bit accesses, low half first.
uint64_t read64(uint32_t offset)
{
    return read32(offset) | static_cast<uint64_t>(read32(offset + 4)) << 32;
}

void write64(uint32_t offset, uint64_t value)
{
    write32(offset, static_cast<uint32_t>(value));
    write32(offset + 4, static_cast<uint32_t>(value >> 32));
}

uint32_t submission_doorbell(const Queue& queue)
{
    return doorbells + 2u * queue.id * s_capabilities.doorbell_stride;
}

uint32_t completion_doorbell(const Queue& queue)
{
    return doorbells + (2u * queue.id + 1) * s_capabilities.doorbell_stride;
}

Queue make_queue(uint16_t id, uint32_t entries, uint64_t submission_page, uint64_t completion_page)
{
    Queue queue {};
    queue.id = id;
    queue.entries = entries;
    queue.submissions = s_dma + submission_page * page_size;
    queue.completions = s_dma + completion_page * page_size;
    queue.submissions_physical = s_dma_physical + submission_page * page_size;
    queue.completions_physical = s_dma_physical + completion_page * page_size;
    queue.phase = true; // the controller writes phase 1 on its first pass
    return queue;
}

// Waits, bounded, for the controller's ready bit to become `ready`.
bool wait_ready(bool ready)
{
    uint64_t give_up = System::clock_monotonic() + s_capabilities.ready_timeout_ns + command_timeout_ns;
    while (((read32(register_status) & status_ready) != 0) != ready) {
        // A fatal status is what the reset (waiting for not ready) is there to clear.
        if (ready && (read32(register_status) & status_fatal))
            return false;
        if (System::clock_monotonic() > give_up)
            return false;
        (void)System::thread_yield();
    }
    return true;
}

using Drivers::Outcome;

// Submits `command` on `queue` and waits for its completion; the result dword in `result`.
Outcome execute(Queue& queue, const Command& command, uint32_t* result = nullptr)
{
    uint16_t command_id = queue.next_command_id++;
    uint8_t entry[64] = {};
    entry[0] = command.opcode;
    entry[2] = static_cast<uint8_t>(command_id);
    entry[3] = static_cast<uint8_t>(command_id >> 8);
    memcpy(entry + 4, &command.namespace_id, 4);
    memcpy(entry + 24, &command.prp1, 8);
    memcpy(entry + 32, &command.prp2, 8);
    memcpy(entry + 40, command.dwords, sizeof(command.dwords));
    memcpy(queue.submissions + queue.tail * 64, entry, sizeof(entry));
    queue.tail = (queue.tail + 1) % queue.entries;
    // The entry is visible before the doorbell that hands it over.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    write32(submission_doorbell(queue), queue.tail);

    volatile uint8_t* slot = queue.completions + queue.head * 16;
    auto posted = [&] { return ((slot[14] & 1) != 0) == queue.phase; };
    if (!Drivers::wait_for_interrupt(s_device, System::clock_monotonic() + command_timeout_ns, posted))
        return Outcome::TimedOut;
    uint8_t raw[16];
    for (size_t index = 0; index < sizeof(raw); ++index)
        raw[index] = slot[index];
    Nvme::Completion completion = Nvme::decode_completion(raw);
    queue.head = (queue.head + 1) % queue.entries;
    if (queue.head == 0)
        queue.phase = !queue.phase;
    write32(completion_doorbell(queue), queue.head);
    // A completion of another command means the queue no longer matches what the driver
    // thinks it holds: nothing after it could be trusted.
    if (!Nvme::completes(completion, queue.id, command_id, queue.entries))
        return Outcome::Desynchronised;
    if (completion.status != 0)
        return Outcome::DeviceError;
    if (result)
        *result = completion.result;
    return Outcome::Done;
}

bool fail(const char* why)
{
    Drivers::log(s_device, "%s", why);
    return false;
}

bool start_controller()
{
    s_registers = Drivers::map_window(s_device, 0, 0x2000);
    if (!s_registers)
        return fail("its register window is missing or too small");
    s_capabilities = Nvme::decode_capabilities(read64(register_capabilities));
    if (!s_capabilities.supports_nvm_command_set || s_capabilities.minimum_page_size > page_size)
        return fail("the controller offers neither the NVM command set nor 4 KiB pages");
    // Four doorbells (two queue pairs) inside the mapped 8 KiB.
    if (doorbells + 4 * s_capabilities.doorbell_stride > 0x2000)
        return fail("the controller's doorbells lie past its first 8 KiB");
    s_dma = Drivers::allocate_dma(s_device, dma_bytes, s_dma_physical);
    if (!s_dma)
        return fail("no DMA memory");

    // Reset: disabled, then configured with the admin queues and enabled.
    write32(register_configuration, read32(register_configuration) & ~configuration_enable);
    if (!wait_ready(false))
        return fail("the controller does not stop");
    s_admin = make_queue(0, admin_entries, admin_submission_page, admin_completion_page);
    write32(register_admin_queue_attributes, (admin_entries - 1) << 16 | (admin_entries - 1));
    write64(register_admin_submission_queue, s_admin.submissions_physical);
    write64(register_admin_completion_queue, s_admin.completions_physical);
    write32(register_configuration, configuration_entry_sizes | configuration_enable);
    if (!wait_ready(true))
        return fail("the controller does not become ready");

    uint64_t identify_physical = s_dma_physical + identify_page * page_size;
    if (execute(s_admin, { admin_identify, 0, identify_physical, 0, { identify_controller } })
            != Outcome::Done
        || !Nvme::decode_controller(
            s_dma + identify_page * page_size, page_size, s_capabilities.minimum_page_size, s_controller))
        return fail("Identify Controller failed");
    if (execute(s_admin, { admin_identify, namespace_id, identify_physical, 0, { identify_namespace } })
            != Outcome::Done
        || !Nvme::decode_namespace(s_dma + identify_page * page_size, page_size, s_namespace))
        return fail("namespace 1 cannot be identified");
    if (s_controller.maximum_transfer_bytes != 0
        && s_controller.maximum_transfer_bytes < Block::maximum_transfer_bytes)
        return fail("the controller's largest transfer is smaller than a block request");

    uint32_t io_entries = s_capabilities.maximum_queue_entries < maximum_io_entries
        ? s_capabilities.maximum_queue_entries
        : maximum_io_entries;
    s_io = make_queue(1, io_entries, io_submission_page, io_completion_page);
    // The completion queue first (physically contiguous, interrupts on vector 0), then the
    // submission queue that completes into it.
    constexpr uint32_t physically_contiguous = 1u << 0;
    constexpr uint32_t interrupts_enabled = 1u << 1;
    uint32_t size_and_id = (io_entries - 1) << 16 | s_io.id;
    if (execute(s_admin,
            { admin_create_completion_queue, 0, s_io.completions_physical, 0,
                { size_and_id, physically_contiguous | interrupts_enabled } })
            != Outcome::Done
        || execute(s_admin,
               { admin_create_submission_queue, 0, s_io.submissions_physical, 0,
                   { size_and_id, static_cast<uint32_t>(s_io.id) << 16 | physically_contiguous } })
            != Outcome::Done)
        return fail("the I/O queues cannot be created");
    return true;
}

Block::Status to_status(Outcome outcome)
{
    return Drivers::to_status(s_device, outcome);
}

class NvmeNamespace final : public Drivers::BlockDevice {
public:
    Block::GeometryReply geometry() const override
    {
        Block::GeometryReply geometry;
        geometry.block_count = s_namespace.block_count;
        geometry.block_size = s_namespace.block_size;
        geometry.queue_depth = static_cast<uint16_t>(s_io.entries);
        geometry.write_cache = s_controller.volatile_write_cache;
        (void)geometry.driver.assign(Core::StringView("nvme"));
        return geometry;
    }
    uint8_t* data_buffer() override { return s_dma + data_page * page_size; }
    Block::Status read(uint64_t first_block, uint32_t count) override
    {
        return transfer(io_read, first_block, count);
    }
    Block::Status write(uint64_t first_block, uint32_t count) override
    {
        return transfer(io_write, first_block, count);
    }
    Block::Status flush() override
    {
        // Without a volatile write cache every completed write is on the medium already.
        if (!s_controller.volatile_write_cache)
            return Block::Status::Ok;
        return to_status(execute(s_io, { io_flush, namespace_id, 0, 0, {} }));
    }

private:
    static Block::Status transfer(uint8_t opcode, uint64_t first_block, uint32_t count)
    {
        uint64_t prp1 = 0;
        uint64_t prp2 = 0;
        uint64_t list[8] = {};
        uint64_t bytes = static_cast<uint64_t>(count) * s_namespace.block_size;
        if (Nvme::build_prps(s_dma_physical + data_page * page_size, bytes,
                s_dma_physical + prp_list_page * page_size, list, prp1, prp2)
            == 0)
            return Block::Status::InvalidRequest;
        memcpy(s_dma + prp_list_page * page_size, list, sizeof(list));
        Command command { opcode, namespace_id, prp1, prp2,
            { static_cast<uint32_t>(first_block), static_cast<uint32_t>(first_block >> 32), count - 1 } };
        return to_status(execute(s_io, command));
    }
};

} // namespace

int main(int argc, char** argv)
{
    if (!Drivers::open_device("nvme", argc, argv, s_device) || !start_controller())
        return 2;
    Drivers::log(s_device, "namespace 1: %llu blocks of %u bytes, queue of %u%s",
        static_cast<unsigned long long>(s_namespace.block_count), s_namespace.block_size, s_io.entries,
        s_controller.volatile_write_cache ? ", write cache" : "");
    NvmeNamespace device;
    Drivers::serve_block_device(device, s_device.server);
    return 0;
}
