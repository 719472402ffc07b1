// Channels from user space (Userland/Tests/ChannelTests.cpp).

#include <Kernel/Ipc/Channel.h>
#include <Kernel/Ipc/ChannelRegisterForm.h>
#include <Kernel/Security/AuditLog.h>
#include <Kernel/Tasks/ProgramTestSupport.h>
#include <Kernel/Tasks/SchedulerTestSupport.h>

using Kernel::Tasks::TestSupport::run_to_exit;

// Ordering, limits, handle moves, a closed peer, signals and every backpressure policy;
// the audit log is its one start-up handle, for channel_statistics.
KERNEL_TEST(ipc, channel_calls_from_user_space)
{
    Kernel::Tasks::TestSupport::expect_program_passes_with_audit_log(test_context, "tests/channels");
}

// The register form (docs/ipc.md#register-form), with both forms and both fast paths;
// the audit log is its one start-up handle, for channel_statistics.
KERNEL_TEST(ipc, register_form_calls_from_user_space)
{
    Kernel::Tasks::TestSupport::expect_program_passes_with_audit_log(test_context, "tests/register-channels");
}

namespace {

using Kernel::Ipc::ChannelEndpoint;
using Kernel::Ipc::Message;
using Kernel::Tasks::Scheduler;
using Kernel::Tasks::Thread;

// What a priority-inheritance run shares with its two threads: the channel's ends, and what
// the server and the client saw.
struct LoanRun {
    ChannelEndpoint* client_end;
    ChannelEndpoint* server_end;
    Core::u32 rank_while_serving;
    Core::u32 rank_after_reply;
    bool call_answered;
    bool served;
};
LoanRun s_loan;

// Runs `serve` in a fair thread and `call` in a thread at fixed priority 40, on one CPU and
// a fresh channel, and checks what both forms promise: the call was answered, the server
// ran at 40 while serving and at 0 after its reply. With `server_waits_first`, the client
// starts once the server waits. The channel's counters are handed to `check_channel`.
void run_loan(Kernel::Test::TestContext& test_context, Thread::Entry serve, Thread::Entry call,
    bool server_waits_first, void (*check_channel)(Kernel::Test::TestContext&, const ABI::ChannelStatistics&))
{
    auto pair = ChannelEndpoint::create_pair(ABI::ChannelQos::LatencySensitive);
    EXPECT(!pair.is_error());
    if (pair.is_error())
        return;
    s_loan = { pair.value().first.get(), pair.value().second.get(), 0, 99, false, false };
    Core::u32 cpu = Kernel::Tasks::TestSupport::test_cpu();
    auto server = Thread::create("ipc server", serve, nullptr, cpu);
    auto client = Thread::create("ipc client", call, nullptr, cpu);
    EXPECT(!server.is_error() && !client.is_error());
    if (server.is_error() || client.is_error())
        return;
    EXPECT(!Scheduler::set_fixed_priority(*client.value(), 40).is_error());
    Scheduler::start(*server.value());
    while (server_waits_first && server.value()->state() != Thread::State::Blocked)
        Scheduler::yield();
    Scheduler::start(*client.value());
    EXPECT(!Scheduler::join(*client.value()).is_error());
    EXPECT(!Scheduler::join(*server.value()).is_error());
    EXPECT(s_loan.call_answered);
    EXPECT_EQ(s_loan.rank_while_serving, 40u);
    EXPECT_EQ(s_loan.rank_after_reply, 0u);
    check_channel(test_context, pair.value().first->statistics());
}

} // namespace

// Priority inheritance across IPC: a fixed-priority caller's request makes the fair thread
// that reads it run at the caller's priority until it replies, and no longer.
KERNEL_TEST(ipc, a_call_lends_the_callers_priority_until_the_reply)
{
    auto serve = [](void*) {
        Core::u32 bytes = 0;
        Core::u32 handles = 0;
        Message* request = nullptr;
        while (!request) {
            auto taken = s_loan.server_end->take(64, 0, bytes, handles);
            if (!taken.is_error())
                request = taken.value();
            else
                Scheduler::yield();
        }
        Thread& self = Scheduler::current();
        s_loan.rank_while_serving = self.inherited_priority();
        // The reply carries the request's header, transaction id included.
        auto reply = Message::create(request->byte_count(), 0);
        if (reply.is_error())
            return;
        for (Core::u32 index = 0; index < request->byte_count(); ++index)
            reply.value()->bytes()[index] = request->bytes()[index];
        Message::destroy(request);
        if (s_loan.server_end->write(reply.value()).is_error())
            Message::destroy(reply.value());
        s_loan.rank_after_reply = self.inherited_priority();
    };
    auto call = [](void*) {
        auto request = Message::create(ABI::channel_call_minimum_bytes, 0);
        if (request.is_error())
            return;
        for (Core::u32 index = 0; index < ABI::channel_call_minimum_bytes; ++index)
            request.value()->bytes()[index] = 0;
        auto reply = s_loan.client_end->call(request.value(), Kernel::Tasks::no_deadline);
        if (reply.is_error())
            return;
        s_loan.call_answered = reply.value()->transaction_id() & ABI::channel_kernel_transaction_bit;
        Message::destroy(reply.value());
    };
    // Both messages were Messages: nothing went from frame to frame.
    run_loan(test_context, serve, call, false,
        [](Kernel::Test::TestContext& test_context, const ABI::ChannelStatistics& statistics) {
            EXPECT_EQ(statistics.sent, 2u);
            EXPECT_EQ(statistics.sent_in_registers, 0u);
        });
}

// The same in the register form: the request reaches the server waiting in
// serve_in_registers() straight into its frame (the fast path), and the rank the caller lends
// lasts until the server's reply, which goes out through the path that ends the loan.
KERNEL_TEST(ipc, a_call_in_registers_lends_the_callers_priority_until_the_reply)
{
    auto serve = [](void*) {
        // The frames of the register form are ordinary saved states; these stand in for the
        // system calls' own.
        Kernel::Arch::RegisterState frame {};
        if (s_loan.server_end->serve_in_registers(frame, false, Kernel::Tasks::no_deadline).is_error())
            return;
        Thread& self = Scheduler::current();
        s_loan.rank_while_serving = self.inherited_priority();
        // The request, transaction id included, goes back as the reply; the wait after it has
        // a deadline already past, so the serve ends there.
        s_loan.served = frame.rsi == ABI::channel_call_minimum_bytes
            && s_loan.server_end->serve_in_registers(frame, true, 1).error().code()
                == Core::ErrorCode::TimedOut
            && frame.rdi == 1;
        s_loan.rank_after_reply = self.inherited_priority();
    };
    auto call = [](void*) {
        Kernel::Arch::RegisterState frame {};
        frame.rsi = ABI::channel_call_minimum_bytes;
        if (s_loan.client_end->call_in_registers(frame, Kernel::Tasks::no_deadline).is_error())
            return;
        s_loan.call_answered = frame.rsi == ABI::channel_call_minimum_bytes
            && (frame.r9 & ABI::channel_kernel_transaction_bit);
    };
    // The server first, and waiting, so that the call takes the fast path; both messages went
    // from frame to frame, so the loan was lent and ended on it.
    run_loan(test_context, serve, call, true,
        [](Kernel::Test::TestContext& test_context, const ABI::ChannelStatistics& statistics) {
            EXPECT(s_loan.served);
            EXPECT_EQ(statistics.sent_in_registers, 2u);
        });
}
