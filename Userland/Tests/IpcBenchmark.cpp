// The IPC benchmarks: channel_call round trips to a server in another process (IpcServer.cpp,
// started here with one end of the channel), and one-way writes to it, timed with the
// time-stamp counter, which counts guest instructions under `./raeen bench` (-icount 0).
//
// Argument: bits 0-31, how many round trips or messages are timed (after 100 that warm up);
// bits 32-39, the mode:
//   0, same CPU: client and server both on CPU 0, where a call hands the CPU to the server
//      directly and the reply hands it back (docs/ipc.md#fast-path);
//   1, across CPUs: the client on CPU 0, the server on CPU 1;
//   2, one-way throughput: the client (CPU 0) writes messages that the server (CPU 0) reads
//      without answering, then one call to know that all were read;
//   3 and 4, as 0 and 1 in the register form: channel_call_registers to a server in
//      channel_serve_registers (docs/ipc.md#register-form).
// Modes 0, 1, 3 and 4 leave each round trip as a sample (Userland/Runtime/BenchmarkSamples.h) and
// exit with 0; mode 2 exits with the instructions per message over the whole run. The
// kernel benchmarks in Kernel/Ipc/IpcBenchmarks.cpp report them.

#include <ABI/Channel.h>
#include <ABI/Process.h>
#include <Userland/Runtime/BenchmarkSamples.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/TimeStampCounter.h>

extern "C" const char ipc_server_image[];
extern "C" const char ipc_server_image_end[];

namespace {

constexpr uint64_t warm_up_rounds = 100;

enum class Mode : uint64_t {
    SameCpu = 0,
    CrossCpu = 1,
    OneWay = 2,
    SameCpuRegisters = 3,
    CrossCpuRegisters = 4,
};

// The server's argument bit for the register form (IpcServer.cpp).
constexpr uint64_t server_in_registers = 1ull << 63;

struct Request {
    uint8_t header[ABI::channel_call_minimum_bytes];
    uint64_t payload;
};

int64_t start_server(uint32_t channel_end, uint64_t cpu_mask)
{
    int64_t server = System::process_create("ipc-server", 10);
    if (server < 0)
        return server;
    ABI::ProcessStartArguments start {};
    start.image_address = reinterpret_cast<uint64_t>(ipc_server_image);
    start.image_size = static_cast<uint64_t>(ipc_server_image_end - ipc_server_image);
    start.handles_address = reinterpret_cast<uint64_t>(&channel_end);
    start.handle_count = 1;
    start.argument = cpu_mask;
    int64_t started = System::process_start(static_cast<uint32_t>(server), &start);
    return started == 0 ? server : started;
}

// Round trips: each one timed on its own.
int64_t time_calls(uint32_t channel, uint64_t count, Benchmark::SampleSink& sink)
{
    Request request {};
    Request reply {};
    auto call = System::call_arguments(&request, sizeof(request), &reply, sizeof(reply));
    for (uint64_t round = 0; round < warm_up_rounds + count; ++round) {
        request.payload = round;
        uint64_t before = TimeStampCounter::read();
        if (System::channel_call(channel, &call) != 0 || reply.payload != round)
            return -1;
        uint64_t elapsed = TimeStampCounter::read() - before;
        if (round >= warm_up_rounds)
            sink.record(elapsed);
    }
    return 0;
}

// Round trips in the register form: a request of the header and one word, echoed.
int64_t time_register_calls(uint32_t channel, uint64_t count, Benchmark::SampleSink& sink)
{
    constexpr uint64_t payload_word = ABI::channel_call_minimum_bytes / 8;
    System::RegisterMessage message {};
    for (uint64_t round = 0; round < warm_up_rounds + count; ++round) {
        message.byte_count = sizeof(Request);
        message.words[payload_word] = round;
        uint64_t before = TimeStampCounter::read();
        if (System::channel_call_registers(channel, message) != 0 || message.byte_count != sizeof(Request)
            || message.words[payload_word] != round)
            return -1;
        uint64_t elapsed = TimeStampCounter::read() - before;
        if (round >= warm_up_rounds)
            sink.record(elapsed);
    }
    return 0;
}

// One-way messages: the whole run timed, ending with a call that the server answers only
// after it has read everything written before it.
int64_t time_one_way(uint32_t channel, uint64_t count, uint64_t& per_message)
{
    Request message {};
    Request reply {};
    auto call = System::call_arguments(&message, sizeof(message), &reply, sizeof(reply));
    uint64_t before = 0;
    for (uint64_t index = 0; index < warm_up_rounds + count; ++index) {
        if (index == warm_up_rounds)
            before = TimeStampCounter::read();
        message.payload = index;
        if (System::channel_write(channel, &message, sizeof(message)) != 0)
            return -1;
    }
    message.payload = count;
    if (System::channel_call(channel, &call) != 0 || reply.payload != count)
        return -1;
    per_message = (TimeStampCounter::read() - before) / count;
    return 0;
}

} // namespace

extern "C" int64_t main(uint64_t argument, uint64_t self, const ABI::StartupHandles* startup)
{
    uint64_t count = argument & 0xFFFFFFFF;
    auto mode = static_cast<Mode>((argument >> 32) & 0xFF);
    if (count == 0 || mode > Mode::CrossCpuRegisters)
        return -1;
    Benchmark::SampleSink sink;
    if (mode != Mode::OneWay && !sink.open(self, startup))
        return -1;
    constexpr uint64_t first_cpu = 1;
    constexpr uint64_t second_cpu = 2;
    if (System::thread_set_affinity(first_cpu) != 0)
        return -2;
    uint32_t ends[2] = {};
    if (System::channel_create(ABI::ChannelQos::LatencySensitive, ends) != 0)
        return -3;
    bool in_registers = mode == Mode::SameCpuRegisters || mode == Mode::CrossCpuRegisters;
    bool cross_cpu = mode == Mode::CrossCpu || mode == Mode::CrossCpuRegisters;
    int64_t server = start_server(
        ends[1], (cross_cpu ? second_cpu : first_cpu) | (in_registers ? server_in_registers : 0));
    if (server < 0)
        return -4;
    uint64_t per_message = 0;
    int64_t timed = mode == Mode::OneWay ? time_one_way(ends[0], count, per_message)
        : in_registers                   ? time_register_calls(ends[0], count, sink)
                                         : time_calls(ends[0], count, sink);
    if (timed != 0)
        return -5;
    // Closing the client's end tells the server to finish.
    (void)System::handle_close(ends[0]);
    int64_t status = -1;
    if (System::process_wait(static_cast<uint32_t>(server), &status) != 0 || status != 0)
        return -6;
    return mode == Mode::OneWay ? static_cast<int64_t>(per_message) : 0;
}
