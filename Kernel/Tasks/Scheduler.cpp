#include <Core/NoThrow.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>
#include <Kernel/Panic/Panic.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Time/Clock.h>
#include <Kernel/Time/Timers.h>

extern "C" void switch_kernel_stack(Core::u64* save_stack_pointer, Core::u64 next_stack_pointer);
extern "C" char thread_start[];

namespace Kernel::Tasks {

// One per CPU. Only its CPU touches it, always with interrupts off.
struct RunQueue {
    Scheduling::FairQueue fair;
    Thread* current { nullptr };
    Thread* idle { nullptr };
    Time::Timer slice_timer;
    bool need_reschedule { false };
    bool active { false };
    // A thread that exited and was switched away from: its stack is freed by whichever
    // thread runs next on this CPU, once nothing runs on it any more.
    Thread* exited { nullptr };
    Core::u64 running_since_ns { 0 };
};

namespace {

constexpr Core::u64 thread_stack_size = 32 * 1024;
// How long a thread runs before the others of its CPU get a turn (EEVDF's request size).
constexpr Core::u64 time_slice_ns = Scheduling::default_request_slice_ns;

RunQueue s_run_queues[Arch::max_processors];
// Set once a CPU's scheduler is complete; read by other CPUs before they send it threads.
bool s_ready[Arch::max_processors] {};
// The contexts that were running when each CPU started scheduling become threads here.
alignas(Thread) Core::u8 s_first_thread_storage[Arch::max_processors][sizeof(Thread)];

} // namespace

// The scheduler's internals, a friend of Thread.
class SchedulerInternals {
public:
    static RunQueue& this_run_queue() { return s_run_queues[Arch::current_processor_index()]; }

    static void request_reschedule(Time::Timer&, void* run_queue)
    {
        static_cast<RunQueue*>(run_queue)->need_reschedule = true;
    }

    // Interrupts are off. Picks the next thread (or idle) and switches to it.
    static void schedule(RunQueue& queue)
    {
        queue.need_reschedule = false;
        Core::u64 now = Time::monotonic_nanoseconds();
        Thread* previous = queue.current;
        if (previous != queue.idle) {
            queue.fair.charge(*previous, now - queue.running_since_ns);
            if (previous->state() != Thread::State::Runnable)
                queue.fair.dequeue(*previous, now);
        }
        Scheduling::FairEntity* picked = queue.fair.pick_next();
        Thread* next = picked ? static_cast<Thread*>(picked) : queue.idle;
        // Only a CPU with more than one runnable thread needs a slice timer: with one, there
        // is nobody to preempt for, so the CPU runs (or idles) without any tick.
        if (queue.fair.count() > 1)
            Time::arm_timer(queue.slice_timer, now + time_slice_ns);
        else
            (void)Time::cancel_timer(queue.slice_timer);
        queue.running_since_ns = now;
        if (next == previous)
            return;
        queue.current = next;
        if (previous->state() == Thread::State::Exited)
            queue.exited = previous;
        switch_kernel_stack(&previous->m_saved_stack_pointer, next->m_saved_stack_pointer);
        // Back on this thread: free what exited before the switch.
        reap_exited(this_run_queue());
    }

    // Frees the stack of a thread that exited and was switched away from; nothing runs on it
    // any more. Its Thread object stays, Exited, for whoever still holds a pointer to it.
    static void reap_exited(RunQueue& queue)
    {
        Thread* exited = queue.exited;
        if (!exited)
            return;
        queue.exited = nullptr;
        // A CPU's first thread runs on a stack it did not get from Thread::create (the boot
        // stack, or the start-up stack of an application processor): nothing to free.
        if (exited->m_stack.top != 0)
            Memory::free_kernel_stack(exited->m_stack);
        exited->m_stack = {};
    }

    // Runs after every interrupt's handler and EOI: preempts the interrupted thread if a time
    // slice ended or a wake-up made another thread due, but only if the interrupted code had
    // interrupts on (code with them off, such as a spinlock holder, is never preempted).
    static void preempt_on_interrupt_exit(Arch::RegisterState& registers)
    {
        if (!(registers.rflags & Arch::interrupt_flag))
            return;
        RunQueue& queue = this_run_queue();
        if (queue.active && queue.need_reschedule)
            schedule(queue);
    }

