// block-bench NAME...: the disk benchmarks of `./raeen bench` (docs/perf/README.md), through
// each named block device's driver, as a client sees them:
//
// - 4 KiB random reads at queue depth 1: each request timed with the TSC (under icount one
//   tick is one guest instruction), at offsets from a fixed pseudo-random sequence so that
//   every run and Linux's peer read the same blocks;
// - a sequential read of the whole disk in 32 KiB requests, timed as one.
//
// Prints "[BENCH] block.NAME.METRIC reads: n=... min=... median=... p99=... max=... mean=...
// ticks" lines (METRIC random_read_4k_qd1 or sequential_read), then "[BENCH] block done".
// Tests/Bench/LinuxPeer.cpp measures Linux the same way.

#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Block/Client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

constexpr int random_reads = 200;
constexpr uint32_t random_read_bytes = 4096;

uint8_t s_buffer[Block::maximum_transfer_bytes];
uint64_t s_samples[random_reads];

uint64_t ticks()
{
    return __builtin_ia32_rdtsc();
}

int compare(const void* left, const void* right)
{
    uint64_t a = *static_cast<const uint64_t*>(left);
    uint64_t b = *static_cast<const uint64_t*>(right);
    return a < b ? -1 : a > b ? 1 : 0;
}

void report(const char* name, const char* metric, uint64_t* samples, int count)
{
    qsort(samples, static_cast<size_t>(count), sizeof(samples[0]), compare);
    uint64_t total = 0;
    for (int index = 0; index < count; ++index)
        total += samples[index];
    int p99 = (count * 99 + 99) / 100 - 1;
    // The median and p99 indices as the Linux peer takes them.
    printf("[BENCH] block.%s.%s reads: n=%d min=%llu median=%llu p99=%llu max=%llu mean=%llu ticks\n", name,
        metric, count, static_cast<unsigned long long>(samples[0]),
        static_cast<unsigned long long>(samples[(count - 1) / 2]),
        static_cast<unsigned long long>(samples[p99 < 0 ? 0 : p99]),
        static_cast<unsigned long long>(samples[count - 1]), static_cast<unsigned long long>(total / count));
}

bool measure(uint32_t manager, const char* name)
{
    uint32_t channel = Block::open_device(manager, name);
    Block::GeometryReply geometry;
    if (!channel || !Block::geometry(channel, geometry) || geometry.block_size == 0
        || random_read_bytes % geometry.block_size != 0) {
        printf("[BENCH] error: %s cannot be opened\n", name);
        return false;
    }
    uint64_t disk_bytes = geometry.block_count * geometry.block_size;
    uint64_t slots = disk_bytes / random_read_bytes;
    uint32_t blocks_per_read = random_read_bytes / geometry.block_size;
    // The same sequence as the Linux peer's: a 64-bit LCG (Knuth's MMIX constants).
    uint64_t state = 0x5EED;
    Block::Status status;
    for (int sample = 0; sample < random_reads; ++sample) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t slot = (state >> 33) % slots;
        uint64_t start = ticks();
        bool done = Block::read(
            channel, slot * blocks_per_read, blocks_per_read, geometry.block_size, s_buffer, status);
        s_samples[sample] = ticks() - start;
        if (!done || status != Block::Status::Ok) {
            printf("[BENCH] error: a read of %s failed\n", name);
            return false;
        }
    }
    report(name, "random_read_4k_qd1", s_samples, random_reads);
    uint32_t blocks_per_request = Block::maximum_transfer_bytes / geometry.block_size;
    uint64_t start = ticks();
    for (uint64_t block = 0; block < geometry.block_count; block += blocks_per_request) {
        uint64_t left = geometry.block_count - block;
        uint32_t count = left < blocks_per_request ? static_cast<uint32_t>(left) : blocks_per_request;
        if (!Block::read(channel, block, count, geometry.block_size, s_buffer, status)
            || status != Block::Status::Ok) {
            printf("[BENCH] error: a sequential read of %s failed\n", name);
            return false;
        }
    }
    uint64_t whole = ticks() - start;
    report(name, "sequential_read", &whole, 1);
    (void)System::handle_close(channel);
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    const LibC::StartupHandle* manager = LibC::startup_handle(LibC::HandleRole::DeviceManager);
    if (argc < 2 || !manager) {
        fprintf(stderr, "usage: block-bench NAME...\n");
        return 2;
    }
    bool all = true;
    for (int index = 1; index < argc; ++index)
        all = measure(manager->handle, argv[index]) && all;
    printf("[BENCH] block done\n");
    return all ? 0 : 1;
}
