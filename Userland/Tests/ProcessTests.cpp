// User-space tests of processes: process_create, process_start, process_exit, process_wait,
// process_kill and handle_revoke, success and failure paths. It starts its child program
// (ProcessChild.cpp, carried in this image) in each of its modes and checks the exit status
// the kernel reports. The kernel test kernel.syscalls.processes_from_user_space runs it; it
// exits with 0, or with the number of the first check that failed.

#include <ABI/ObjectType.h>
#include <ABI/Process.h>
#include <ABI/Rights.h>
#include <ABI/Signals.h>
#include <Userland/Runtime/System.h>
#include <Userland/Tests/Checks.h>
#include <Userland/Tests/ProcessChild.h>

using ABI::ErrorCode;
using ProcessChild::Mode;
using System::failure;

extern "C" const char process_child_image[];
extern "C" const char process_child_image_end[];

namespace {

constexpr uint32_t created_rights = (ABI::Right::Read | ABI::Right::Write | ABI::Right::Wait
    | ABI::Right::Manage | ABI::Right::Duplicate | ABI::Right::Transfer)
                                        .raw();

constexpr int64_t page_fault_status = ABI::fault_exit_status_base - 14;

ABI::ProcessStartArguments child_arguments(Mode mode)
{
    ABI::ProcessStartArguments arguments {};
    arguments.image_address = reinterpret_cast<uint64_t>(process_child_image);
    arguments.image_size = static_cast<uint64_t>(process_child_image_end - process_child_image);
    arguments.argument = static_cast<uint64_t>(mode);
    return arguments;
}

int64_t create(const char* name)
{
    uint64_t length = 0;
    while (name[length] != 0)
        ++length;
    return System::process_create(name, length);
}

// Starts the child in `mode` and returns its handle, or a negative value.
int64_t start_child(Mode mode)
{
    int64_t process = create("child");
    if (process < 0)
        return process;
    auto arguments = child_arguments(mode);
    int64_t started = System::process_start(static_cast<uint32_t>(process), &arguments);
    if (started < 0)
        return started;
    return process;
}

// The child's exit status, or a value no child exits with when waiting failed.
constexpr int64_t wait_failed = -999'999;
int64_t exit_status_of(int64_t process)
{
    int64_t status = 0;
    if (System::process_wait(static_cast<uint32_t>(process), &status) != 0)
        return wait_failed;
    return status;
}

} // namespace