    static bool change_state(Thread& thread, Thread::State from, Thread::State to)
    {
        auto expected = static_cast<Core::u8>(from);
        return __atomic_compare_exchange_n(
            &thread.m_state, &expected, static_cast<Core::u8>(to), false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    }

    // Puts a thread that was just made Runnable into this CPU's queue. Interrupts are off.
    static void enqueue_here(Thread& thread)
    {
        // The run queue is this CPU's, guarded only by interrupts being off.
        VERIFY(!(Arch::read_flags() & Arch::interrupt_flag));
        RunQueue& queue = this_run_queue();
        // Still queued means it never left: it was woken before its CPU switched away.
        if (thread.is_queued())
            return;
        Core::u64 now = Time::monotonic_nanoseconds();
        // Charge the running thread first, so the queue's average virtual time (where the
        // newcomer is placed) is current.
        if (queue.current != queue.idle && queue.current->is_queued()) {
            queue.fair.charge(*queue.current, now - queue.running_since_ns);
            queue.running_since_ns = now;
        }
        queue.fair.enqueue(thread, now);
        queue.need_reschedule = true;
        // The running thread may not block or take an interrupt soon: a slice timer makes
        // sure the new arrival gets the CPU within one slice.
        if (!queue.slice_timer.is_armed())
            Time::arm_timer(queue.slice_timer, now + time_slice_ns);
    }

    [[noreturn]] static void idle_loop(void*)
    {
        // Sleeps until an interrupt; the interrupt-exit hook switches to whatever it made
        // runnable.
        for (;;)
            asm volatile("sti; hlt; cli" ::: "memory");
    }

    static void set_state(Thread& thread, Thread::State state)
    {
        __atomic_store_n(&thread.m_state, static_cast<Core::u8>(state), __ATOMIC_RELEASE);
    }

    static void run_thread(Thread& thread)
    {
        // A new thread starts here from schedule(), with interrupts off; it runs with them on,
        // after freeing what the switch left behind (as a returning thread would).
        reap_exited(this_run_queue());
        asm volatile("sti" ::: "memory");
        thread.m_entry(thread.m_argument);
        Scheduler::exit_current();
    }
};

extern "C" [[noreturn]] void thread_main(Thread* thread)
{
    SchedulerInternals::run_thread(*thread);
    __builtin_unreachable();
}

Core::Result<Thread*> Thread::create(const char* name, Entry entry, void* argument, Core::u32 cpu, int nice)
{
    // Idle threads are created while their CPU is still setting up; everything else only
    // for CPUs that schedule.
    if (cpu >= Arch::processor_count()
        || (entry != SchedulerInternals::idle_loop && !Scheduler::is_ready(cpu)))
        return Core::ErrorCode::InvalidArgument;
    auto stack = TRY(Memory::allocate_kernel_stack(thread_stack_size));
    auto* thread = new (Core::nothrow) Thread(name, entry, argument, cpu, nice);
    if (!thread)
        return Core::ErrorCode::OutOfMemory;
    thread->m_stack = stack;
    // The initial frame switch_kernel_stack pops: r15, r14, r13, r12 (= the thread),
    // rbx, rbp, then the return address thread_start.
    auto* frame = reinterpret_cast<Core::u64*>(stack.top) - 7;
    // Invariant: the stack is `thread_stack_size` mapped bytes below stack.top; the 7 words
    // written here lie at its top. After switch_kernel_stack pops six and returns, RSP is
    // stack.top (16-byte aligned), so thread_start's call enters thread_main with RSP = 8
    // mod 16, as the ABI requires.
    frame[0] = 0;
    frame[1] = 0;
    frame[2] = 0;
    frame[3] = reinterpret_cast<Core::u64>(thread);
    frame[4] = 0;
    frame[5] = 0;
    frame[6] = reinterpret_cast<Core::u64>(thread_start);
    thread->m_saved_stack_pointer = reinterpret_cast<Core::u64>(frame);
    thread->m_wake_timer.callback
        = [](Time::Timer&, void* sleeper) { Scheduler::wake(*static_cast<Thread*>(sleeper)); };
    thread->m_wake_timer.context = thread;
    return thread;
}

void Scheduler::initialize_on_this_cpu(const char* current_context_name)
{
    Arch::InterruptsDisabled interrupts_disabled;
    Core::u32 cpu = Arch::current_processor_index();
    RunQueue& queue = s_run_queues[cpu];
    // The queue is complete before anything that can spin (the allocation below) gives
    // cross-CPU calls a chance to run here.
    auto* first = new (s_first_thread_storage[cpu]) Thread(current_context_name, nullptr, nullptr, cpu, 0);
    first->m_wake_timer.callback
        = [](Time::Timer&, void* sleeper) { Scheduler::wake(*static_cast<Thread*>(sleeper)); };
    first->m_wake_timer.context = first;
    SchedulerInternals::set_state(*first, Thread::State::Runnable);
    queue.slice_timer.callback = SchedulerInternals::request_reschedule;
    queue.slice_timer.context = &queue;
    queue.current = first;
    queue.fair.enqueue(*first, Time::monotonic_nanoseconds());
    queue.running_since_ns = Time::monotonic_nanoseconds();
    auto idle = Thread::create("idle", SchedulerInternals::idle_loop, nullptr, cpu);
    if (idle.is_error())
        Panic::panic("scheduler: no memory for CPU {}'s idle thread", cpu);
    queue.idle = idle.value();
    Arch::set_interrupt_exit_hook(SchedulerInternals::preempt_on_interrupt_exit);
    queue.active = true;
    __atomic_store_n(&s_ready[cpu], true, __ATOMIC_RELEASE);
}

bool Scheduler::is_ready(Core::u32 cpu)
{
    return cpu < Arch::max_processors && __atomic_load_n(&s_ready[cpu], __ATOMIC_ACQUIRE);
}

bool Scheduler::wait_until_ready_everywhere(Core::u64 limit_ns)
{
    Core::u64 start = Time::monotonic_nanoseconds();
    for (;;) {
        bool all_ready = true;
        for (Core::u32 cpu = 0; cpu < Arch::processor_count(); ++cpu) {
            if (__atomic_load_n(&Arch::processor(cpu).online, __ATOMIC_ACQUIRE))
                all_ready = all_ready && is_ready(cpu);
        }
        if (all_ready)
            return true;
        if (Time::monotonic_nanoseconds() - start > limit_ns)
            return false;
        Arch::pause();
    }
}

bool Scheduler::is_active_on_this_cpu()
{
    return SchedulerInternals::this_run_queue().active;
}

Thread& Scheduler::current()
{
    return *SchedulerInternals::this_run_queue().current;
}

// Queues a thread that was just made Runnable on its own CPU. A local wake from thread
// context with interrupts on switches right away if the newcomer is due; otherwise the
// reschedule happens at the next interrupt exit or slice end.
static void make_runnable(Thread& thread)
{
    Core::u64 flags = Arch::read_flags();
    Arch::InterruptsDisabled interrupts_disabled;
    if (thread.cpu() == Arch::current_processor_index()) {
        SchedulerInternals::enqueue_here(thread);
        if ((flags & Arch::interrupt_flag) && !Arch::in_interrupt_handler())
            SchedulerInternals::schedule(SchedulerInternals::this_run_queue());
        return;
    }
    // The target CPU owns its run queue: it enqueues the thread itself. The call's IPI
    // also wakes it from hlt, and its interrupt exit then switches to the thread.
    Arch::run_on_processor(
        thread.cpu(),
        [](void* argument) { SchedulerInternals::enqueue_here(*static_cast<Thread*>(argument)); }, &thread);
}

void Scheduler::start(Thread& thread)
{
    // Only a created thread can be started, and only once.
    if (SchedulerInternals::change_state(thread, Thread::State::Created, Thread::State::Runnable))
        make_runnable(thread);
}

void Scheduler::wake(Thread& thread)
{
    // Only a blocked thread can be woken: a stale or repeated wake-up (an exited thread, a
    // runnable one) does nothing.
    if (SchedulerInternals::change_state(thread, Thread::State::Blocked, Thread::State::Runnable))
        make_runnable(thread);
}

void Scheduler::yield()
{
    if (Arch::in_interrupt_handler())
        Panic::panic("scheduler: a thread tried to yield inside an interrupt handler");
    Locking::assert_may_sleep();
    Arch::InterruptsDisabled interrupts_disabled;
    SchedulerInternals::schedule(SchedulerInternals::this_run_queue());
}

void Scheduler::block_current()
{
    if (Arch::in_interrupt_handler())
        Panic::panic("scheduler: a thread tried to block inside an interrupt handler");
    Locking::assert_may_sleep();
    SchedulerInternals::schedule(SchedulerInternals::this_run_queue());
}

void Scheduler::sleep_until(Core::u64 deadline_ns)
{
    Arch::InterruptsDisabled interrupts_disabled;
    Thread& self = current();
    SchedulerInternals::set_state(self, Thread::State::Blocked);
    Time::arm_timer(self.m_wake_timer, deadline_ns);
    block_current();
}

void Scheduler::exit_current()
{
    if (Arch::in_interrupt_handler())
        Panic::panic("scheduler: a thread tried to exit inside an interrupt handler");
    Locking::assert_may_sleep();
    Arch::disable_interrupts();
    // A pending wake-up timer would later wake a thread whose stack is gone.
    (void)Time::cancel_timer(current().m_wake_timer);
    SchedulerInternals::set_state(current(), Thread::State::Exited);
    SchedulerInternals::schedule(SchedulerInternals::this_run_queue());
    Panic::panic("scheduler: an exited thread was scheduled again");
}

void WaitQueue::enqueue_current_as_waiter()
{
    Thread& self = Scheduler::current();
    SchedulerInternals::set_state(self, Thread::State::Blocked);
    m_waiters.push_back(self);
}

void WaitQueue::wait()
{
    Arch::InterruptsDisabled interrupts_disabled;
    {
        Locking::SpinlockLocker locker(m_lock);
        enqueue_current_as_waiter();
    }
    // A waker that runs before the switch finds the thread Blocked but still current; its
    // cross-CPU call (or local enqueue) is served once this CPU switches or re-enables
    // interrupts, and schedule() then keeps or re-picks the thread.
    Scheduler::block_current();
}

bool WaitQueue::wake_one()
{
    Thread* woken = nullptr;
    {
        Locking::SpinlockLocker locker(m_lock);
        woken = m_waiters.first();
        if (woken)
            m_waiters.remove(*woken);
    }
    if (woken)
        Scheduler::wake(*woken);
    return woken != nullptr;
}

Core::usize WaitQueue::wake_all()
{
    // Take the waiters present now, all at once: a woken thread that waits again joins a
    // fresh list instead of being woken again by this call.
    Core::IntrusiveList<Thread, &Thread::m_wait_node> waking;
    {
        Locking::SpinlockLocker locker(m_lock);
        while (Thread* waiter = m_waiters.first()) {
            m_waiters.remove(*waiter);
            waking.push_back(*waiter);
        }
    }
    Core::usize count = 0;
    while (Thread* waiter = waking.first()) {
        waking.remove(*waiter);
        Scheduler::wake(*waiter);
        ++count;
    }
    return count;
}

void Semaphore::down()
{
    m_waiters.wait_until([this] {
        if (m_count == 0)
            return false;
        --m_count;
        return true;
    });
}

bool Semaphore::try_down()
{
    bool taken = false;
    m_waiters.with_lock([&] {
        if (m_count > 0) {
            --m_count;
            taken = true;
        }
    });
    return taken;
}

void Semaphore::up()
{
    m_waiters.with_lock([this] { ++m_count; });
    m_waiters.wake_one();
}

void Event::wait()
{
    m_waiters.wait_until([this] { return m_signalled; });
}

void Event::signal()
{
    m_waiters.with_lock([this] { __atomic_store_n(&m_signalled, true, __ATOMIC_RELEASE); });
    m_waiters.wake_all();
}

void Event::reset()
{
    m_waiters.with_lock([this] { __atomic_store_n(&m_signalled, false, __ATOMIC_RELEASE); });
}

} // namespace Kernel::Tasks
