// hwclock: the time the CMOS real-time clock holds, UTC, as the RTC service reads it.

#include <Core/Ipc/Schema.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Rtc/Protocol.h>
#include <stdio.h>

int main()
{
    const LibC::StartupHandle* rtc = LibC::startup_handle(LibC::HandleRole::RtcClient);
    if (!rtc) {
        fprintf(stderr, "hwclock: this program was not given the RTC service's channel\n");
        return 1;
    }
    static uint8_t request[64];
    static uint8_t reply[256];
    // The kernel sets the transaction id of a call; any non-zero one encodes.
    auto encoded = Core::Ipc::encode(Rtc::ReadTimeRequest {}, 1, Core::Bytes(request, sizeof(request)), {});
    if (encoded.is_error())
        return 1;
    ABI::ChannelCallArguments call
        = System::call_arguments(request, encoded.value().byte_count, reply, sizeof(reply));
    if (System::channel_call(rtc->handle, &call) != 0) {
        fprintf(stderr, "hwclock: the RTC service does not answer\n");
        return 1;
    }
    auto received = Core::Ipc::decode<Rtc::TimeReply>(Core::ReadonlyBytes(reply, call.reply.byte_count), {});
    if (received.is_error()) {
        fprintf(stderr, "hwclock: the RTC service's answer is malformed\n");
        return 1;
    }
    const Rtc::TimeReply& time = received.value().message;
    if (!time.valid) {
        fprintf(stderr, "hwclock: the real-time clock holds no valid time\n");
        return 1;
    }
    printf("%04u-%02u-%02u %02u:%02u:%02u UTC\n", time.year, time.month, time.day, time.hour, time.minute,
        time.second);
    return 0;
}
