#include <Core/NoThrow.h>
#include <Kernel/Log/KernelLog.h>
#include <Kernel/Tasks/Process.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Tasks {

// The reaper: processes whose last thread is gone wait here for their teardown.
class ProcessReaper {
public:
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
            if (process) {
                tear_down(*process);
                __atomic_sub_fetch(&s_pending, 1, __ATOMIC_RELEASE);
            }
        }
    }

    static void tear_down(Process& process)
    {
        process.finish_exit();
        // The exited thread's reference: with the handles closed (its own included), usually
        // the last one, which frees the address space and everything in it.
        (void)process.unref();
    }

    using List = Core::IntrusiveList<Process, &Process::m_reaper_node>;
    // Leaf: nothing is taken under it (the semaphore is raised after it is released).
    static inline Locking::SpinlockProtected<List> s_waiting { "process reaper", Locking::LockRank::Leaf };
    static inline Semaphore s_work { 0 };
    static inline bool s_running { false };
    // Processes handed over and not yet torn down.
    static inline Core::u32 s_pending { 0 };
};

Process::Process(Core::StringView name, Memory::AddressSpace* address_space)
    : m_address_space(address_space)
{
    // Only printable characters, so that a name from user space cannot forge log lines.
    Core::usize length = name.length() < maximum_name_length ? name.length() : maximum_name_length;
    for (Core::usize index = 0; index < length; ++index) {
        char character = name.characters()[index];
        m_name[index] = character >= ' ' && character <= '~' ? character : '?';
    }
    m_name[length] = '\0';
}

namespace {

// A leaf: taken alone, to add or remove a process or to read fields of each.
Locking::SpinlockProtected<ProcessRegistry::List> s_registry("process registry", Locking::LockRank::Leaf);
// Under the registry's lock.
Core::u64 s_next_process_id = 1;

} // namespace

Locking::SpinlockProtected<ProcessRegistry::List>& ProcessRegistry::processes()
{
    return s_registry;
}

Core::Result<Core::RefPtr<Process>> Process::create(Core::StringView name)
{
    Memory::AddressSpace* space = TRY(Memory::AddressSpace::create());
    auto* process = new (Core::nothrow) Process(name, space);
    if (!process) {
        delete space;
        return Core::ErrorCode::OutOfMemory;
    }
    ProcessRegistry::processes().with([&](ProcessRegistry::List& list) {
        process->m_id = s_next_process_id++;
        list.push_back(*process);
    });
    return Core::RefPtr<Process>::adopt(process);
}

Core::RefPtr<Process> Process::find(Core::u64 id)
{
    return ProcessRegistry::processes().with([&](ProcessRegistry::List& list) -> Core::RefPtr<Process> {
        for (Process* process = list.first(); process; process = ProcessRegistry::List::next(*process)) {
            // A process whose last reference is gone waits in its destructor for this lock:
            // its memory is intact, but it may not be revived.
            if (process->m_id == id && process->try_ref())
                return Core::RefPtr<Process>::adopt(process);
        }
        return {};
    });
}

Process::~Process()
{
    // First out of the registry: after this nobody can find the process.
    ProcessRegistry::processes().with([&](ProcessRegistry::List& list) { list.remove(*this); });
    // Nobody can reach the process any more, so its table needs no lock. Its handles go
    // first (they may name objects that refer to memory of this space), then the space,
    // with every frame it owns.
    m_handles.close_all();
    delete m_address_space;
}

void Process::add_thread(Thread& thread)
{
    {
        Locking::SpinlockLocker locker(m_threads_lock);
        m_threads.push_back(thread);
        ++m_live_threads;
    }
    // A thread made while the process terminates is not started into user mode: its
    // entry checks Scheduler::termination_requested first (UserThread.cpp).
}

