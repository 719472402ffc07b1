// The IPC call benchmark: times channel_call round trips to a server in another process
// (IpcServer.cpp, started here with one end of the channel) with the time-stamp counter,
// which counts guest instructions under `./raeen bench` (-icount 0). Exits with the fastest
// round trip in bits 0-31 and the median in bits 32-62; the kernel benchmark
// ipc.call_round_trip reports them.
//
// Argument: how many round trips (at most 4096); the first 100 warm up and are not timed.

#include <ABI/Channel.h>
#include <ABI/Process.h>
#include <Userland/Runtime/System.h>
#include <Userland/Runtime/TimeStampCounter.h>

extern "C" const char ipc_server_image[];
extern "C" const char ipc_server_image_end[];

namespace {

constexpr uint64_t maximum_samples = 4096;
constexpr uint64_t warm_up_rounds = 100;
uint64_t s_samples[maximum_samples];

struct Request {
    uint8_t header[ABI::channel_call_minimum_bytes];
    uint64_t payload;
};

} // namespace

extern "C" int64_t main(uint64_t argument, uint64_t)
{
    uint64_t count = argument < maximum_samples ? argument : maximum_samples;
    if (count == 0)
        return 0;
    uint32_t ends[2] = {};
    if (System::channel_create(ABI::ChannelQos::LatencySensitive, ends) != 0)
        return -1;
    int64_t server = System::process_create("ipc-server", 10);
    if (server < 0)
        return -2;
    ABI::ProcessStartArguments start {};
    start.image_address = reinterpret_cast<uint64_t>(ipc_server_image);
    start.image_size = static_cast<uint64_t>(ipc_server_image_end - ipc_server_image);
    start.handles_address = reinterpret_cast<uint64_t>(&ends[1]);
    start.handle_count = 1;
    if (System::process_start(static_cast<uint32_t>(server), &start) != 0)
        return -3;
    Request request {};
    Request reply {};
    auto call = System::call_arguments(&request, sizeof(request), &reply, sizeof(reply));
    for (uint64_t round = 0; round < warm_up_rounds + count; ++round) {
        request.payload = round;
        uint64_t before = TimeStampCounter::read();
        if (System::channel_call(ends[0], &call) != 0 || reply.payload != round)
            return -4;
        uint64_t elapsed = TimeStampCounter::read() - before;
        if (round >= warm_up_rounds)
            s_samples[round - warm_up_rounds] = elapsed;
    }
    // Closing the client's end tells the server to finish.
    (void)System::handle_close(ends[0]);
    int64_t status = -1;
    if (System::process_wait(static_cast<uint32_t>(server), &status) != 0 || status != 0)
        return -5;
    return TimeStampCounter::fastest_and_median_status(s_samples, count);
}
