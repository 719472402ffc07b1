// The child program of the process tests (ProcessTests.cpp), which carries its image and
// starts it with a mode in the argument. Each mode ends in a different way, so that the
// parent can check the exit status the kernel reports.

#include <ABI/ObjectType.h>
#include <ABI/Process.h>
#include <ABI/Rights.h>
#include <Userland/Runtime/System.h>
#include <Userland/Tests/ProcessChild.h>

using ProcessChild::Mode;

extern "C" void _thread_start();

namespace {

alignas(16) char s_stack[16384];
alignas(16) char s_first_thread_stack[16384];
// LastThreadGivesStatus: the thread that ends first, which the others join.
constexpr uint64_t first_to_end_role = 100;
uint32_t s_first_to_end;

// A loop the compiler must keep: the volatile read is a side effect.
[[noreturn]] void spin_forever()
{
    volatile uint64_t counter = 0;
    for (;;)
        counter = counter + 1;
}

[[noreturn]] void block_forever()
{
    int64_t event = System::event_create();
    for (;;)
        (void)System::event_wait(static_cast<uint32_t>(event));
}

} // namespace

// The second thread: what it does is the mode's, passed as its argument.
extern "C" int64_t thread_main(uint64_t argument, uint64_t)
{
    switch (static_cast<Mode>(argument)) {
    case Mode::ExitWhileAnotherThreadSpins:
        spin_forever();
    case Mode::FaultInSecondThread:
        return *reinterpret_cast<volatile int64_t*>(0);
    case Mode::LastThreadGivesStatus:
        // Ends only after the first thread has, so the process's last thread is this one
        // or the main thread, both with 9.
        if (System::thread_join(s_first_to_end) != 5)
            return 1;
        return 9;
    default:
        if (argument == first_to_end_role)
            return 5;
        return 0;
    }
}

extern "C" int64_t main(uint64_t argument, uint64_t, const ABI::StartupHandles* startup)
{
    auto mode = static_cast<Mode>(argument);
    switch (mode) {
    case Mode::ReturnFortyTwo:
        return 42;
    case Mode::Fault:
        return *reinterpret_cast<volatile int64_t*>(0);
    case Mode::BlockForever:
        block_forever();
    case Mode::SpinForever:
        spin_forever();
    case Mode::CheckStartupHandles: {
        // Two events, the first with Signal: signalling it tells the parent the handles
        // arrived with their rights.
        if (startup->count != 2)
            return 1;
        for (uint64_t index = 0; index < 2; ++index) {
            int64_t info = System::handle_info(startup->handles[index]);
            if (info < 0 || (info >> 32) != static_cast<int64_t>(ABI::ObjectType::Event))
                return 2;
        }
        if (System::event_signal(startup->handles[0]) != 0)
            return 3;
        return 100 + static_cast<int64_t>(startup->count);
    }
    case Mode::ExitWhileAnotherThreadSpins:
        if (System::thread_create(_thread_start, s_stack + sizeof(s_stack), argument) < 0)
            return 1;
        System::process_exit(7);
    case Mode::FaultInSecondThread:
        if (System::thread_create(_thread_start, s_stack + sizeof(s_stack), argument) < 0)
            return 1;
        block_forever();
    case Mode::LastThreadGivesStatus: {
        // Three threads: one that ends at once with 5, then two that wait for it and end
        // with 9 (this one and a second). Whichever of the two ends last, the process must
        // end with 9: the last thread's status, not the first's.
        int64_t first = System::thread_create(
            _thread_start, s_first_thread_stack + sizeof(s_first_thread_stack), first_to_end_role);
        if (first < 0)
            return 1;
        s_first_to_end = static_cast<uint32_t>(first);
        if (System::thread_create(_thread_start, s_stack + sizeof(s_stack), argument) < 0)
            return 1;
        if (System::thread_join(s_first_to_end) != 5)
            return 1;
        System::thread_exit(9);
    }
    }
    return 1;
}