bool Process::terminate(Core::i64 status)
{
    bool expected = false;
    // The status is written before the flag is published, so whoever sees the process
    // terminating reads its status.
    {
        Locking::SpinlockLocker locker(m_threads_lock);
        if (__atomic_load_n(&m_terminating, __ATOMIC_ACQUIRE))
            return false;
        // A process that ran and has no thread left has ended (or is being torn down): its
        // status, the last thread's, is final.
        State current = state();
        if (current != State::Created && current != State::Starting && m_live_threads == 0)
            return false;
        __atomic_store_n(&m_exit_status, status, __ATOMIC_RELEASE);
        // Sequentially consistent: pairs with the flag a waiter sets before it sleeps
        // (WaitQueue::wait_interruptible).
        (void)__atomic_compare_exchange_n(
            &m_terminating, &expected, true, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        // Waking takes no lock, so it may run under this one; the list cannot change under
        // it, and its threads stay allocated (threads are never freed).
        for (Thread* thread = m_threads.first(); thread; thread = ThreadList::next(*thread))
            Scheduler::interrupt_for_termination(*thread);
    }
    // A process that never ran has no thread to end it: it exits here. One being started
    // exits through its new thread, which sees the termination at once, or, if the start
    // fails, through abandon_start().
    exit_if_never_started();
    return true;
}

void Process::exit_if_never_started()
{
    // No thread holds a process that never started: the caller's reference keeps it
    // alive through this.
    if (!change_state(State::Created, State::Exited))
        return;
    with_handles([](Objects::HandleTable& table) { table.close_all(); });
    // Terminated first: whoever process_wait wakes may look at the signal at once.
    m_signals.raise(ABI::signal_bits(ABI::Signal::Terminated));
    m_exit_waiters.wake_all();
}

void Process::abandon_start()
{
    if (!change_state(State::Starting, State::Created))
        return;
    // Pairs with terminate(), which publishes the flag before it tries the same move.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (is_terminating())
        exit_if_never_started();
}

void Process::finish_exit()
{
    with_handles([](Objects::HandleTable& table) { table.close_all(); });
    m_exit_waiters.with_lock(
        [&] { __atomic_store_n(&m_state, static_cast<Core::u8>(State::Exited), __ATOMIC_RELEASE); });
    // Terminated first: whoever process_wait wakes may look at the signal at once.
    m_signals.raise(ABI::signal_bits(ABI::Signal::Terminated));
    m_exit_waiters.wake_all();
}

Core::Result<Core::i64> Process::wait_for_exit(Core::u64 deadline_ns)
{
    TRY(m_exit_waiters.wait_until_interruptible([&] { return state() == State::Exited; }, deadline_ns));
    return exit_status();
}

void Process::release_from_exited_thread(Process& process, Thread& thread)
{
    {
        Locking::SpinlockLocker locker(process.m_threads_lock);
        process.m_threads.remove(thread);
        if (--process.m_live_threads != 0) {
            // Dropped under the lock: the last thread's reference is still held (its
            // release needs this lock), so this cannot be the last reference, and the
            // teardown never runs here, in the switch path.
            (void)process.unref();
            return;
        }
        // Without a termination, the last thread's status is the process's.
        if (!__atomic_load_n(&process.m_terminating, __ATOMIC_ACQUIRE))
            __atomic_store_n(&process.m_exit_status, thread.exit_status(), __ATOMIC_RELEASE);
    }
    if (!__atomic_load_n(&ProcessReaper::s_running, __ATOMIC_ACQUIRE)) {
        ProcessReaper::tear_down(process);
        return;
    }
    __atomic_add_fetch(&ProcessReaper::s_pending, 1, __ATOMIC_RELAXED);
    ProcessReaper::s_waiting.with([&](ProcessReaper::List& list) { list.push_back(process); });
    ProcessReaper::s_work.up();
}

bool Process::teardowns_pending()
{
    return __atomic_load_n(&ProcessReaper::s_pending, __ATOMIC_ACQUIRE) != 0;
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

} // namespace Kernel::Tasks