extern "C" int64_t main(uint64_t, uint64_t self_value)
{
    auto self = static_cast<uint32_t>(self_value);
    CheckCounter checks;

    // process_create: names are 1 to 31 bytes of readable memory; no flags exist.
    if (!checks.expect(System::process_create(reinterpret_cast<const char*>(0xFFFFFFFF80000000ull), 4)
            == failure(ErrorCode::BadAddress)))
        return checks.failed_check();
    if (!checks.expect(System::process_create(nullptr, 4) == failure(ErrorCode::BadAddress)))
        return checks.failed_check();
    if (!checks.expect(System::process_create(reinterpret_cast<const char*>(0x00007FFFFFFFFFF0ull), 31)
            == failure(ErrorCode::BadAddress)))
        return checks.failed_check();
    if (!checks.expect(System::process_create("x", 0) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(System::process_create("0123456789012345678901234567890123", 32)
            == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(System::process_create("child", 5, 1) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    int64_t created = create("child");
    if (!checks.expect(created > 0))
        return checks.failed_check();
    auto process = static_cast<uint32_t>(created);
    int64_t info = System::handle_info(process);
    if (!checks.expect((info >> 32) == static_cast<int64_t>(ABI::ObjectType::Process)
            && (info & 0xFFFFFFFF) == created_rights))
        return checks.failed_check();

    // process_start refuses bad arguments before it touches the process.
    auto arguments = child_arguments(Mode::ReturnFortyTwo);
    if (!checks.expect(System::process_start(process, nullptr) == failure(ErrorCode::BadAddress)))
        return checks.failed_check();
    if (!checks.expect(System::process_start(process,
                           reinterpret_cast<const ABI::ProcessStartArguments*>(0xFFFF800000000000ull))
            == failure(ErrorCode::BadAddress)))
        return checks.failed_check();
    auto bad = arguments;
    bad.flags = 1;
    if (!checks.expect(System::process_start(process, &bad) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    bad = arguments;
    bad.handle_count = ABI::maximum_startup_handles + 1;
    if (!checks.expect(System::process_start(process, &bad) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    bad = arguments;
    bad.image_size = 0;
    if (!checks.expect(System::process_start(process, &bad) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    bad = arguments;
    bad.image_size = ABI::maximum_image_size + 1;
    if (!checks.expect(System::process_start(process, &bad) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    bad = arguments;
    bad.image_address = 0xFFFFFFFF80000000ull;
    if (!checks.expect(System::process_start(process, &bad) == failure(ErrorCode::BadAddress)))
        return checks.failed_check();
    // Not an executable: the start of this program's own data.
    static const char not_an_executable[64] = "definitely not an ELF image";
    bad = arguments;
    bad.image_address = reinterpret_cast<uint64_t>(not_an_executable);
    bad.image_size = sizeof(not_an_executable);
    if (!checks.expect(System::process_start(process, &bad) == failure(ErrorCode::Malformed)))
        return checks.failed_check();
    // Handles to move: the same twice, stale, without Transfer.
    int64_t event = System::event_create();
    if (!checks.expect(event > 0))
        return checks.failed_check();
    auto event_handle = static_cast<uint32_t>(event);
    uint32_t twice[] = { event_handle, event_handle };
    bad = arguments;
    bad.handles_address = reinterpret_cast<uint64_t>(twice);
    bad.handle_count = 2;
    if (!checks.expect(System::process_start(process, &bad) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    bad.handle_count = 1;
    bad.handles_address = 0xFFFFFFFF80000000ull;
    if (!checks.expect(System::process_start(process, &bad) == failure(ErrorCode::BadAddress)))
        return checks.failed_check();
    int64_t no_transfer
        = System::handle_duplicate(event_handle, (ABI::Right::Wait | ABI::Right::Duplicate).raw());
    uint32_t untransferable[] = { static_cast<uint32_t>(no_transfer) };
    bad.handles_address = reinterpret_cast<uint64_t>(untransferable);
    if (!checks.expect(System::process_start(process, &bad) == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    int64_t closed = System::event_create();
    if (!checks.expect(closed > 0 && System::handle_close(static_cast<uint32_t>(closed)) == 0))
        return checks.failed_check();
    uint32_t stale[] = { static_cast<uint32_t>(closed) };
    bad.handles_address = reinterpret_cast<uint64_t>(stale);
    if (!checks.expect(System::process_start(process, &bad) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    // The process handle itself: the wrong type, without Manage, stale.
    if (!checks.expect(System::process_start(event_handle, &arguments) == failure(ErrorCode::WrongType)))
        return checks.failed_check();
    int64_t wait_only = System::handle_duplicate(process, (ABI::Right::Wait | ABI::Right::Duplicate).raw());
    if (!checks.expect(wait_only > 0))
        return checks.failed_check();
    if (!checks.expect(System::process_start(static_cast<uint32_t>(wait_only), &arguments)
            == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    if (!checks.expect(
            System::process_kill(static_cast<uint32_t>(wait_only)) == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();

    // None of that used the process up: it starts now, exactly once, and ends with its
    // program's status.
    if (!checks.expect(System::process_start(process, &arguments) == 0))
        return checks.failed_check();
    if (!checks.expect(System::process_start(process, &arguments) == failure(ErrorCode::Busy)))
        return checks.failed_check();
    int64_t status = 0;
    if (!checks.expect(System::process_wait(process, nullptr) == failure(ErrorCode::BadAddress)))
        return checks.failed_check();
    if (!checks.expect(System::process_wait(self, &status) == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(System::process_wait(event_handle, &status) == failure(ErrorCode::WrongType)))
        return checks.failed_check();
    int64_t no_wait = System::handle_duplicate(process, ABI::Rights(ABI::Right::Manage).raw());
    if (!checks.expect(no_wait > 0
            && System::process_wait(static_cast<uint32_t>(no_wait), &status)
                == failure(ErrorCode::AccessDenied)))
        return checks.failed_check();
    if (!checks.expect(System::process_wait(static_cast<uint32_t>(wait_only), &status) == 0 && status == 42))
        return checks.failed_check();
    // Waiting again gives the same status; killing an ended process changes nothing.
    if (!checks.expect(exit_status_of(process) == 42 && System::process_kill(process) == 0
            && exit_status_of(process) == 42))
        return checks.failed_check();
    if (!checks.expect(System::handle_close(process) == 0
            && System::process_wait(process, &status) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();

    // Terminated is raised once a process has exited, and stays raised; a process still
    // running times out.
    constexpr uint32_t terminated = ABI::signal_bits(ABI::Signal::Terminated);
    if (!checks.expect(System::object_wait(static_cast<uint32_t>(wait_only), terminated, 0) == terminated))
        return checks.failed_check();
    int64_t running = start_child(Mode::BlockForever);
    if (!checks.expect(running > 0
            && System::object_wait(static_cast<uint32_t>(running), terminated, 0)
                == failure(ErrorCode::TimedOut)
            && System::object_wait(static_cast<uint32_t>(running), ABI::signal_bits(ABI::Signal::Fired), 0)
                == failure(ErrorCode::InvalidArgument)))
        return checks.failed_check();
    if (!checks.expect(System::process_kill(static_cast<uint32_t>(running)) == 0
            && System::object_wait(static_cast<uint32_t>(running), terminated, ABI::no_deadline) == terminated
            && exit_status_of(running) == ABI::killed_exit_status))
        return checks.failed_check();

    // A fault ends the process, not the kernel.
    if (!checks.expect(exit_status_of(start_child(Mode::Fault)) == page_fault_status))
        return checks.failed_check();

    // A blocked child: waiting times out, killing ends it.
    int64_t blocked = start_child(Mode::BlockForever);
    if (!checks.expect(blocked > 0))
        return checks.failed_check();
    if (!checks.expect(
            System::process_wait(static_cast<uint32_t>(blocked), &status, 1) == failure(ErrorCode::TimedOut)))
        return checks.failed_check();
    if (!checks.expect(System::process_kill(static_cast<uint32_t>(blocked)) == 0))
        return checks.failed_check();
    if (!checks.expect(exit_status_of(blocked) == ABI::killed_exit_status))
        return checks.failed_check();

    // A child running user code: killing interrupts it.
    int64_t spinning = start_child(Mode::SpinForever);
    if (!checks.expect(spinning > 0 && System::process_kill(static_cast<uint32_t>(spinning)) == 0))
        return checks.failed_check();
    if (!checks.expect(exit_status_of(spinning) == ABI::killed_exit_status))
        return checks.failed_check();

    // A process killed before it started exits at once, and cannot be started after.
    int64_t unstarted = create("never started");
    if (!checks.expect(unstarted > 0 && System::process_kill(static_cast<uint32_t>(unstarted)) == 0))
        return checks.failed_check();
    if (!checks.expect(exit_status_of(unstarted) == ABI::killed_exit_status))
        return checks.failed_check();
    if (!checks.expect(
            System::process_start(static_cast<uint32_t>(unstarted), &arguments) == failure(ErrorCode::Busy)))
        return checks.failed_check();

    // Start-up handles move: the child gets them in order, this process loses them. A
    // duplicate kept here sees the child signal the event.
    int64_t kept = System::handle_duplicate(event_handle, (ABI::Right::Wait | ABI::Right::Duplicate).raw());
    int64_t second_event = System::event_create();
    if (!checks.expect(kept > 0 && second_event > 0))
        return checks.failed_check();
    int64_t receiver = create("receiver");
    uint32_t moving[] = { event_handle, static_cast<uint32_t>(second_event) };
    auto with_handles = child_arguments(Mode::CheckStartupHandles);
    with_handles.handles_address = reinterpret_cast<uint64_t>(moving);
    with_handles.handle_count = 2;
    if (!checks.expect(
            receiver > 0 && System::process_start(static_cast<uint32_t>(receiver), &with_handles) == 0))
        return checks.failed_check();
    if (!checks.expect(System::handle_info(event_handle) == failure(ErrorCode::BadHandle)
            && System::handle_info(static_cast<uint32_t>(second_event)) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    if (!checks.expect(System::event_wait(static_cast<uint32_t>(kept)) == 0))
        return checks.failed_check();
    if (!checks.expect(exit_status_of(receiver) == 102))
        return checks.failed_check();

    // process_exit ends every thread; a fault in any thread ends the process.
    if (!checks.expect(exit_status_of(start_child(Mode::ExitWhileAnotherThreadSpins)) == 7))
        return checks.failed_check();
    if (!checks.expect(exit_status_of(start_child(Mode::FaultInSecondThread)) == page_fault_status))
        return checks.failed_check();
    // Without a termination, the last thread's status is the process's, not the first's:
    // the child's first thread ends with 5, the two that outlive it with 9.
    if (!checks.expect(exit_status_of(start_child(Mode::LastThreadGivesStatus)) == 9))
        return checks.failed_check();

    // handle_revoke closes a handle and everything duplicated from it.
    int64_t root = System::event_create();
    int64_t rights = System::handle_info(static_cast<uint32_t>(root)) & 0xFFFFFFFF;
    int64_t child = System::handle_duplicate(static_cast<uint32_t>(root), static_cast<uint32_t>(rights));
    int64_t grandchild
        = System::handle_duplicate(static_cast<uint32_t>(child), static_cast<uint32_t>(rights));
    if (!checks.expect(root > 0 && child > 0 && grandchild > 0))
        return checks.failed_check();
    if (!checks.expect(System::handle_revoke(static_cast<uint32_t>(root)) == 3))
        return checks.failed_check();
    if (!checks.expect(
            System::handle_info(static_cast<uint32_t>(grandchild)) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    if (!checks.expect(System::handle_revoke(static_cast<uint32_t>(root)) == failure(ErrorCode::BadHandle)))
        return checks.failed_check();
    return 0;
}
