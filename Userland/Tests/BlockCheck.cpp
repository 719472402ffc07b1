// block-check --across-restart NAME: reads the host's pattern in a loop until a call fails
// (the test kills the driver meanwhile), then opens the device again until its restarted
// driver answers, and reads the pattern once more. Prints "block-check: NAME: served again
// after its driver's restart".
//
// block-check NAME: reads, through the named block device's driver, the pattern the host
// wrote on its disk image (Tests/E2E/shell_tests.py: byte i of sector n is (31n + i) mod
// 256), checks the refusals of bad requests, writes a second pattern to sectors 100-107,
// flushes, and reads it back. Prints "block-check: NAME passed", or what differed. The host
// then finds the second pattern in the image.

#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Block/Client.h>
#include <stdio.h>
#include <string.h>

namespace {

constexpr uint32_t sector_size = 512;
constexpr uint64_t written_first = 100;
constexpr uint32_t written_count = 8;

uint8_t host_pattern(uint64_t sector, uint32_t offset)
{
    return static_cast<uint8_t>((sector * 31 + offset) & 0xFF);
}

uint8_t guest_pattern(uint64_t sector, uint32_t offset)
{
    return static_cast<uint8_t>(((sector * 17 + offset + 1) & 0xFF) ^ 0xA5);
}

uint8_t s_buffer[Block::maximum_transfer_bytes];

int failed(const char* name, const char* what)
{
    printf("block-check: %s: %s\n", name, what);
    return 1;
}

// Reads `count` sectors from `first` and compares them with `pattern`.
bool matches(uint32_t channel, uint64_t first, uint32_t count, uint8_t (*pattern)(uint64_t, uint32_t))
{
    Block::Status status;
    if (!Block::read(channel, first, count, sector_size, s_buffer, status) || status != Block::Status::Ok)
        return false;
    for (uint32_t sector = 0; sector < count; ++sector) {
        for (uint32_t offset = 0; offset < sector_size; ++offset) {
            if (s_buffer[sector * sector_size + offset] != pattern(first + sector, offset))
                return false;
        }
    }
    return true;
}

} // namespace

// A request in flight when the driver ends fails (its channel closes with the driver), and
// once the device manager has started the driver again, a new channel to it serves.
int across_restart(uint32_t manager, const char* name)
{
    uint32_t channel = Block::open_device(manager, name);
    if (!channel)
        return failed(name, "no such device");
    constexpr uint64_t second = 1'000'000'000;
    uint64_t give_up = System::clock_monotonic() + 30 * second;
    uint64_t served = 0;
    for (;;) {
        Block::Status status;
        // False: the call itself failed, which is what a client sees of its driver's end.
        if (!Block::read(channel, 0, 64, sector_size, s_buffer, status))
            break;
        if (status != Block::Status::Ok || s_buffer[512 * 63 + 5] != host_pattern(63, 5))
            return failed(name, "a read before the restart returned the wrong data");
        // Said once, so that whoever ends the driver knows a request went through first.
        if (++served == 1) {
            printf("block-check: %s: reading\n", name);
            fflush(stdout);
        }
        if (System::clock_monotonic() > give_up)
            return failed(name, "the driver never went away");
    }
    (void)System::handle_close(channel);
    if (served == 0)
        return failed(name, "no request was served before the failure");
    give_up = System::clock_monotonic() + 15 * second;
    for (;;) {
        channel = Block::open_device(manager, name);
        if (channel && matches(channel, 0, 64, host_pattern))
            break;
        if (channel)
            (void)System::handle_close(channel);
        if (System::clock_monotonic() > give_up)
            return failed(name, "the restarted driver does not serve");
        (void)System::thread_yield();
    }
    (void)System::handle_close(channel);
    printf("block-check: %s: served again after its driver's restart\n", name);
    return 0;
}

int main(int argc, char** argv)
{
    bool restart = argc == 3 && strcmp(argv[1], "--across-restart") == 0;
    if (argc != 2 && !restart) {
        fprintf(stderr, "usage: block-check [--across-restart] NAME\n");
        return 2;
    }
    const char* name = argv[argc - 1];
    const LibC::StartupHandle* manager = LibC::startup_handle(LibC::HandleRole::DeviceManager);
    if (!manager)
        return failed(name, "no device manager channel");
    if (restart)
        return across_restart(manager->handle, name);
    uint32_t channel = Block::open_device(manager->handle, name);
    if (!channel)
        return failed(name, "no such device");
    Block::GeometryReply geometry;
    if (!Block::geometry(channel, geometry) || geometry.block_size != sector_size
        || geometry.block_count != 2048 || geometry.queue_depth == 0)
        return failed(name, "unexpected geometry (a 1 MiB disk of 512-byte sectors expected)");
    // The host's pattern, at the start (64 sectors, the most one request moves) and the end.
    if (!matches(channel, 0, 64, host_pattern) || !matches(channel, 2040, 8, host_pattern))
        return failed(name, "the host's pattern does not read back");
    // Refusals: past the end, across the end, nothing, too much, a partial block.
    Block::Status status;
    if (!Block::read(channel, 2048, 1, sector_size, s_buffer, status) || status != Block::Status::OutOfRange
        || !Block::read(channel, 2047, 2, sector_size, s_buffer, status)
        || status != Block::Status::OutOfRange || !Block::read(channel, 0, 0, sector_size, s_buffer, status)
        || status != Block::Status::InvalidRequest
        || !Block::read(channel, 0, 65, sector_size, s_buffer, status)
        || status != Block::Status::InvalidRequest || !Block::write(channel, 0, s_buffer, 100, status)
        || status != Block::Status::InvalidRequest
        || !Block::write(channel, 2048, s_buffer, sector_size, status) || status != Block::Status::OutOfRange)
        return failed(name, "a bad request was not refused as it should be");
    // The guest's pattern: written, flushed, read back.
    for (uint32_t sector = 0; sector < written_count; ++sector)
        for (uint32_t offset = 0; offset < sector_size; ++offset)
            s_buffer[sector * sector_size + offset] = guest_pattern(written_first + sector, offset);
    if (!Block::write(channel, written_first, s_buffer, written_count * sector_size, status)
        || status != Block::Status::Ok)
        return failed(name, "the write failed");
    if (!Block::flush(channel, status) || status != Block::Status::Ok)
        return failed(name, "the flush failed");
    memset(s_buffer, 0, sizeof(s_buffer));
    if (!matches(channel, written_first, written_count, guest_pattern))
        return failed(name, "the written pattern does not read back");
    // Its neighbours are untouched.
    if (!matches(channel, written_first - 1, 1, host_pattern)
        || !matches(channel, written_first + written_count, 1, host_pattern))
        return failed(name, "the write reached past its sectors");
    (void)System::handle_close(channel);
    printf("block-check: %s passed\n", name);
    return 0;
}
