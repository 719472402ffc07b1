#include <Core/NoThrow.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Tasks/Process.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Tasks {

// The reaper: processes whose last thread is gone wait here for their teardown.
class ProcessReaper {
public:
    static void tear_down(Process& process)
    {
        process.with_handles([](Objects::HandleTable& table) { table.close_all(); });
        // The exited thread's reference: with the handles closed (its own included), usually
        // the last one, which frees the address space and everything in it.
        (void)process.unref();
    }

    [[noreturn]] static void run(void*)
    {
        for (;;) {
            s_work.down();
            Process* process = nullptr;
            s_waiting.with([&](List& list) {
                process = list.first();
                if (process)
                    list.remove(*process);
            });
            if (process)
                tear_down(*process);
        }
    }

    using List = Core::IntrusiveList<Process, &Process::m_reaper_node>;
    // Leaf: nothing is taken under it (the semaphore is raised after it is released).
    static inline Locking::SpinlockProtected<List> s_waiting { "process reaper", Locking::LockRank::Leaf };
    static inline Semaphore s_work { 0 };
    static inline bool s_running { false };
};

void Process::release_from_exited_thread(Process& process)
{
    if (!process.thread_ended()) {
        // Other threads still hold references: this one cannot be the last.
        (void)process.unref();
        return;
    }
    if (!__atomic_load_n(&ProcessReaper::s_running, __ATOMIC_ACQUIRE)) {
        ProcessReaper::tear_down(process);
        return;
    }
    ProcessReaper::s_waiting.with([&](ProcessReaper::List& list) { list.push_back(process); });
    ProcessReaper::s_work.up();
}

void Process::start_reaper()
{
    auto thread = Thread::create("process reaper", ProcessReaper::run, nullptr, 0);
    if (thread.is_error()) {
        Log::warning("tasks: no process reaper ({}); processes are torn down in the switch path",
            thread.error().name());
        return;
    }
    __atomic_store_n(&ProcessReaper::s_running, true, __ATOMIC_RELEASE);
    Scheduler::start(*thread.value());
}

Core::Result<Core::RefPtr<Process>> Process::create(const char* name)
{
    Memory::AddressSpace* space = TRY(Memory::AddressSpace::create());
    auto* process = new (Core::nothrow) Process(name, space);
    if (!process) {
        delete space;
        return Core::ErrorCode::OutOfMemory;
    }
    return Core::RefPtr<Process>::adopt(process);
}

Process::~Process()
{
    // Nobody can reach the process any more, so its table needs no lock. Its handles go
    // first (they may name objects that refer to memory of this space), then the space,
    // with every frame it owns.
    m_handles.close_all();
    delete m_address_space;
}

} // namespace Kernel::Tasks
