// The virtio-blk driver (docs/devices.md#block-devices): a user-space process the device
// manager starts for one virtio 1.x block device, with exactly that device's resources. It
// sets the device up (one request queue, its MSI-X vector), then serves the block protocol
// (Userland/Services/Block/Protocol.h) on its channel, one request at a time.
//
// Start-up roles: DeviceConfiguration (the function's 256 configuration bytes),
// DeviceWindow0-5 (MmioRanges over its windows), DeviceInterrupt (its MSI-X vector 0),
// BlockServer. Arguments: the program name and the function's address ("00:03.0"), for
// messages.
//
// Everything the device writes (its configuration, the used ring) is checked before it is
// believed (VirtioPci.h). A device that does not answer within request_timeout_ns makes
// the driver exit with status 3: the device manager restarts it, which resets the device.

#include <ABI/Memory.h>
#include <Userland/Drivers/Common/BlockServer.h>
#include <Userland/Drivers/Common/DeviceResources.h>
#include <Userland/Drivers/VirtioBlock/VirtioPci.h>
#include <Userland/Runtime/System.h>
#include <string.h>

namespace {

// Common configuration registers (virtio 1.1, 4.1.4.3).
constexpr uint32_t device_feature_select = 0;
constexpr uint32_t device_feature = 4;
constexpr uint32_t driver_feature_select = 8;
constexpr uint32_t driver_feature = 12;
constexpr uint32_t config_msix_vector = 16;
constexpr uint32_t device_status = 20;
constexpr uint32_t queue_select = 22;
constexpr uint32_t queue_size_register = 24;
constexpr uint32_t queue_msix_vector = 26;
constexpr uint32_t queue_enable = 28;
constexpr uint32_t queue_notify_off = 30;
constexpr uint32_t queue_descriptors = 32;
constexpr uint32_t queue_driver = 40;
constexpr uint32_t queue_device = 48;

constexpr uint8_t status_acknowledge = 1;
constexpr uint8_t status_driver = 2;
constexpr uint8_t status_driver_ok = 4;
constexpr uint8_t status_features_ok = 8;
constexpr uint8_t status_failed = 128;

constexpr uint64_t feature_read_only = 1ull << 5;
constexpr uint64_t feature_flush = 1ull << 9;
constexpr uint64_t feature_version_1 = 1ull << 32;

constexpr uint16_t no_vector = 0xFFFF;
constexpr uint16_t descriptor_next = 1;
constexpr uint16_t descriptor_device_writes = 2;

constexpr uint32_t request_in = 0;
constexpr uint32_t request_out = 1;
constexpr uint32_t request_flush = 4;
constexpr uint8_t request_status_ok = 0;

constexpr uint32_t sector_size = 512;
// Enough for one request in flight, which is all this driver keeps; the device may offer
// more, and the geometry reports what the queue holds.
constexpr uint16_t maximum_queue_size = 64;
constexpr uint64_t request_timeout_ns = 5'000'000'000;
constexpr uint64_t page_size = ABI::memory_page_size;

struct Descriptor {
    uint64_t address;
    uint32_t length;
    uint16_t flags;
    uint16_t next;
};
static_assert(sizeof(Descriptor) == 16);

struct RequestHeader {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

// The request buffer, in DMA memory: the header the device reads, the data, the status byte
// the device writes.
constexpr uint64_t header_offset = 0;
constexpr uint64_t status_offset = 16;
constexpr uint64_t data_offset = page_size;
constexpr uint64_t request_buffer_size = data_offset + Block::maximum_transfer_bytes;

Drivers::Device s_device;
// The windows the structures are in, mapped, and how far.
volatile uint8_t* s_windows[6];
uint64_t s_window_sizes[6];
Virtio::Layout s_layout;
volatile uint8_t* s_common;
volatile uint8_t* s_device_configuration;
volatile uint16_t* s_notify;
uint16_t s_queue_size;
// The queue's three parts and the request buffer, by their addresses here and the device's.
volatile uint8_t* s_ring;
uint64_t s_ring_physical;
Virtio::RingLayout s_ring_layout;
volatile uint8_t* s_buffer;
uint64_t s_buffer_physical;
uint16_t s_available_index;
uint16_t s_used_index;
bool s_read_only;
bool s_has_flush;
uint64_t s_sector_count;

// The common configuration's registers, by width. `offset` is one of the constants above,
// all inside common_configuration_size, which parse_layout and map_structures checked.
template<typename Value> Value read_common(uint32_t offset)
{
    return *reinterpret_cast<volatile Value*>(s_common + offset);
}
template<typename Value> void write_common(uint32_t offset, Value value)
{
    *reinterpret_cast<volatile Value*>(s_common + offset) = value;
}

// A 64-bit field as two 32-bit writes, low half first: devices need not take 64-bit
// accesses (virtio 1.1, 4.1.3.1).
void write_common64(uint32_t offset, uint64_t value)
{
    write_common<uint32_t>(offset, static_cast<uint32_t>(value));
    write_common<uint32_t>(offset + 4, static_cast<uint32_t>(value >> 32));
}

// Maps each window a structure lives in, once, far enough to hold every structure in it,
// and finds the structures.
bool map_structures()
{
    const Virtio::Structure* structures[] = { &s_layout.common, &s_layout.notify, &s_layout.device };
    for (uint8_t register_index = 0; register_index < 6; ++register_index) {
        uint64_t end = 0;
        for (const Virtio::Structure* structure : structures) {
            uint64_t structure_end = static_cast<uint64_t>(structure->offset) + structure->length;
            if (structure->bar == register_index && structure_end > end)
                end = structure_end;
        }
        if (end == 0)
            continue;
        s_windows[register_index] = Drivers::map_window(s_device, register_index, end);
        if (!s_windows[register_index])
            return false;
        s_window_sizes[register_index] = end;
    }
    if (!Virtio::structure_fits(
            s_layout.common, s_window_sizes[s_layout.common.bar], 0, Virtio::common_configuration_size)
        || !Virtio::structure_fits(s_layout.device, s_window_sizes[s_layout.device.bar], 0, 8))
        return false;
    s_common = s_windows[s_layout.common.bar] + s_layout.common.offset;
    s_device_configuration = s_windows[s_layout.device.bar] + s_layout.device.offset;
    return true;
}

bool fail(const char* why)
{
    Drivers::log(s_device, "%s", why);
    if (s_common)
        write_common<uint8_t>(device_status, status_failed);
    return false;
}

// The initialisation sequence of virtio 1.1, 3.1.1, for one queue.
bool start_device()
{
    // Reset, and wait for the device to say it is done (bounded).
    write_common<uint8_t>(device_status, 0);
    uint64_t give_up = System::clock_monotonic() + request_timeout_ns;
    while (read_common<uint8_t>(device_status) != 0) {
        if (System::clock_monotonic() > give_up)
            return fail("the device does not reset");
        (void)System::thread_yield();
    }
    write_common<uint8_t>(device_status, status_acknowledge);
    write_common<uint8_t>(device_status, status_acknowledge | status_driver);
    write_common<uint32_t>(device_feature_select, 0);
    uint64_t offered = read_common<uint32_t>(device_feature);
    write_common<uint32_t>(device_feature_select, 1);
    offered |= static_cast<uint64_t>(read_common<uint32_t>(device_feature)) << 32;
    if (!(offered & feature_version_1))
        return fail("the device is not a virtio 1.x device");
    uint64_t accepted = offered & (feature_version_1 | feature_read_only | feature_flush);
    write_common<uint32_t>(driver_feature_select, 0);
    write_common<uint32_t>(driver_feature, static_cast<uint32_t>(accepted));
    write_common<uint32_t>(driver_feature_select, 1);
    write_common<uint32_t>(driver_feature, static_cast<uint32_t>(accepted >> 32));
    write_common<uint8_t>(device_status, status_acknowledge | status_driver | status_features_ok);
    if (!(read_common<uint8_t>(device_status) & status_features_ok))
        return fail("the device refuses the features");
    s_read_only = (accepted & feature_read_only) != 0;
    s_has_flush = (accepted & feature_flush) != 0;
    // Configuration changes are not listened to; the queue's completions come on vector 0.
    write_common<uint16_t>(config_msix_vector, no_vector);

    write_common<uint16_t>(queue_select, 0);
    uint16_t offered_size = read_common<uint16_t>(queue_size_register);
    // A request takes three descriptors.
    if (!Virtio::is_valid_queue_size(offered_size) || offered_size < 4)
        return fail("the device offers no usable queue");
    s_queue_size = offered_size < maximum_queue_size ? offered_size : maximum_queue_size;
    s_ring_layout = Virtio::ring_layout(s_queue_size);
    uint64_t ring_bytes = (s_ring_layout.bytes + page_size - 1) & ~(page_size - 1);
    s_ring = Drivers::allocate_dma(s_device, ring_bytes, s_ring_physical);
    s_buffer = Drivers::allocate_dma(s_device, request_buffer_size, s_buffer_physical);
    if (!s_ring || !s_buffer)
        return fail("no DMA memory");
    write_common<uint16_t>(queue_size_register, s_queue_size);
    write_common64(queue_descriptors, s_ring_physical + s_ring_layout.descriptors);
    write_common64(queue_driver, s_ring_physical + s_ring_layout.available);
    write_common64(queue_device, s_ring_physical + s_ring_layout.used);
    write_common<uint16_t>(queue_msix_vector, 0);
    if (read_common<uint16_t>(queue_msix_vector) != 0)
        return fail("the device refuses the queue's interrupt vector");
    uint64_t notify_offset
        = static_cast<uint64_t>(read_common<uint16_t>(queue_notify_off)) * s_layout.notify_multiplier;
    if (!Virtio::structure_fits(s_layout.notify, s_window_sizes[s_layout.notify.bar], notify_offset, 2))
        return fail("the queue's notification address is outside its structure");
    s_notify = reinterpret_cast<volatile uint16_t*>(
        s_windows[s_layout.notify.bar] + s_layout.notify.offset + notify_offset);
    write_common<uint16_t>(queue_enable, 1);
    write_common<uint8_t>(
        device_status, status_acknowledge | status_driver | status_features_ok | status_driver_ok);

    // The capacity as two 32-bit reads (the access width the specification asks for), again
    // until the configuration generation is the same before and after (4.1.4.3.1).
    constexpr uint32_t config_generation = 21;
    uint8_t configuration[8];
    for (int attempt = 0;; ++attempt) {
        uint8_t generation = read_common<uint8_t>(config_generation);
        uint32_t low = *reinterpret_cast<volatile uint32_t*>(s_device_configuration);
        uint32_t high = *reinterpret_cast<volatile uint32_t*>(s_device_configuration + 4);
        memcpy(configuration, &low, 4);
        memcpy(configuration + 4, &high, 4);
        if (read_common<uint8_t>(config_generation) == generation)
            break;
        if (attempt == 16)
            return fail("the device's configuration keeps changing");
    }
    Virtio::BlockConfiguration geometry;
    if (!Virtio::parse_block_configuration(configuration, sizeof(configuration), false, geometry))
        return fail("the device's configuration is unreadable");
    s_sector_count = geometry.capacity_sectors;
    return true;
}

using Drivers::Outcome;

// Runs one request through the queue: the header, `data_length` bytes of data (none for a
// flush) in the direction `device_writes` says, the status byte. Waits for its completion.
Outcome submit(uint32_t type, uint64_t sector, uint32_t data_length, bool device_writes)
{
    RequestHeader header { type, 0, sector };
    memcpy(const_cast<uint8_t*>(s_buffer + header_offset), &header, sizeof(header));
    s_buffer[status_offset] = 0xFF;
    // The ring is ordinary cached memory the device reads by DMA (coherent on x86): plain
    // stores, published by the fence below.
    auto* descriptors
        = reinterpret_cast<Descriptor*>(const_cast<uint8_t*>(s_ring + s_ring_layout.descriptors));
    descriptors[0] = { s_buffer_physical + header_offset, sizeof(RequestHeader), descriptor_next, 1 };
    uint16_t status_descriptor = 1;
    if (data_length != 0) {
        descriptors[1] = { s_buffer_physical + data_offset, data_length,
            static_cast<uint16_t>(descriptor_next | (device_writes ? descriptor_device_writes : 0)), 2 };
        status_descriptor = 2;
    }
    descriptors[status_descriptor] = { s_buffer_physical + status_offset, 1, descriptor_device_writes, 0 };

    auto* available_ring = reinterpret_cast<volatile uint16_t*>(s_ring + s_ring_layout.available);
    available_ring[2 + s_available_index % s_queue_size] = 0; // the chain's head
    // The descriptors and the ring entry are visible before the index that publishes them,
    // and the index before the notification.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    available_ring[1] = ++s_available_index;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    *s_notify = 0;

    auto* used_ring = reinterpret_cast<volatile uint16_t*>(s_ring + s_ring_layout.used);
    if (!Drivers::wait_for_interrupt(s_device, System::clock_monotonic() + request_timeout_ns,
            [&] { return used_ring[1] != s_used_index; }))
        return Outcome::TimedOut;
    auto* used_elements = reinterpret_cast<volatile uint32_t*>(s_ring + s_ring_layout.used + 4);
    uint32_t used_id = used_elements[2 * (s_used_index % s_queue_size)];
    ++s_used_index;
    // A used element for a chain that was not in flight: the ring no longer matches what
    // the driver thinks it holds.
    if (!Virtio::completes(used_id, s_queue_size, 0))
        return Outcome::Desynchronised;
    return s_buffer[status_offset] == request_status_ok ? Outcome::Done : Outcome::DeviceError;
}

Block::Status to_status(Outcome outcome)
{
    return Drivers::to_status(s_device, outcome);
}

class VirtioBlockDevice final : public Drivers::BlockDevice {
public:
    Block::GeometryReply geometry() const override
    {
        Block::GeometryReply geometry;
        geometry.block_count = s_sector_count;
        geometry.block_size = sector_size;
        geometry.queue_depth = s_queue_size;
        geometry.read_only = s_read_only;
        geometry.write_cache = s_has_flush;
        (void)geometry.driver.assign(Core::StringView("virtio-blk"));
        return geometry;
    }
    uint8_t* data_buffer() override { return const_cast<uint8_t*>(s_buffer + data_offset); }
    Block::Status read(uint64_t first_block, uint32_t count) override
    {
        return to_status(submit(request_in, first_block, count * sector_size, true));
    }
    Block::Status write(uint64_t first_block, uint32_t count) override
    {
        return to_status(submit(request_out, first_block, count * sector_size, false));
    }
    Block::Status flush() override
    {
        // Without a write cache every completed write is on the medium already.
        return s_has_flush ? to_status(submit(request_flush, 0, 0, false)) : Block::Status::Ok;
    }
};

} // namespace

int main(int argc, char** argv)
{
    if (!Drivers::open_device("virtio-blk", argc, argv, s_device))
        return 2;
    if (!Virtio::parse_layout(s_device.configuration, sizeof(s_device.configuration), s_layout)) {
        Drivers::log(s_device, "the device's configuration space is not a virtio 1.x device's");
        return 2;
    }
    if (!map_structures()) {
        Drivers::log(s_device, "the device's registers are outside its windows");
        return 2;
    }
    if (!start_device())
        return 2;
    Drivers::log(s_device, "%llu sectors of %u bytes, queue of %u%s",
        static_cast<unsigned long long>(s_sector_count), sector_size, s_queue_size,
        s_read_only ? ", read-only" : "");
    VirtioBlockDevice device;
    Drivers::serve_block_device(device, s_device.server);
    return 0;
}
