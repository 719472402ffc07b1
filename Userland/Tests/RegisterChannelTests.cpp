// User-space tests of the register form of channel calls (docs/ipc.md#register-form):
// channel_call_registers and channel_serve_registers, between themselves (the fast path,
// on one CPU and, where there are two, across CPUs) and with the forms that use memory
// blocks, and their failure paths: bad sizes, handles and rights, messages that do not fit
// in registers, deadlines, a closed peer. The kernel test
// kernel.ipc.register_form_calls_from_user_space runs it with the audit log (for
// channel_statistics) as its one start-up handle. It exits with 0, or with the number of the
// first check that failed.

#include <ABI/Channel.h>
#include <ABI/Process.h>
#include <ABI/Rights.h>
#include <Userland/Runtime/System.h>
#include <Userland/Tests/Checks.h>

using ABI::ErrorCode;
using System::failure;
using System::RegisterMessage;

extern "C" void _thread_start();

namespace {

constexpr uint64_t payload_word = ABI::channel_call_minimum_bytes / 8;
constexpr uint64_t transaction_word = ABI::channel_transaction_id_offset / 8;
// The byte count of a request of the header and one payload word.
constexpr uint64_t call_bytes = ABI::channel_call_minimum_bytes + 8;

alignas(16) char s_server_stack[16384];
uint32_t s_server_channel;

constexpr uint64_t register_server_argument = 1;
constexpr uint64_t block_server_argument = 2;
constexpr uint64_t big_reply_server_argument = 3;

struct Channel {
    uint32_t first { 0 };
    uint32_t second { 0 };
};

bool make_channel(Channel& channel)
{
    uint32_t handles[2] = {};
    if (System::channel_create(ABI::ChannelQos::LatencySensitive, handles) != 0)
        return false;
    channel = { handles[0], handles[1] };
    return true;
}

// A call's request: the header (the kernel sets the transaction id) and `payload`.
RegisterMessage request_of(uint64_t payload)
{
    RegisterMessage message {};
    message.byte_count = call_bytes;
    message.words[payload_word] = payload;
    return message;
}

// What the server keeps in its message registers past the words of a reply: none of it may
// reach the caller, and it must stay the server's.
constexpr uint64_t server_sentinel = 0x5555'5555'5555'5555ull;
// What the client keeps past the words of its requests, likewise.
constexpr uint64_t client_sentinel = 0xAAAA'AAAA'AAAA'AAAAull;

// The register server: answers every call in registers with its words as they came, the
// payload word tripled in a request of call_bytes, until the caller's end closes. The words
// past a request must be its own (the server sentinel), never the client's; otherwise the
// reply is cut to the header, which the client sees. A request of 30 bytes (its last word
// partly the payload's) must
// arrive with the two bytes past its end cleared (the client sends them set); otherwise the
// reply is cut to the header, which the client sees. Exits with how many calls it answered.
int64_t serve_in_registers()
{
    if (System::thread_set_affinity(1) != 0)
        return -1;
    RegisterMessage message {};
    for (uint64_t& word : message.words)
        word = server_sentinel;
    int64_t answered = 0;
    for (;;) {
        bool reply_sent = false;
        bool replying = message.byte_count != 0;
        int64_t served = System::channel_serve_registers(s_server_channel, message, reply_sent);
        if (replying && reply_sent)
            ++answered;
        if (served == failure(ErrorCode::PeerClosed))
            return answered;
        if (served != 0)
            return -2;
        if (message.byte_count < ABI::channel_call_minimum_bytes) {
            message.byte_count = 0;
            continue;
        }
        bool own_words_kept = true;
        for (uint64_t word = (message.byte_count + 7) / 8; word < ABI::channel_register_message_words; ++word)
            own_words_kept = own_words_kept && message.words[word] == server_sentinel;
        if (!own_words_kept)
            message.byte_count = ABI::channel_call_minimum_bytes;
        if (message.byte_count == 30 && message.words[3] != 0x0000'FFFF'FFFF'FFFFull)
            message.byte_count = ABI::channel_call_minimum_bytes;
        // The reply's last word set past its 30 bytes: the kernel must not pass that on.
        if (message.byte_count == 30)
            message.words[3] |= 0xFFFF'0000'0000'0000ull;
        if (message.byte_count == call_bytes)
            message.words[payload_word] *= 3;
    }
}

// The block-form server: answers each call with channel_serve, the payload word doubled,
// until the caller's end closes. Exits with how many calls it answered.
int64_t serve_with_blocks(uint64_t reply_padding)
{
    uint8_t message[128] = {};
    ABI::ChannelServeArguments serve {};
    serve.request.bytes_address = reinterpret_cast<uint64_t>(message);
    serve.request.bytes_capacity = sizeof(message);
    serve.deadline_ns = ABI::no_deadline;
    int64_t answered = 0;
    for (;;) {
        bool replying = serve.flags != 0;
        serve.reply_sent = 0;
        int64_t served = System::channel_serve(s_server_channel, &serve);
        // On success a reply asked for went out; on failure reply_sent says.
        if (replying && (served == 0 || serve.reply_sent == 1))
            ++answered;
        if (served == failure(ErrorCode::PeerClosed))
            return answered;
        if (served != 0 || serve.request.byte_count < call_bytes)
            return -1;
        uint64_t payload = 0;
        __builtin_memcpy(&payload, message + ABI::channel_call_minimum_bytes, sizeof(payload));
        payload *= 2;
        __builtin_memcpy(message + ABI::channel_call_minimum_bytes, &payload, sizeof(payload));
        serve.reply_bytes_address = reinterpret_cast<uint64_t>(message);
        serve.reply_byte_count = serve.request.byte_count + reply_padding;
        serve.flags = static_cast<uint64_t>(ABI::ChannelServeFlag::Reply);
    }
}

// Starts the server thread `argument` on `channel`'s second end and gives it about 20 ms to
// reach its wait; the thread's handle, or a negated error.
int64_t start_server(uint32_t channel, uint64_t argument)
{
    s_server_channel = channel;
    int64_t thread = System::thread_create(_thread_start, s_server_stack + sizeof(s_server_stack), argument);
    uint32_t word = 0;
    (void)System::futex_wait(&word, 0, System::clock_monotonic() + 20'000'000);
    return thread;
}

// Closes the client's end and joins the server; the server's exit status.
int64_t stop_server(uint32_t client_end, int64_t server)
{
    (void)System::handle_close(client_end);
    return System::thread_join(static_cast<uint32_t>(server));
}

} // namespace

extern "C" int64_t thread_main(uint64_t argument, uint64_t)
{
    if (argument == register_server_argument)
        return serve_in_registers();
    if (argument == block_server_argument)
        return serve_with_blocks(0);
    if (argument == big_reply_server_argument)
        return serve_with_blocks(64);
    return -100;
}

extern "C" int64_t main(uint64_t, uint64_t, const ABI::StartupHandles* startup)
{
    CheckCounter checks;
    if (!checks.expect(startup->count == 1))
        return checks.failed_check();
    uint32_t audit_log = startup->handles[0];
    // Client and servers share CPU 0 unless a check says otherwise: calls take the fast path.
    if (!checks.expect(System::thread_set_affinity(1) == 0))
        return checks.failed_check();

    // ---- register form to register form: the fast path -------------------------------------
    Channel fast;
    if (!checks.expect(make_channel(fast)))
        return checks.failed_check();
    int64_t server = start_server(fast.second, register_server_argument);
    if (!checks.expect(server > 0))
        return checks.failed_check();
    constexpr uint64_t rounds = 100;
    uint64_t previous_transaction = 0;
    for (uint64_t round = 1; round <= rounds; ++round) {
        RegisterMessage message = request_of(round);
        // Beyond the message: must stay this side's (the server checks it sees its own).
        for (uint64_t word = call_bytes / 8; word < ABI::channel_register_message_words; ++word)
            message.words[word] = client_sentinel;
        bool answered = System::channel_call_registers(fast.first, message) == 0
            && message.byte_count == call_bytes && message.words[payload_word] == round * 3
            && message.words[7] == client_sentinel && message.words[4] == client_sentinel;
        // Each call has its own kernel transaction id, echoed back in the reply.
        uint64_t transaction = message.words[transaction_word];
        if (!checks.expect(answered && (transaction & ABI::channel_kernel_transaction_bit) != 0
                && transaction != previous_transaction))
            return checks.failed_check();
        previous_transaction = transaction;
    }
    // A request that ends inside a word: the bytes past its end do not travel, either way
    // (the server sets them in its reply).
    RegisterMessage partial = request_of(0);
    partial.byte_count = 30;
    partial.words[3] = ~0ull;
    for (uint64_t word = 4; word < ABI::channel_register_message_words; ++word)
        partial.words[word] = client_sentinel;
    if (!checks.expect(System::channel_call_registers(fast.first, partial) == 0 && partial.byte_count == 30
            && partial.words[3] == 0x0000'FFFF'FFFF'FFFFull))
        return checks.failed_check();
    // Every call and reply went from frame to frame (the fast path), with no Message.
    ABI::ChannelStatistics statistics {};
    if (!checks.expect(System::channel_statistics(audit_log, fast.first, &statistics) == 0
            && statistics.sent == 2 * (rounds + 1) && statistics.sent_in_registers == 2 * (rounds + 1)
            && statistics.dropped == 0))
        return checks.failed_check();
    // The block form's call reaches a register server, and its reply comes back to it.
    uint8_t request[call_bytes] = {};
    uint8_t reply[call_bytes] = {};
    uint64_t payload = 7;
    __builtin_memcpy(request + ABI::channel_call_minimum_bytes, &payload, sizeof(payload));
    auto call = System::call_arguments(request, sizeof(request), reply, sizeof(reply));
    uint64_t replied = 0;
    if (!checks.expect(System::channel_call(fast.first, &call) == 0 && call.reply.byte_count == call_bytes))
        return checks.failed_check();
    __builtin_memcpy(&replied, reply + ABI::channel_call_minimum_bytes, sizeof(replied));
    if (!checks.expect(replied == 21))
        return checks.failed_check();
    // A message with a handle does not fit in registers: BufferTooSmall with its sizes, and
    // it stays queued for a read with room for handles. (The server thread answers calls;
    // this one reads its own end, so a plain write to itself is what it finds.)
    Channel loopback;
    Channel spare;
    if (!checks.expect(make_channel(loopback) && make_channel(spare)))
        return checks.failed_check();
    uint32_t carried = spare.first;
    uint64_t bytes = 0x1234;
    if (!checks.expect(System::channel_write(loopback.second, &bytes, sizeof(bytes), &carried, 1) == 0))
        return checks.failed_check();
    RegisterMessage too_big {};
    bool reply_sent = true;
    if (!checks.expect(System::channel_serve_registers(loopback.first, too_big, reply_sent)
                == failure(ErrorCode::BufferTooSmall)
            && !reply_sent && too_big.byte_count == sizeof(bytes) && too_big.words[0] == 1))
        return checks.failed_check();
    uint32_t received_handle = 0;
    uint64_t received_bytes = 0;
    ABI::ChannelReadBuffer buffer {};
    buffer.bytes_address = reinterpret_cast<uint64_t>(&received_bytes);
    buffer.bytes_capacity = sizeof(received_bytes);
    buffer.handles_address = reinterpret_cast<uint64_t>(&received_handle);
    buffer.handles_capacity = 1;
    if (!checks.expect(System::channel_read(loopback.first, &buffer) == 0 && received_bytes == 0x1234
            && buffer.handle_count == 1 && received_handle != 0))
        return checks.failed_check();
    // A plain message (no call) fits: serve reads it in registers.
    if (!checks.expect(System::channel_write(loopback.second, &bytes, sizeof(bytes)) == 0))
        return checks.failed_check();
    RegisterMessage plain {};
    if (!checks.expect(System::channel_serve_registers(loopback.first, plain, reply_sent) == 0
            && plain.byte_count == sizeof(bytes) && plain.words[0] == 0x1234))
        return checks.failed_check();
    // A message of 30 bytes from memory: its last word has nothing past the 30th byte, and
    // the words past it stay the reader's.
    uint8_t thirty[32];
    for (uint8_t& byte : thirty)
        byte = 0xFF;
    RegisterMessage from_memory {};
    from_memory.words[4] = server_sentinel;
    from_memory.words[7] = server_sentinel;
    if (!checks.expect(System::channel_write(loopback.second, thirty, 30) == 0
            && System::channel_serve_registers(loopback.first, from_memory, reply_sent) == 0
            && from_memory.byte_count == 30 && from_memory.words[3] == 0x0000'FFFF'FFFF'FFFFull
            && from_memory.words[2] == ~0ull && from_memory.words[4] == server_sentinel
            && from_memory.words[7] == server_sentinel))
        return checks.failed_check();
    // A serve with nothing queued and its deadline passed gives up at once.
    RegisterMessage nothing {};
    if (!checks.expect(System::channel_serve_registers(loopback.first, nothing, reply_sent, 1)
            == failure(ErrorCode::TimedOut)))
        return checks.failed_check();
    // A reply nobody waits for (its transaction is over) is sent as a plain message.
    RegisterMessage stale = request_of(5);
    stale.words[transaction_word] = ABI::channel_kernel_transaction_bit | 12345;
    if (!checks.expect(System::channel_serve_registers(loopback.second, stale, reply_sent, 1)
                == failure(ErrorCode::TimedOut)
            && reply_sent))
        return checks.failed_check();
    RegisterMessage stale_read {};
    if (!checks.expect(System::channel_serve_registers(loopback.first, stale_read, reply_sent) == 0
            && stale_read.byte_count == call_bytes && stale_read.words[payload_word] == 5))
        return checks.failed_check();

    // ---- decoding: sizes, handles, rights ---------------------------------------------------
    RegisterMessage short_request = request_of(1);
    short_request.byte_count = ABI::channel_call_minimum_bytes - 1;
    RegisterMessage long_request = request_of(1);
    long_request.byte_count = ABI::channel_register_message_bytes + 1;
    if (!checks.expect(
            System::channel_call_registers(fast.first, short_request) == failure(ErrorCode::InvalidArgument)
            && System::channel_call_registers(fast.first, long_request)
                == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    RegisterMessage long_reply = request_of(1);
    long_reply.byte_count = ABI::channel_register_message_bytes + 1;
    reply_sent = true;
    if (!checks.expect(System::channel_serve_registers(loopback.first, long_reply, reply_sent)
                == failure(ErrorCode::InvalidArgument)
            && !reply_sent))
        return checks.failed_check();
    RegisterMessage to_nowhere = request_of(1);
    if (!checks.expect(
            System::channel_call_registers(0xFFFF'FFF0u, to_nowhere) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    // A call needs Write as well as Read; a serve that replies needs Write, one that only
    // reads does not.
    int64_t read_only = System::handle_duplicate(loopback.first, (ABI::Right::Read | ABI::Right::Wait).raw());
    RegisterMessage denied = request_of(1);
    RegisterMessage denied_reply = request_of(1);
    RegisterMessage read_only_serve {};
    if (!checks.expect(read_only > 0
            && System::channel_call_registers(static_cast<uint32_t>(read_only), denied)
                == failure(ErrorCode::AccessDenied)
            && System::channel_serve_registers(static_cast<uint32_t>(read_only), denied_reply, reply_sent)
                == failure(ErrorCode::AccessDenied)
            && System::channel_serve_registers(
                   static_cast<uint32_t>(read_only), read_only_serve, reply_sent, 1)
                == failure(ErrorCode::TimedOut)))
        return checks.failed_check();
    // The server counted every reply it sent: the calls above and the block-form one.
    if (!checks.expect(stop_server(fast.first, server) == static_cast<int64_t>(rounds + 2)))
        return checks.failed_check();

    // ---- register calls to a block-form server ----------------------------------------------
    Channel blocks;
    if (!checks.expect(make_channel(blocks)))
        return checks.failed_check();
    server = start_server(blocks.second, block_server_argument);
    RegisterMessage to_blocks = request_of(11);
    if (!checks.expect(server > 0 && System::channel_call_registers(blocks.first, to_blocks) == 0
            && to_blocks.byte_count == call_bytes && to_blocks.words[payload_word] == 22
            && stop_server(blocks.first, server) == 1))
        return checks.failed_check();
    // A reply too long for registers stays queued: BufferTooSmall with its size, and a
    // read with a larger buffer gets it.
    Channel big;
    if (!checks.expect(make_channel(big)))
        return checks.failed_check();
    server = start_server(big.second, big_reply_server_argument);
    RegisterMessage to_big = request_of(4);
    if (!checks.expect(server > 0
            && System::channel_call_registers(big.first, to_big) == failure(ErrorCode::BufferTooSmall)
            && to_big.byte_count == call_bytes + 64 && to_big.words[0] == 0))
        return checks.failed_check();
    uint8_t long_message[call_bytes + 64] = {};
    ABI::ChannelReadBuffer long_buffer {};
    long_buffer.bytes_address = reinterpret_cast<uint64_t>(long_message);
    long_buffer.bytes_capacity = sizeof(long_message);
    uint64_t doubled = 0;
    if (!checks.expect(System::channel_read(big.first, &long_buffer) == 0
            && long_buffer.byte_count == sizeof(long_message)))
        return checks.failed_check();
    __builtin_memcpy(&doubled, long_message + ABI::channel_call_minimum_bytes, sizeof(doubled));
    if (!checks.expect(doubled == 8 && stop_server(big.first, server) == 1))
        return checks.failed_check();

    // ---- deadlines and a closed peer --------------------------------------------------------
    // Nobody serves: the call gives up at its deadline (its request stays queued).
    Channel silent;
    if (!checks.expect(make_channel(silent)))
        return checks.failed_check();
    RegisterMessage unanswered = request_of(1);
    if (!checks.expect(
            System::channel_call_registers(silent.first, unanswered, System::clock_monotonic() + 10'000'000)
            == failure(ErrorCode::TimedOut)))
        return checks.failed_check();
    // The server's end closed: both forms say PeerClosed.
    if (!checks.expect(System::handle_close(silent.second) == 0))
        return checks.failed_check();
    RegisterMessage orphan = request_of(1);
    RegisterMessage orphan_serve {};
    if (!checks.expect(System::channel_call_registers(silent.first, orphan) == failure(ErrorCode::PeerClosed)
            && System::channel_serve_registers(silent.first, orphan_serve, reply_sent)
                == failure(ErrorCode::PeerClosed)))
        return checks.failed_check();

    // ---- across CPUs, where there are two: the server is woken, not handed the CPU ----------
    Channel across;
    if (!checks.expect(make_channel(across)))
        return checks.failed_check();
    if (System::thread_set_affinity(2) == 0) {
        // The server pins itself to CPU 0 (serve_in_registers); this thread is now on CPU 1.
        server = start_server(across.second, register_server_argument);
        bool all_answered = server > 0;
        for (uint64_t round = 1; round <= 20 && all_answered; ++round) {
            RegisterMessage message = request_of(round);
            all_answered = System::channel_call_registers(across.first, message) == 0
                && message.words[payload_word] == round * 3;
        }
        if (!checks.expect(all_answered && stop_server(across.first, server) == 20))
            return checks.failed_check();
    }
    return 0;
}
