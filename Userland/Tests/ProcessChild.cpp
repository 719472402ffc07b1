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
uint32_t s_go;

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
        // Held until the parent signals, which it does well after the main thread has
        // exited (ProcessTests.cpp).
        (void)System::event_wait(s_go);
        return 9;
    default:
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
    case Mode::LastThreadGivesStatus:
        // Start-up handles: the event that releases the second thread, and the one that
        // tells the parent the main thread is about to exit.
        if (startup->count != 2)
            return 1;
        s_go = startup->handles[0];
        if (System::thread_create(_thread_start, s_stack + sizeof(s_stack), argument) < 0)
            return 1;
        (void)System::event_signal(startup->handles[1]);
        System::thread_exit(5);
    }
    return 1;
}
