// User-space tests of channels: channel_create, channel_write, channel_read, channel_call,
// channel_serve and channel_statistics, success and failure paths: ordering, size and
// handle-count limits, handles that move (and the writer's loss of them), a closed peer,
// signals, each backpressure policy, alone and under load from a reader thread, and a
// server thread that answers calls through channel_serve. The kernel test
// kernel.ipc.channel_calls_from_user_space runs it with the audit log (the diagnostics
// privilege channel_statistics needs) as its one start-up handle. It exits with 0, or with
// the number of the first check that failed.

#include <ABI/Channel.h>
#include <ABI/Memory.h>
#include <ABI/ObjectType.h>
#include <ABI/Process.h>
#include <ABI/Rights.h>
#include <ABI/Signals.h>
#include <Userland/Runtime/System.h>

using ABI::ErrorCode;
using System::failure;

extern "C" void _thread_start();

namespace {

constexpr uint32_t readable = ABI::signal_bits(ABI::Signal::Readable);
constexpr uint32_t writable = ABI::signal_bits(ABI::Signal::Writable);
constexpr uint32_t peer_closed = ABI::signal_bits(ABI::Signal::PeerClosed);

alignas(16) char s_reader_stack[16384];
uint8_t s_big[ABI::channel_maximum_message_bytes + 1];

struct Channel {
    uint32_t first { 0 };
    uint32_t second { 0 };
};

bool make_channel(ABI::ChannelQos qos, Channel& channel)
{
    uint32_t handles[2] = {};
    if (System::channel_create(qos, handles) != 0)
        return false;
    channel = { handles[0], handles[1] };
    return handles[0] != 0 && handles[1] != 0 && handles[0] != handles[1];
}

// Writes the 8-byte number `value`.
int64_t write_number(uint32_t channel, uint64_t value)
{
    return System::channel_write(channel, &value, sizeof(value));
}

// Reads one 8-byte number into `value`; the call's result.
int64_t read_number(uint32_t channel, uint64_t& value)
{
    ABI::ChannelReadBuffer buffer {};
    buffer.bytes_address = reinterpret_cast<uint64_t>(&value);
    buffer.bytes_capacity = sizeof(value);
    int64_t result = System::channel_read(channel, &buffer);
    if (result == 0 && buffer.byte_count != sizeof(value))
        return -1000;
    return result;
}

// The reader thread of the load tests: reads `count` numbers, waiting for each, and checks
// they come in order from 0. Exits with how many it read in order.
uint32_t s_load_channel;
uint64_t s_load_count;

// The releaser thread: waits until the channel's statistics show a parked writer, then
// reads one message to make room. Exits with 1 once it has.
Channel s_release_channel;
uint32_t s_audit_log;
constexpr uint64_t releaser_thread_argument = 1;

int64_t release_one()
{
    ABI::ChannelStatistics statistics {};
    for (;;) {
        if (System::channel_statistics(s_audit_log, s_release_channel.second, &statistics) != 0)
            return -1;
        if (statistics.parked > 0)
            break;
    }
    uint64_t value = 0;
    return read_number(s_release_channel.second, value) == 0 && value == 0 ? 1 : -2;
}

// The call server: answers `s_calls_to_serve` requests on `s_server_channel`, each with its
// header (transaction id included) and the request's payload word doubled. Exits with how
// many it answered.
uint32_t s_server_channel;
uint64_t s_calls_to_serve;
constexpr uint64_t server_thread_argument = 2;
constexpr uint64_t closer_thread_argument = 3;
constexpr uint64_t serve_thread_argument = 4;
constexpr uint64_t late_serve_thread_argument = 5;
constexpr uint64_t busy_server_thread_argument = 6;
constexpr uint64_t failing_reader_thread_argument = 7;
constexpr uint64_t patient_reader_thread_argument = 8;
alignas(16) char s_second_stack[16384];

struct CallMessage {
    uint8_t header[ABI::channel_call_minimum_bytes];
    uint64_t payload;
};

int64_t serve_calls()
{
    uint64_t served = 0;
    while (served < s_calls_to_serve) {
        if (System::object_wait(s_server_channel, readable, ABI::no_deadline) < 0)
            return -1;
        CallMessage request {};
        ABI::ChannelReadBuffer buffer {};
        buffer.bytes_address = reinterpret_cast<uint64_t>(&request);
        buffer.bytes_capacity = sizeof(request);
        if (System::channel_read(s_server_channel, &buffer) != 0)
            continue;
        CallMessage reply = request;
        reply.payload = request.payload * 2;
        if (System::channel_write(s_server_channel, &reply, sizeof(reply)) != 0)
            return -2;
        ++served;
    }
    return static_cast<int64_t>(served);
}

// channel_serve's arguments for reading requests into `message`, waiting as long as it
// takes, with no reply yet.
ABI::ChannelServeArguments serve_into(CallMessage& message)
{
    ABI::ChannelServeArguments serve {};
    serve.request.bytes_address = reinterpret_cast<uint64_t>(&message);
    serve.request.bytes_capacity = sizeof(message);
    serve.deadline_ns = ABI::no_deadline;
    return serve;
}

// The channel_serve server: answers every call on `s_server_channel` with the payload
// tripled and the request's handles moved back, until the caller's end closes. Exits with
// how many calls it answered, or a negative number if anything else happened.
int64_t serve_with_channel_serve()
{
    CallMessage message {};
    uint32_t handles[4] = {};
    ABI::ChannelServeArguments serve = serve_into(message);
    serve.request.handles_address = reinterpret_cast<uint64_t>(handles);
    serve.request.handles_capacity = 4;
    int64_t answered = 0;
    for (;;) {
        bool replying = serve.flags != 0;
        int64_t served = System::channel_serve(s_server_channel, &serve);
        // The caller gone: its last reply counts if it went out first.
        if (served == failure(ErrorCode::PeerClosed))
            return answered + (replying ? static_cast<int64_t>(serve.reply_sent) : 0);
        if (served != 0 || serve.request.byte_count != sizeof(message))
            return -1;
        if (replying)
            ++answered;
        message.payload *= 3;
        serve.reply_bytes_address = reinterpret_cast<uint64_t>(&message);
        serve.reply_byte_count = sizeof(message);
        serve.reply_handles_address = reinterpret_cast<uint64_t>(handles);
        serve.reply_handle_count = serve.request.handle_count;
        serve.flags = static_cast<uint64_t>(ABI::ChannelServeFlag::Reply);
    }
}

// Sleeps about `milliseconds` (a futex wait on a word nobody wakes), so that a thread just
// started reaches its wait before this one goes on.
void pause_milliseconds(uint64_t milliseconds)
{
    uint32_t word = 0;
    (void)System::futex_wait(&word, 0, System::clock_monotonic() + milliseconds * 1'000'000);
}

// Starts a thread of this program on `stack` with `argument` and gives it about 20 ms to
// reach its wait; the thread's handle, or a negated error.
int64_t start_waiting_thread(char* stack_top, uint64_t argument)
{
    int64_t thread = System::thread_create(_thread_start, stack_top, argument);
    pause_milliseconds(20);
    return thread;
}

// Serves one call (handed to it while it waits, on CPU 0 with the caller), then replies
// with a deadline already past: the reply goes out and the wait gives up at once. Exits
// with 0 when both serves said so.
int64_t serve_then_reply_late()
{
    if (System::thread_set_affinity(1) != 0)
        return -1;
    CallMessage message {};
    ABI::ChannelServeArguments serve = serve_into(message);
    if (System::channel_serve(s_server_channel, &serve) != 0)
        return -2;
    serve.reply_bytes_address = reinterpret_cast<uint64_t>(&message);
    serve.reply_byte_count = sizeof(message);
    serve.flags = static_cast<uint64_t>(ABI::ChannelServeFlag::Reply);
    serve.deadline_ns = 1;
    if (System::channel_serve(s_server_channel, &serve) != failure(ErrorCode::TimedOut)
        || serve.reply_sent != 1)
        return -3;
    return 0;
}

// Serves one call (handed to it, on CPU 0 with the caller), replies with channel_write and
// then computes until the caller, woken by the reply, has run and said so (or two seconds
// pass). Exits with how many milliseconds it computed.
volatile uint64_t s_caller_ran;
int64_t reply_then_compute()
{
    if (System::thread_set_affinity(1) != 0)
        return -1;
    CallMessage message {};
    ABI::ChannelServeArguments serve = serve_into(message);
    if (System::channel_serve(s_server_channel, &serve) != 0)
        return -2;
    if (System::channel_write(s_server_channel, &message, sizeof(message)) != 0)
        return -3;
    uint64_t start = System::clock_monotonic();
    while (!s_caller_ran && System::clock_monotonic() - start < 2'000'000'000ull) { }
    return static_cast<int64_t>((System::clock_monotonic() - start) / 1'000'000);
}

// Two readers waiting in channel_serve: the first is handed a message it cannot deliver (its
// buffer is not mapped), which goes back to the queue; the second must be woken for it.
int64_t read_into_nowhere()
{
    ABI::ChannelServeArguments serve {};
    serve.request.bytes_address = 0x1000;
    serve.request.bytes_capacity = sizeof(uint64_t);
    serve.deadline_ns = ABI::no_deadline;
    return System::channel_serve(s_server_channel, &serve);
}

// Exits with the value read, or -1 if it came only after a second: a reader left asleep
// finds the message when its two-second deadline ends its wait.
int64_t read_patiently()
{
    uint64_t value = 0;
    ABI::ChannelServeArguments serve {};
    serve.request.bytes_address = reinterpret_cast<uint64_t>(&value);
    serve.request.bytes_capacity = sizeof(value);
    uint64_t start = System::clock_monotonic();
    serve.deadline_ns = start + 2'000'000'000ull;
    int64_t result = System::channel_serve(s_server_channel, &serve);
    if (System::clock_monotonic() - start > 1'000'000'000ull)
        return -1;
    return result == 0 ? static_cast<int64_t>(value) : result;
}

} // namespace

extern "C" int64_t thread_main(uint64_t argument, uint64_t)
{
    if (argument == serve_thread_argument)
        return serve_with_channel_serve();
    if (argument == late_serve_thread_argument)
        return serve_then_reply_late();
    if (argument == busy_server_thread_argument)
        return reply_then_compute();
    if (argument == failing_reader_thread_argument)
        return read_into_nowhere();
    if (argument == patient_reader_thread_argument)
        return read_patiently();
    if (argument == releaser_thread_argument)
        return release_one();
    if (argument == server_thread_argument)
        return serve_calls();
    if (argument == closer_thread_argument) {
        // Waits for the request, then closes its end without answering.
        if (System::object_wait(s_server_channel, readable, ABI::no_deadline) < 0)
            return -1;
        return System::handle_close(s_server_channel);
    }
    uint64_t expected = 0;
    while (expected < s_load_count) {
        if (System::object_wait(s_load_channel, readable, ABI::no_deadline) < 0)
            break;
        uint64_t value = 0;
        while (read_number(s_load_channel, value) == 0) {
            if (value != expected)
                return static_cast<int64_t>(expected);
            ++expected;
        }
    }
    return static_cast<int64_t>(expected);
}

extern "C" int64_t main(uint64_t, uint64_t self_value, const ABI::StartupHandles* startup)
{
    auto self = static_cast<uint32_t>(self_value);
    int64_t check = 0;
    auto expect = [&](bool condition) {
        ++check;
        return condition;
    };
    if (!expect(startup->count == 1))
        return check;
    uint32_t audit_log = startup->handles[0];

    // ---- channel_create ------------------------------------------------------------------
    uint32_t handles[2] = {};
    if (!expect(System::channel_create(static_cast<ABI::ChannelQos>(3), handles)
                == failure(ErrorCode::InvalidArgument)
            && System::channel_create(ABI::ChannelQos::BestEffort, nullptr) == failure(ErrorCode::BadAddress)
            && System::channel_create(
                   ABI::ChannelQos::BestEffort, reinterpret_cast<uint32_t*>(0xFFFFFFFF80000000ull))
                == failure(ErrorCode::BadAddress)
            && System::channel_create(ABI::ChannelQos::BestEffort, reinterpret_cast<uint32_t*>(0x20000))
                == failure(ErrorCode::BadAddress)))
        return check;
    Channel channel;
    if (!expect(make_channel(ABI::ChannelQos::LatencySensitive, channel)))
        return check;
    int64_t info = System::handle_info(channel.first);
    constexpr uint32_t endpoint_rights = (ABI::Right::Read | ABI::Right::Write | ABI::Right::Wait
        | ABI::Right::Duplicate | ABI::Right::Transfer)
                                             .raw();
    if (!expect((info >> 32) == static_cast<int64_t>(ABI::ObjectType::Channel)
            && (info & 0xFFFFFFFF) == endpoint_rights))
        return check;
    // A new channel: writable both ways, nothing to read.
    if (!expect(System::object_wait(channel.first, writable, 0) == writable
            && System::object_wait(channel.second, readable, 0) == failure(ErrorCode::TimedOut)))
        return check;

    // ---- ordering, reading -----------------------------------------------------------
    for (uint64_t value = 0; value < 10; ++value) {
        if (!expect(write_number(channel.first, value) == 0))
            return check;
    }
    if (!expect(System::object_wait(channel.second, readable, 0) == (readable | writable)))
        return check;
    for (uint64_t expected = 0; expected < 10; ++expected) {
        uint64_t value = 99;
        if (!expect(read_number(channel.second, value) == 0 && value == expected))
            return check;
    }
    uint64_t unused = 0;
    if (!expect(read_number(channel.second, unused) == failure(ErrorCode::WouldBlock)))
        return check;
    // Too small a buffer: the sizes come back, the message stays.
    if (!expect(System::channel_write(channel.first, "twelve bytes", 12) == 0))
        return check;
    char small[4];
    ABI::ChannelReadBuffer buffer {};
    buffer.bytes_address = reinterpret_cast<uint64_t>(small);
    buffer.bytes_capacity = sizeof(small);
    if (!expect(System::channel_read(channel.second, &buffer) == failure(ErrorCode::BufferTooSmall)
            && buffer.byte_count == 12 && buffer.handle_count == 0))
        return check;
    char enough[16] = {};
    buffer.bytes_address = reinterpret_cast<uint64_t>(enough);
    buffer.bytes_capacity = sizeof(enough);
    if (!expect(System::channel_read(channel.second, &buffer) == 0 && buffer.byte_count == 12
            && enough[0] == 't' && enough[11] == 's'))
        return check;
    // Bad buffers: the message stays queued.
    if (!expect(write_number(channel.first, 7) == 0))
        return check;
    buffer.bytes_address = 0xFFFFFFFF80000000ull;
    buffer.bytes_capacity = 8;
    if (!expect(System::channel_read(channel.second, &buffer) == failure(ErrorCode::BadAddress)
            && System::channel_read(channel.second, nullptr) == failure(ErrorCode::BadAddress)))
        return check;
    uint64_t seven = 0;
    if (!expect(read_number(channel.second, seven) == 0 && seven == 7))
        return check;

    // ---- limits, flags, pointers ------------------------------------------------------------
    if (!expect(System::channel_write(channel.first, s_big, ABI::channel_maximum_message_bytes + 1)
                == failure(ErrorCode::InvalidArgument)
            && System::channel_write(channel.first, s_big, ABI::channel_maximum_message_bytes) == 0))
        return check;
    buffer.bytes_address = reinterpret_cast<uint64_t>(s_big);
    buffer.bytes_capacity = sizeof(s_big);
    if (!expect(System::channel_read(channel.second, &buffer) == 0
            && buffer.byte_count == ABI::channel_maximum_message_bytes))
        return check;
    if (!expect(
            System::channel_write(channel.first, "x", 1, nullptr, 0, 1) == failure(ErrorCode::InvalidArgument)
            && System::channel_read(channel.second, &buffer, 1) == failure(ErrorCode::InvalidArgument)
            && System::channel_write(channel.first, reinterpret_cast<const void*>(0x20000), 8)
                == failure(ErrorCode::BadAddress)
            && System::channel_write(channel.first, nullptr, 8) == failure(ErrorCode::BadAddress)))
        return check;
    // Handles: at most 64, each at most once, never an end of the channel itself.
    uint32_t events[ABI::channel_maximum_message_handles + 1];
    for (uint32_t& event : events) {
        int64_t made = System::event_create();
        if (!expect(made > 0))
            return check;
        event = static_cast<uint32_t>(made);
    }
    if (!expect(System::channel_write(channel.first, "h", 1, events, ABI::channel_maximum_message_handles + 1)
            == failure(ErrorCode::InvalidArgument)))
        return check;
    uint32_t twice[] = { events[0], events[0] };
    uint32_t own_end[] = { channel.first };
    uint32_t other_end[] = { channel.second };
    if (!expect(System::channel_write(channel.first, "h", 1, twice, 2) == failure(ErrorCode::InvalidArgument)
            && System::channel_write(channel.first, "h", 1, own_end, 1) == failure(ErrorCode::InvalidArgument)
            && System::channel_write(channel.first, "h", 1, other_end, 1)
                == failure(ErrorCode::InvalidArgument)))
        return check;
    // All 64 move; the writer loses every one, the reader gets them with their rights.
    if (!expect(
            System::channel_write(channel.first, "h", 1, events, ABI::channel_maximum_message_handles) == 0))
        return check;
    if (!expect(System::handle_info(events[0]) == failure(ErrorCode::BadHandle)
            && System::handle_info(events[63]) == failure(ErrorCode::BadHandle)))
        return check;
    uint32_t received[ABI::channel_maximum_message_handles] = {};
    char one_byte = 0;
    buffer = {};
    buffer.bytes_address = reinterpret_cast<uint64_t>(&one_byte);
    buffer.bytes_capacity = 1;
    buffer.handles_address = reinterpret_cast<uint64_t>(received);
    buffer.handles_capacity = 10;
    if (!expect(System::channel_read(channel.second, &buffer) == failure(ErrorCode::BufferTooSmall)
            && buffer.handle_count == ABI::channel_maximum_message_handles))
        return check;
    buffer.handles_capacity = ABI::channel_maximum_message_handles;
    if (!expect(System::channel_read(channel.second, &buffer) == 0
            && buffer.handle_count == ABI::channel_maximum_message_handles && one_byte == 'h'))
        return check;
    constexpr uint32_t event_rights
        = (ABI::Right::Signal | ABI::Right::Wait | ABI::Right::Duplicate | ABI::Right::Transfer).raw();
    bool all_events = true;
    for (uint32_t handle : received) {
        int64_t received_info = System::handle_info(handle);
        all_events = all_events && (received_info >> 32) == static_cast<int64_t>(ABI::ObjectType::Event)
            && (received_info & 0xFFFFFFFF) == event_rights;
    }
    if (!expect(all_events))
        return check;
    // The same event, through a duplicate kept here and the handle that travelled.
    int64_t kept = System::handle_duplicate(events[64], (ABI::Right::Wait | ABI::Right::Duplicate).raw());
    uint32_t travelling[] = { events[64] };
    if (!expect(kept > 0 && System::channel_write(channel.first, "e", 1, travelling, 1) == 0))
        return check;
    uint32_t arrived = 0;
    buffer.handles_address = reinterpret_cast<uint64_t>(&arrived);
    buffer.handles_capacity = 1;
    if (!expect(System::channel_read(channel.second, &buffer) == 0 && System::event_signal(arrived) == 0
            && System::event_wait(static_cast<uint32_t>(kept)) == 0))
        return check;
    // Without Transfer a handle cannot move, and nothing is sent.
    uint32_t no_transfer[] = { static_cast<uint32_t>(kept) };
    if (!expect(
            System::channel_write(channel.first, "n", 1, no_transfer, 1) == failure(ErrorCode::AccessDenied)
            && read_number(channel.second, unused) == failure(ErrorCode::WouldBlock)))
        return check;

    // ---- zero-copy: a memory object travels and is mapped as its rights allow ----------------
    constexpr uint64_t page = ABI::memory_page_size;
    int64_t memory = System::memory_object_create(page);
    if (!expect(
            memory > 0 && System::memory_object_write(static_cast<uint32_t>(memory), 0, "shared", 6) == 0))
        return check;
    int64_t read_only_memory = System::handle_duplicate(
        static_cast<uint32_t>(memory), (ABI::Right::Read | ABI::Right::Map | ABI::Right::Transfer).raw());
    int64_t writable_memory = System::handle_duplicate(static_cast<uint32_t>(memory),
        (ABI::Right::Read | ABI::Right::Write | ABI::Right::Map | ABI::Right::Transfer).raw());
    uint32_t memory_handles[]
        = { static_cast<uint32_t>(read_only_memory), static_cast<uint32_t>(writable_memory) };
    if (!expect(read_only_memory > 0 && writable_memory > 0
            && System::channel_write(channel.first, "m", 1, memory_handles, 2) == 0))
        return check;
    uint32_t mapped_handles[2] = {};
    buffer.handles_address = reinterpret_cast<uint64_t>(mapped_handles);
    buffer.handles_capacity = 2;
    if (!expect(System::channel_read(channel.second, &buffer) == 0 && buffer.handle_count == 2))
        return check;
    // Read-only: it maps for reading and sees the writer's bytes, never for writing.
    int64_t read_mapping = System::vm_map(self, mapped_handles[0], 0, page, ABI::vm_read);
    if (!expect(read_mapping > 0 && reinterpret_cast<const char*>(read_mapping)[0] == 's'
            && System::vm_map(self, mapped_handles[0], 0, page, ABI::vm_read | ABI::vm_write)
                == failure(ErrorCode::AccessDenied)))
        return check;
    // Read-write: a store through the receiver's mapping is in the sender's object.
    int64_t write_mapping = System::vm_map(self, mapped_handles[1], 0, page, ABI::vm_read | ABI::vm_write);
    if (!expect(write_mapping > 0))
        return check;
    reinterpret_cast<volatile char*>(write_mapping)[0] = 'S';
    char first_byte = 0;
    if (!expect(System::memory_object_read(static_cast<uint32_t>(memory), 0, &first_byte, 1) == 0
            && first_byte == 'S' && reinterpret_cast<volatile const char*>(read_mapping)[0] == 'S'))
        return check;

    // ---- handle errors ----------------------------------------------------------------------
    int64_t write_only
        = System::handle_duplicate(channel.first, (ABI::Right::Write | ABI::Right::Duplicate).raw());
    int64_t read_only
        = System::handle_duplicate(channel.second, (ABI::Right::Read | ABI::Right::Duplicate).raw());
    if (!expect(write_only > 0 && read_only > 0))
        return check;
    if (!expect(System::channel_read(static_cast<uint32_t>(write_only), &buffer)
                == failure(ErrorCode::AccessDenied)
            && write_number(static_cast<uint32_t>(read_only), 1) == failure(ErrorCode::AccessDenied)
            && write_number(static_cast<uint32_t>(kept), 1) == failure(ErrorCode::WrongType)
            && write_number(self, 1) == failure(ErrorCode::WrongType)))
        return check;
    if (!expect(System::handle_close(static_cast<uint32_t>(write_only)) == 0
            && write_number(static_cast<uint32_t>(write_only), 1) == failure(ErrorCode::BadHandle)))
        return check;

    // ---- statistics -------------------------------------------------------------------
    ABI::ChannelStatistics statistics {};
    if (!expect(System::channel_statistics(audit_log, channel.first, &statistics) == 0
            && statistics.sent >= 15
            && statistics.qos == static_cast<uint64_t>(ABI::ChannelQos::LatencySensitive)))
        return check;
    if (!expect(System::channel_statistics(self, channel.first, &statistics) == failure(ErrorCode::WrongType)
            && System::channel_statistics(audit_log, self, &statistics) == failure(ErrorCode::WrongType)
            && System::channel_statistics(audit_log, channel.first, nullptr)
                == failure(ErrorCode::BadAddress)))
        return check;

    // ---- a closed peer ------------------------------------------------------------------
    if (!expect(write_number(channel.first, 41) == 0 && write_number(channel.first, 42) == 0))
        return check;
    if (!expect(System::handle_close(channel.first) == 0))
        return check;
    // The other end still reads what was queued, then learns the peer is gone.
    uint64_t last = 0;
    if (!expect(System::object_wait(channel.second, peer_closed, 0) & peer_closed))
        return check;
    if (!expect(read_number(channel.second, last) == 0 && last == 41 && read_number(channel.second, last) == 0
            && last == 42 && read_number(channel.second, last) == failure(ErrorCode::PeerClosed)
            && write_number(channel.second, 1) == failure(ErrorCode::PeerClosed)))
        return check;
    if (!expect(System::handle_close(channel.second) == 0
            && System::handle_close(static_cast<uint32_t>(read_only)) == 0))
        return check;

    // ---- backpressure: best-effort drops the oldest -----------------------------------------
    Channel lossy;
    if (!expect(make_channel(ABI::ChannelQos::BestEffort, lossy)))
        return check;
    for (uint64_t value = 0; value < 100; ++value) {
        if (!expect(write_number(lossy.first, value) == 0))
            return check;
    }
    // The newest 64 are left, in order.
    bool kept_newest = true;
    for (uint64_t expected = 100 - ABI::channel_queue_capacity; expected < 100; ++expected) {
        uint64_t value = 0;
        kept_newest = kept_newest && read_number(lossy.second, value) == 0 && value == expected;
    }
    if (!expect(kept_newest && read_number(lossy.second, unused) == failure(ErrorCode::WouldBlock)))
        return check;
    if (!expect(System::channel_statistics(audit_log, lossy.first, &statistics) == 0 && statistics.sent == 100
            && statistics.dropped == 100 - ABI::channel_queue_capacity))
        return check;

    // ---- backpressure: bulk spills, up to its limit -------------------------------------------
    Channel bulk;
    if (!expect(make_channel(ABI::ChannelQos::Bulk, bulk)))
        return check;
    // Each spilled message is charged its bytes plus the kernel's own bookkeeping (well
    // under a kilobyte), so between 256 KiB / 5 KiB and 256 KiB / 4 KiB of 4 KiB messages
    // spill before WouldBlock.
    constexpr uint64_t chunk = 4096;
    constexpr uint64_t most_spilled = ABI::channel_spill_limit_bytes / chunk;
    constexpr uint64_t fewest_spilled = ABI::channel_spill_limit_bytes / (chunk + 1024);
    uint64_t written = 0;
    while (written < ABI::channel_queue_capacity + most_spilled + 1) {
        s_big[0] = static_cast<uint8_t>(written);
        if (System::channel_write(bulk.first, s_big, chunk) != 0)
            break;
        ++written;
    }
    uint64_t spilled = written - ABI::channel_queue_capacity;
    if (!expect(spilled >= fewest_spilled && spilled < most_spilled
            && System::channel_write(bulk.first, s_big, chunk) == failure(ErrorCode::WouldBlock)))
        return check;
    // Empty messages are charged too: what is left of the spill takes only a bounded number
    // of them (each costs at least the kernel's bookkeeping), then Writable is gone.
    uint64_t empty_written = 0;
    while (empty_written < 200 && System::channel_write(bulk.first, s_big, 0) == 0)
        ++empty_written;
    if (!expect(empty_written < 200
            && System::channel_write(bulk.first, s_big, 0) == failure(ErrorCode::WouldBlock)
            && System::object_wait(bulk.first, writable, 0) == failure(ErrorCode::TimedOut)))
        return check;
    bool bulk_in_order = true;
    buffer = {};
    buffer.bytes_address = reinterpret_cast<uint64_t>(s_big);
    buffer.bytes_capacity = chunk;
    for (uint64_t expected = 0; expected < written; ++expected)
        bulk_in_order = bulk_in_order && System::channel_read(bulk.second, &buffer) == 0
            && s_big[0] == static_cast<uint8_t>(expected);
    for (uint64_t empty = 0; empty < empty_written; ++empty)
        bulk_in_order
            = bulk_in_order && System::channel_read(bulk.second, &buffer) == 0 && buffer.byte_count == 0;
    if (!expect(bulk_in_order && System::channel_statistics(audit_log, bulk.first, &statistics) == 0
            && statistics.spilled == spilled + empty_written && statistics.dropped == 0))
        return check;

    // ---- backpressure: latency-sensitive parks, then times out ------------------------------------
    Channel urgent;
    if (!expect(make_channel(ABI::ChannelQos::LatencySensitive, urgent)))
        return check;
    for (uint64_t value = 0; value < ABI::channel_queue_capacity; ++value) {
        if (!expect(write_number(urgent.first, value) == 0))
            return check;
    }
    uint64_t before = System::clock_monotonic();
    if (!expect(write_number(urgent.first, 64) == failure(ErrorCode::TimedOut)))
        return check;
    uint64_t parked_for = System::clock_monotonic() - before;
    if (!expect(parked_for >= ABI::channel_park_limit_ns))
        return check;
    if (!expect(System::channel_statistics(audit_log, urgent.first, &statistics) == 0
            && statistics.parked == 1 && statistics.timed_out == 1
            && statistics.sent == ABI::channel_queue_capacity))
        return check;

    // Parked, then let go: a second thread reads one message as soon as the statistics show
    // this writer parked, and the write goes through.
    Channel released;
    if (!expect(make_channel(ABI::ChannelQos::LatencySensitive, released)))
        return check;
    for (uint64_t value = 0; value < ABI::channel_queue_capacity; ++value) {
        if (!expect(write_number(released.first, value) == 0))
            return check;
    }
    s_release_channel = released;
    s_audit_log = audit_log;
    int64_t releaser = System::thread_create(
        _thread_start, s_reader_stack + sizeof(s_reader_stack), releaser_thread_argument);
    if (!expect(releaser > 0))
        return check;
    // The releaser may not get a CPU within the park limit (emulated CPUs are slow when the
    // host is busy): a write that times out is counted and tried again.
    uint64_t release_timeouts = 0;
    int64_t released_write = 0;
    while ((released_write = write_number(released.first, 64)) == failure(ErrorCode::TimedOut))
        ++release_timeouts;
    if (!expect(released_write == 0 && System::thread_join(static_cast<uint32_t>(releaser)) == 1
            && System::channel_statistics(audit_log, released.first, &statistics) == 0
            && statistics.parked >= 1 && statistics.timed_out == release_timeouts
            && statistics.sent == ABI::channel_queue_capacity + 1))
        return check;

    // ---- channel_call --------------------------------------------------------------------
    Channel service;
    if (!expect(make_channel(ABI::ChannelQos::LatencySensitive, service)))
        return check;
    CallMessage request {};
    CallMessage reply {};
    auto call = System::call_arguments(&request, sizeof(request), &reply, sizeof(reply));
    // Refusals before anything is sent: too short for a transaction id, flags, rights.
    auto short_call = call;
    short_call.byte_count = ABI::channel_call_minimum_bytes - 1;
    auto flagged_call = call;
    flagged_call.flags = 1;
    int64_t write_only_end
        = System::handle_duplicate(service.first, (ABI::Right::Write | ABI::Right::Duplicate).raw());
    if (!expect(System::channel_call(service.first, &short_call) == failure(ErrorCode::InvalidArgument)
            && System::channel_call(service.first, &flagged_call) == failure(ErrorCode::InvalidArgument)
            && System::channel_call(service.first, nullptr) == failure(ErrorCode::BadAddress)
            && write_only_end > 0
            && System::channel_call(static_cast<uint32_t>(write_only_end), &call)
                == failure(ErrorCode::AccessDenied)))
        return check;
    // Nobody serves yet: the call times out, and its request waits in the queue.
    auto timed_call = call;
    timed_call.deadline_ns = System::clock_monotonic() + 1'000'000;
    if (!expect(System::channel_call(service.first, &timed_call) == failure(ErrorCode::TimedOut)))
        return check;
    CallMessage stale {};
    ABI::ChannelReadBuffer stale_buffer {};
    stale_buffer.bytes_address = reinterpret_cast<uint64_t>(&stale);
    stale_buffer.bytes_capacity = sizeof(stale);
    if (!expect(System::channel_read(service.second, &stale_buffer) == 0))
        return check;
    // A server thread answers 100 calls, each reply with the caller's own transaction id.
    s_server_channel = service.second;
    s_calls_to_serve = 100;
    int64_t server = System::thread_create(
        _thread_start, s_reader_stack + sizeof(s_reader_stack), server_thread_argument);
    if (!expect(server > 0))
        return check;
    bool all_answered = true;
    uint64_t previous_transaction = 0;
    for (uint64_t round = 1; round <= s_calls_to_serve; ++round) {
        request.payload = round;
        reply = {};
        bool answered = System::channel_call(service.first, &call) == 0
            && call.reply.byte_count == sizeof(reply) && reply.payload == round * 2;
        uint64_t transaction = 0;
        for (uint64_t index = 0; index < 8; ++index)
            transaction |= static_cast<uint64_t>(reply.header[ABI::channel_transaction_id_offset + index])
                << (8 * index);
        answered = answered && (transaction & ABI::channel_kernel_transaction_bit)
            && transaction != previous_transaction;
        previous_transaction = transaction;
        all_answered = all_answered && answered;
    }
    if (!expect(all_answered && System::thread_join(static_cast<uint32_t>(server)) == 100))
        return check;
    // A server that closes its end while a call waits: the caller hears PeerClosed.
    Channel abandoned;
    if (!expect(make_channel(ABI::ChannelQos::LatencySensitive, abandoned)))
        return check;
    s_server_channel = abandoned.second;
    int64_t closer = System::thread_create(
        _thread_start, s_reader_stack + sizeof(s_reader_stack), closer_thread_argument);
    if (!expect(closer > 0 && System::channel_call(abandoned.first, &call) == failure(ErrorCode::PeerClosed)
            && System::thread_join(static_cast<uint32_t>(closer)) == 0))
        return check;
    // The server gone, the peer closed: a call says so.
    if (!expect(System::handle_close(service.second) == 0
            && System::channel_call(service.first, &call) == failure(ErrorCode::PeerClosed)))
        return check;

    // ---- channel_serve ------------------------------------------------------------------
    Channel served;
    if (!expect(make_channel(ABI::ChannelQos::LatencySensitive, served)))
        return check;
    uint64_t number = 0;
    ABI::ChannelServeArguments serve {};
    serve.request.bytes_address = reinterpret_cast<uint64_t>(&number);
    serve.request.bytes_capacity = sizeof(number);
    serve.deadline_ns = ABI::no_deadline;
    // Refusals: unknown flags, a bad block, an end without Read, or without Write for a
    // reply. Each says no reply went out.
    auto flagged_serve = serve;
    flagged_serve.flags = 2;
    flagged_serve.reply_sent = 7;
    int64_t write_only_served
        = System::handle_duplicate(served.second, (ABI::Right::Write | ABI::Right::Duplicate).raw());
    int64_t read_only_served
        = System::handle_duplicate(served.second, (ABI::Right::Read | ABI::Right::Duplicate).raw());
    auto reply_serve = serve;
    reply_serve.flags = static_cast<uint64_t>(ABI::ChannelServeFlag::Reply);
    reply_serve.reply_bytes_address = reinterpret_cast<uint64_t>(&number);
    reply_serve.reply_byte_count = sizeof(number);
    reply_serve.reply_sent = 7;
    if (!expect(System::channel_serve(served.second, &flagged_serve) == failure(ErrorCode::InvalidArgument)
            && flagged_serve.reply_sent == 0
            && System::channel_serve(served.second, nullptr) == failure(ErrorCode::BadAddress)
            && write_only_served > 0 && read_only_served > 0
            && System::channel_serve(static_cast<uint32_t>(write_only_served), &serve)
                == failure(ErrorCode::AccessDenied)
            && System::channel_serve(static_cast<uint32_t>(read_only_served), &reply_serve)
                == failure(ErrorCode::AccessDenied)
            && reply_serve.reply_sent == 0))
        return check;
    // A plain message written before is read; with nothing queued, the deadline ends the
    // wait.
    auto timed_serve = serve;
    timed_serve.deadline_ns = System::clock_monotonic() + 1'000'000;
    if (!expect(write_number(served.first, 7) == 0 && System::channel_serve(served.second, &serve) == 0
            && serve.request.byte_count == sizeof(number) && number == 7
            && System::channel_serve(served.second, &timed_serve) == failure(ErrorCode::TimedOut)
            && timed_serve.reply_sent == 0))
        return check;
    // Too large for the buffer: BufferTooSmall with the sizes, and the message stays.
    uint64_t pair[2] = { 11, 12 };
    auto small_serve = serve;
    small_serve.request.byte_count = 0;
    if (!expect(System::channel_write(served.first, pair, sizeof(pair)) == 0
            && System::channel_serve(served.second, &small_serve) == failure(ErrorCode::BufferTooSmall)
            && small_serve.request.byte_count == sizeof(pair)))
        return check;
    uint64_t read_back[2] = {};
    ABI::ChannelReadBuffer pair_buffer {};
    pair_buffer.bytes_address = reinterpret_cast<uint64_t>(read_back);
    pair_buffer.bytes_capacity = sizeof(read_back);
    if (!expect(System::channel_read(served.second, &pair_buffer) == 0 && read_back[0] == 11
            && read_back[1] == 12))
        return check;
    // A reply that goes out, then a read that times out: reply_sent tells the two apart. The
    // reply (to no call) is queued for the peer like any message.
    number = 21;
    auto reply_then_wait = reply_serve;
    reply_then_wait.deadline_ns = System::clock_monotonic() + 1'000'000;
    uint64_t replied = 0;
    if (!expect(System::channel_serve(served.second, &reply_then_wait) == failure(ErrorCode::TimedOut)
            && reply_then_wait.reply_sent == 1 && read_number(served.first, replied) == 0 && replied == 21))
        return check;
    // A server thread answers 100 calls through channel_serve, the last one with a handle
    // that travelled in the request and comes back in the reply.
    s_server_channel = served.second;
    int64_t serve_thread = System::thread_create(
        _thread_start, s_reader_stack + sizeof(s_reader_stack), serve_thread_argument);
    if (!expect(serve_thread > 0))
        return check;
    bool all_served = true;
    for (uint64_t round = 1; round <= 100 && all_served; ++round) {
        request.payload = round;
        reply.payload = 0;
        all_served = System::channel_call(served.first, &call) == 0 && reply.payload == round * 3
            && call.reply.byte_count == sizeof(reply) && call.reply.handle_count == 0;
    }
    if (!expect(all_served))
        return check;
    int64_t round_trip_event = System::event_create();
    auto travelling_handle = static_cast<uint32_t>(round_trip_event);
    uint32_t returned_handle = 0;
    auto handle_call = call;
    handle_call.handles_address = reinterpret_cast<uint64_t>(&travelling_handle);
    handle_call.handle_count = 1;
    handle_call.reply.handles_address = reinterpret_cast<uint64_t>(&returned_handle);
    handle_call.reply.handles_capacity = 1;
    request.payload = 1000;
    if (!expect(round_trip_event > 0 && System::channel_call(served.first, &handle_call) == 0
            && reply.payload == 3000 && handle_call.reply.handle_count == 1
            && System::handle_info(travelling_handle) == failure(ErrorCode::BadHandle)
            && (System::handle_info(returned_handle) >> 32) == static_cast<int64_t>(ABI::ObjectType::Event)))
        return check;
    // The caller's end closed: the server's next serve hears PeerClosed, and it ends.
    if (!expect(System::handle_close(served.first) == 0
            && System::thread_join(static_cast<uint32_t>(serve_thread)) == 101))
        return check;
    // A reply to a peer that is gone is not sent.
    auto orphan_reply = reply_serve;
    if (!expect(System::channel_serve(served.second, &orphan_reply) == failure(ErrorCode::PeerClosed)
            && orphan_reply.reply_sent == 0))
        return check;

    // ---- channel_serve and the hand-off: the awkward cases --------------------------------
    // Client and server share CPU 0, so each call is handed to the waiting server directly.
    if (!expect(System::thread_set_affinity(1) == 0))
        return check;
    // A server that replies with a deadline already past: the reply reaches the caller and
    // the server's wait ends at once (it used to be queued twice and stop the kernel).
    Channel late;
    if (!expect(make_channel(ABI::ChannelQos::LatencySensitive, late)))
        return check;
    s_server_channel = late.second;
    int64_t late_server
        = start_waiting_thread(s_reader_stack + sizeof(s_reader_stack), late_serve_thread_argument);
    request.payload = 5;
    if (!expect(late_server > 0 && System::channel_call(late.first, &call) == 0 && reply.payload == 5
            && System::thread_join(static_cast<uint32_t>(late_server)) == 0))
        return check;
    // A server that replies and computes on: the caller, woken by the reply, must get the
    // CPU soon, not only when the server blocks (it runs in the caller's place until then).
    s_caller_ran = 0;
    int64_t busy_server
        = start_waiting_thread(s_reader_stack + sizeof(s_reader_stack), busy_server_thread_argument);
    bool busy_answered = busy_server > 0 && System::channel_call(late.first, &call) == 0;
    s_caller_ran = 1;
    int64_t computed_ms = busy_server > 0 ? System::thread_join(static_cast<uint32_t>(busy_server)) : -1;
    if (!expect(busy_answered && computed_ms >= 0 && computed_ms < 1000))
        return check;
    // A message handed to a reader that cannot take it goes back to the queue, and the next
    // waiting reader is woken for it.
    Channel readers;
    if (!expect(make_channel(ABI::ChannelQos::LatencySensitive, readers)))
        return check;
    s_server_channel = readers.second;
    int64_t failing_reader
        = start_waiting_thread(s_reader_stack + sizeof(s_reader_stack), failing_reader_thread_argument);
    int64_t patient_reader
        = start_waiting_thread(s_second_stack + sizeof(s_second_stack), patient_reader_thread_argument);
    if (!expect(failing_reader > 0 && patient_reader > 0 && write_number(readers.first, 42) == 0
            && System::thread_join(static_cast<uint32_t>(failing_reader)) == failure(ErrorCode::BadAddress)
            && System::thread_join(static_cast<uint32_t>(patient_reader)) == 42))
        return check;
    if (!expect(System::thread_set_affinity(~0ull) == 0))
        return check;

    // ---- endpoints inside endpoints: closing the outermost frees 2000 levels -----------------
    // Each channel's only message carries the previous channel's surviving end; closing
    // the last one tears the whole chain down (without the kernel recursing 2000 deep).
    uint32_t inner = 0;
    bool chain_built = true;
    for (uint32_t level = 0; level < 2000 && chain_built; ++level) {
        Channel link;
        chain_built = make_channel(ABI::ChannelQos::BestEffort, link);
        if (chain_built && inner != 0)
            chain_built = System::channel_write(link.first, "n", 1, &inner, 1) == 0;
        chain_built = chain_built && System::handle_close(link.first) == 0;
        inner = link.second;
    }
    if (!expect(chain_built && System::handle_close(inner) == 0))
        return check;

    // ---- under load: a reader thread drains while this one writes far past the capacity ---------
    // Latency-sensitive: the writer parks whenever the queue is full and the reader's
    // progress lets it go on; nothing is lost or reordered.
    Channel loaded;
    if (!expect(make_channel(ABI::ChannelQos::LatencySensitive, loaded)))
        return check;
    s_load_channel = loaded.second;
    s_load_count = 2000;
    int64_t reader = System::thread_create(_thread_start, s_reader_stack + sizeof(s_reader_stack), 0);
    if (!expect(reader > 0))
        return check;
    uint64_t timeouts = 0;
    for (uint64_t value = 0; value < s_load_count;) {
        int64_t result = write_number(loaded.first, value);
        if (result == 0) {
            ++value;
        } else if (result == failure(ErrorCode::TimedOut)) {
            // The reader was not scheduled within the park limit: try again.
            ++timeouts;
        } else {
            expect(false);
            return check;
        }
    }
    if (!expect(System::thread_join(static_cast<uint32_t>(reader)) == static_cast<int64_t>(s_load_count)))
        return check;
    // How often the writer parked depends on how the two threads interleave; every message
    // arrived in order, none was dropped, and every timeout seen here was counted.
    if (!expect(System::channel_statistics(audit_log, loaded.first, &statistics) == 0
            && statistics.sent == s_load_count && statistics.dropped == 0
            && statistics.timed_out == timeouts))
        return check;
    return 0;
}
