// The RTC service (docs/devices.md#the-rtc-service): the CMOS real-time clock as a
// user-space service with exactly its two ports (0x70-0x71), as init starts it. It reads the
// clock when asked and answers with the time (Protocol.h). The registers come from a
// device: Core::decode_rtc_registers checks every field before anything is believed.
//
// Start-up roles: RtcPorts, RtcServer.

#include <ABI/Signals.h>
#include <Core/CalendarTime.h>
#include <Userland/LibC/ServiceRequest.h>
#include <Userland/LibC/Startup.h>
#include <Userland/Runtime/System.h>
#include <Userland/Services/Rtc/Protocol.h>

namespace {

constexpr uint64_t index_port = 0x70;
constexpr uint64_t data_port = 0x71;
// Bit 7 of the index masks NMIs while set: indices are written with it set, and register D
// is selected without it when done, as the kernel does (docs/devices.md).
constexpr uint8_t nmi_disable = 0x80;
constexpr uint8_t status_a = 0x0A;
constexpr uint8_t status_b = 0x0B;
constexpr uint8_t status_d = 0x0D;
constexpr uint8_t update_in_progress = 0x80;
// Where PCs keep the century (the ACPI FADT's usual answer).
constexpr uint8_t century_register = 0x32;

uint32_t s_ports;

uint8_t read_register(uint8_t index)
{
    (void)System::ioport_write(s_ports, index_port, 1, index | nmi_disable);
    int64_t value = System::ioport_read(s_ports, data_port, 1);
    return value < 0 ? 0 : static_cast<uint8_t>(value);
}

Core::RtcRegisters read_once()
{
    // An update in progress changes the registers under the reader: wait it out (a bounded
    // while: it lasts under 2 ms).
    for (int attempt = 0; attempt < 100000 && (read_register(status_a) & update_in_progress); ++attempt) { }
    Core::RtcRegisters registers {};
    registers.second = read_register(0x00);
    registers.minute = read_register(0x02);
    registers.hour = read_register(0x04);
    registers.day = read_register(0x07);
    registers.month = read_register(0x08);
    registers.year = read_register(0x09);
    registers.century = read_register(century_register);
    registers.status_b = read_register(status_b);
    return registers;
}

// Two readings in a row the same: none straddled an update.
Core::Result<Core::CalendarTime> read_clock()
{
    Core::RtcRegisters previous = read_once();
    for (int attempt = 0; attempt < 8; ++attempt) {
        Core::RtcRegisters current = read_once();
        if (current == previous) {
            (void)System::ioport_write(s_ports, index_port, 1, status_d);
            auto decoded = Core::decode_rtc_registers(current);
            if (!decoded.is_error())
                return decoded;
            // Not every machine keeps the century at 0x32: without it, 2000-2099.
            current.century = 0;
            return Core::decode_rtc_registers(current);
        }
        previous = current;
    }
    (void)System::ioport_write(s_ports, index_port, 1, status_d);
    return Core::ErrorCode::TimedOut;
}

// Serves one request: the time; no time for a request it does not know, so that its caller
// is not left waiting.
void serve(uint32_t channel)
{
    static uint8_t request_bytes[ABI::channel_maximum_message_bytes];
    static uint8_t reply[256];
    LibC::ServiceRequest request;
    if (!LibC::read_service_request(channel, request_bytes, request) || !request.wants_reply)
        return;
    Rtc::TimeReply answer;
    if (!Core::Ipc::decode<Rtc::ReadTimeRequest>(request.bytes, {}).is_error()) {
        auto time = read_clock();
        if (!time.is_error()) {
            const Core::CalendarTime& calendar = time.value();
            answer = { true, calendar.year, calendar.month, calendar.day, calendar.hour, calendar.minute,
                calendar.second, Core::seconds_since_unix_epoch(calendar) };
        }
    }
    auto encoded = Core::Ipc::encode(answer, request.transaction_id, Core::Bytes(reply, sizeof(reply)), {});
    if (!encoded.is_error())
        (void)System::channel_write(channel, reply, encoded.value().byte_count);
}

} // namespace

int main()
{
    const LibC::StartupHandle* ports = LibC::startup_handle(LibC::HandleRole::RtcPorts);
    const LibC::StartupHandle* server = LibC::startup_handle(LibC::HandleRole::RtcServer);
    if (!ports || !server) {
        System::debug_log("started without its ports or channel");
        return 2;
    }
    s_ports = ports->handle;
    for (;;) {
        if (System::object_wait(server->handle, ABI::signal_bits(ABI::Signal::Readable), ABI::no_deadline)
            < 0)
            return 3;
        serve(server->handle);
    }
}
