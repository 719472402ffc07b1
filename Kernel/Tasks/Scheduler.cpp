#include <Core/NoThrow.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/CPUFeatures.h>
#include <Kernel/Arch/x86_64/FpuState.h>
#include <Kernel/Arch/x86_64/Interrupts.h>
#include <Kernel/Arch/x86_64/Processor.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>
#include <Kernel/Arch/x86_64/SyscallEntry.h>
#include <Kernel/Arch/x86_64/TLB.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Memory/Heap.h>
#include <Kernel/Memory/PcidCache.h>
#include <Kernel/Panic/Panic.h>
#include <Kernel/Scheduling/DeadlineAdmission.h>
#include <Kernel/Scheduling/RealTimeThrottle.h>
#include <Kernel/Tasks/Process.h>
#include <Kernel/Tasks/Scheduler.h>
#include <Kernel/Time/Clock.h>
#include <Kernel/Time/Timers.h>

extern "C" void switch_kernel_stack(Core::u64* save_stack_pointer, Core::u64 next_stack_pointer);
extern "C" char thread_start[];

namespace Kernel::Tasks {

using Scheduling::CpuMask;

// One per CPU. Only its CPU touches it, always with interrupts off. Every runnable thread
// of the CPU is in exactly one of the three class queues (the running one included), except
// a deadline thread waiting for its budget and a thread on its way to another CPU.
struct RunQueue {
    Scheduling::EdfQueue deadline;
    Scheduling::FixedPriorityQueue fixed;
    Scheduling::FairQueue fair;
    Scheduling::RealTimeThrottle throttle;
    Thread* current { nullptr };
    Thread* idle { nullptr };
    // The one timer for the next scheduling decision: slice end, budget end, quantum end or
    // the end of RT throttling, whichever is first.
    Time::Timer decision_timer;
    // Periodic while the CPU is busy: time to look for a busier CPU to pull from.
    Time::Timer balance_timer;
    bool need_reschedule { false };
    bool balance_due { false };
    bool active { false };
    // A thread that exited and was switched away from: its stack is freed by whichever
    // thread runs next on this CPU, once nothing runs on it any more.
    Thread* exited { nullptr };
    // A thread that was switched away from to move to another CPU (its m_cpu already names
    // it): the next thread to run here hands it over.
    Thread* migrating { nullptr };
    Core::u64 running_since_ns { 0 };
    // The page-table root in this CPU's CR3, so a switch between threads of one address
    // space (or between kernel threads) does not reload it and flush the TLB.
    Core::u64 loaded_root { 0 };
    // The FS base this CPU holds: the thread pointer of the last user thread that ran here
    // (0 at reset).
    Core::u64 loaded_thread_pointer { 0 };
    // Which PCID each recently run user address space has on this CPU.
    Memory::PcidCache pcids;
};

// What each CPU tells the others for load balancing, updated by its own CPU.
struct alignas(64) PublishedLoad {
    Core::u32 runnable_count { 0 };
    // Waiting fair threads whose affinity allows another CPU: the ones a puller could get.
    Core::u32 movable_count { 0 };
    Core::u64 total_weight { 0 };
    bool idle { true };
};

namespace {

constexpr Core::u64 thread_stack_size = 32 * 1024;
// How long a fair thread runs before the others of its CPU get a turn (EEVDF's request).
constexpr Core::u64 fair_slice_ns = Scheduling::default_request_slice_ns;

RunQueue s_run_queues[Arch::max_processors];
PublishedLoad s_published_loads[Arch::max_processors];
// Set once a CPU's scheduler is complete; read by other CPUs before they send it threads.
bool s_ready[Arch::max_processors] {};
// Joiners wait here for any thread to exit: one queue for all, since joins are rare and a
// spurious wake-up only re-checks one state.
WaitQueue s_exit_waiters;
// The contexts that were running when each CPU started scheduling become threads here.
alignas(Thread) Core::u8 s_first_thread_storage[Arch::max_processors][sizeof(Thread)];

// The deadline bandwidth reserved on each CPU. Placement compares all CPUs, so one lock
// guards them all; it is taken only when a thread's policy changes or it exits.
struct Admissions {
    Scheduling::DeadlineAdmission cpus[Arch::max_processors];
};
Locking::SpinlockProtected<Admissions> s_admissions { "deadline admission",
    Locking::LockRank::DeadlineAdmission };

bool is_schedulable_cpu(Core::u32 cpu)
{
    return cpu < Arch::processor_count() && __atomic_load_n(&Arch::processor(cpu).online, __ATOMIC_ACQUIRE)
        && __atomic_load_n(&s_ready[cpu], __ATOMIC_ACQUIRE);
}

CpuMask schedulable_cpus()
{
    CpuMask mask;
    for (Core::u32 cpu = 0; cpu < Arch::processor_count(); ++cpu) {
        if (is_schedulable_cpu(cpu))
            mask.add(cpu);
    }
    return mask;
}

// A snapshot of every CPU's published load (racy by nature: it only guides placement).
// For pulling (`puller` set), a CPU with nothing movable is left out as a source: asking
// it would cost a cross-CPU call that cannot return a thread (everything there is
// running, real-time or pinned).
Core::u32 snapshot_loads(Scheduling::CpuLoad* loads, Core::Optional<Core::u32> puller = {})
{
    Core::u32 count = Arch::processor_count();
    for (Core::u32 cpu = 0; cpu < count; ++cpu) {
        loads[cpu].runnable_count = __atomic_load_n(&s_published_loads[cpu].runnable_count, __ATOMIC_RELAXED);
        loads[cpu].total_weight = __atomic_load_n(&s_published_loads[cpu].total_weight, __ATOMIC_RELAXED);
        loads[cpu].online = is_schedulable_cpu(cpu);
        if (puller.has_value() && cpu != puller.value()
            && __atomic_load_n(&s_published_loads[cpu].movable_count, __ATOMIC_RELAXED) == 0)
            loads[cpu].online = false;
    }
    return count;
}

} // namespace

// The scheduler's internals, a friend of Thread.
class SchedulerInternals {
public:
    static RunQueue& this_run_queue() { return s_run_queues[Arch::current_processor_index()]; }

    static bool change_state(Thread& thread, Thread::State from, Thread::State to)
    {
        return thread.change_state(from, to);
    }

    static void set_state(Thread& thread, Thread::State state) { thread.set_state(state); }

    static void set_cpu(Thread& thread, Core::u32 cpu)
    {
        __atomic_store_n(&thread.m_cpu, cpu, __ATOMIC_RELEASE);
    }

    // Entity-to-thread casts: every entity a class queue holds is the base of a Thread
    // (only threads are ever queued), so the downcast names the thread it is part of.
    static Thread* thread_of(Scheduling::EdfEntity* entity) { return static_cast<Thread*>(entity); }
    static Thread* thread_of(Scheduling::FixedPriorityEntity* entity) { return static_cast<Thread*>(entity); }
    static Thread* thread_of(Scheduling::FairEntity* entity) { return static_cast<Thread*>(entity); }

    static bool is_in_deadline_queue(const Thread& thread)
    {
        return thread.Scheduling::EdfEntity::is_queued();
    }
    static bool is_in_fixed_queue(const Thread& thread)
    {
        return thread.Scheduling::FixedPriorityEntity::is_queued();
    }
    static bool is_in_fair_queue(const Thread& thread) { return thread.Scheduling::FairEntity::is_queued(); }
    static bool is_in_a_class_queue(const Thread& thread)
    {
        // The fair class first: most threads are in it, and the hand-off asks on every call.
        return is_in_fair_queue(thread) || is_in_fixed_queue(thread) || is_in_deadline_queue(thread);
    }

    // The fixed-priority level the thread runs at: its own or an inherited one, whichever
    // is higher; 0 when neither applies.
    static Core::u32 effective_fixed_priority(const Thread& thread)
    {
        Core::u32 own = thread.m_policy == SchedulingPolicy::FixedPriority ? thread.m_fixed_priority : 0;
        Core::u32 inherited = thread.inherited_priority();
        return own > inherited ? own : inherited;
    }

    // Puts a Runnable thread into the class queue its policy and inheritance say. A deadline
    // thread with budget goes to EDF; one without waits for its replenishment (in the fixed
    // queue if it inherited a priority, so that it can still release the mutex it holds).
    static void insert_into_class_queue(RunQueue& queue, Thread& thread, Core::u64 now)
    {
        if (thread.m_policy == SchedulingPolicy::Deadline && !thread.m_waiting_for_budget) {
            queue.deadline.insert(thread, thread.m_deadline_server->absolute_deadline_ns());
            return;
        }
        if (Core::u32 level = effective_fixed_priority(thread)) {
            queue.fixed.enqueue(thread, level);
            return;
        }
        if (thread.m_policy == SchedulingPolicy::Deadline)
            return;
        queue.fair.enqueue(thread, now);
    }

    static void remove_from_class_queue(RunQueue& queue, Thread& thread, Core::u64 now)
    {
        if (is_in_deadline_queue(thread))
            queue.deadline.remove(thread);
        else if (is_in_fixed_queue(thread))
            queue.fixed.dequeue(thread);
        else if (is_in_fair_queue(thread))
            queue.fair.dequeue(thread, now);
    }

    // What balancing counts: the fair threads (only they move), plus the running thread when
    // it is a real-time one, since fair threads waiting behind it are then waiting for a CPU.
    // A CPU busy with real-time work alone does not look worth pulling from.
    static Core::u32 balance_load(RunQueue& queue)
    {
        bool real_time_running = queue.current != queue.idle
            && (is_in_deadline_queue(*queue.current) || is_in_fixed_queue(*queue.current));
        return static_cast<Core::u32>(queue.fair.count() + (real_time_running ? 1 : 0));
    }

    // Disarms the thread's own wake timer if it is still armed after a wait ended some
    // other way, so that it cannot fire into whatever the thread blocks on next. The timer
    // lives on the CPU it was armed on (m_wake_timer_cpu), which may no longer be this one.
    // Only the thread itself arms it, so once seen unarmed it stays so.
    static void cancel_wake_timer(Thread& self)
    {
        if (!self.m_wake_timer.is_armed())
            return;
        Arch::run_on_processor(
            self.m_wake_timer_cpu,
            // The argument is this thread's timer, alive for as long as the thread.
            [](void* timer) { (void)Time::cancel_timer(*static_cast<Time::Timer*>(timer)); },
            &self.m_wake_timer);
    }

    static void publish_load(RunQueue& queue)
    {
        PublishedLoad& load = s_published_loads[Arch::current_processor_index()];
        Core::u32 runnable = balance_load(queue);
        Core::u32 movable = 0;
        (void)queue.fair.find_first([&](Scheduling::FairEntity& entity) {
            Thread& thread = *thread_of(&entity);
            if (&thread != queue.current && thread.m_affinity.count() > 1)
                ++movable;
            return false;
        });
        __atomic_store_n(&load.movable_count, movable, __ATOMIC_RELAXED);
        __atomic_store_n(&load.runnable_count, runnable, __ATOMIC_RELAXED);
        __atomic_store_n(&load.total_weight, queue.fair.total_weight(), __ATOMIC_RELAXED);
        __atomic_store_n(&load.idle, queue.current == queue.idle, __ATOMIC_RELAXED);
    }

    // A deadline thread whose budget ran out leaves EDF until its deadline, when the
    // replenishment timer refills it.
    static void start_waiting_for_budget(RunQueue& queue, Thread& thread, Core::u64 now)
    {
        remove_from_class_queue(queue, thread, now);
        thread.m_waiting_for_budget = true;
        Time::arm_timer(thread.m_replenish_timer, thread.m_deadline_server->absolute_deadline_ns());
        insert_into_class_queue(queue, thread, now);
    }

    static void replenish(Time::Timer&, void* context)
    {
        // The timer's context is the thread it belongs to (set by the Thread constructor).
        auto& thread = *static_cast<Thread*>(context);
        RunQueue& queue = this_run_queue();
        Core::u64 now = Time::monotonic_nanoseconds();
        if (thread.m_policy != SchedulingPolicy::Deadline || !thread.m_waiting_for_budget)
            return;
        // The queues below are changed in the ordinary form.
        charge_current(queue, now);
        auto& server = *thread.m_deadline_server;
        (void)server.replenish_if_due(now);
        if (server.is_throttled()) {
            // Overrun debt swallowed the refill: wait for the next deadline.
            Time::arm_timer(thread.m_replenish_timer, server.absolute_deadline_ns());
            return;
        }
        remove_from_class_queue(queue, thread, now);
        thread.m_waiting_for_budget = false;
        // A blocked thread is queued again when it wakes (the CBS wake-up rule decides its
        // deadline then); a runnable one, running or not, competes in EDF now.
        if (thread.state() == Thread::State::Runnable)
            insert_into_class_queue(queue, thread, now);
        queue.need_reschedule = true;
    }

    // Turns a hand-off (Scheduler::hand_off) back into the ordinary form, in which every
    // Runnable thread sits in its own class queue: the running thread, if it runs in the
    // place of a caller, takes a place of its own (when Runnable), and the caller leaves the
    // queues (when still Blocked; one woken meanwhile stays, as a thread woken before it
    // switched away does). Every scheduler path that charges the running thread does this
    // first, so that a hand-off lasts only while nothing else happens on the CPU: a
    // preemption, a wake-up here, a block, a policy change all end it.
    static void settle_loan(RunQueue& queue, Core::u64 now)
    {
        Thread& borrower = *queue.current;
        Thread* lender = borrower.m_running_for;
        if (!lender)
            return;
        borrower.m_running_for = nullptr;
        (void)change_state(*lender, Thread::State::Waking, Thread::State::Runnable);
        if (lender->state() != Thread::State::Runnable)
            remove_from_class_queue(queue, *lender, now);
        (void)change_state(borrower, Thread::State::Waking, Thread::State::Runnable);
        if (borrower.state() == Thread::State::Runnable)
            insert_into_class_queue(queue, borrower, now);
    }

    // Charges the running thread for the time since it was last charged, then settles a
    // hand-off (settle_loan), so that every caller continues with the ordinary form.
    // Charging may move a thread (a spent deadline budget, a finished round-robin quantum):
    // schedule() must follow before it runs on.
    static void charge_current(RunQueue& queue, Core::u64 now)
    {
        charge_place(queue, now);
        // Checked here, so that the common case (no hand-off) costs no call.
        if (queue.current->m_running_for)
            settle_loan(queue, now);
    }

    // Charges the time since the last charge: to the running thread's runtime, and in the
    // class queues to the place it runs in: its own, or during a hand-off its caller's
    // (the caller's class, slice and budget pay for the call it made).
    static void charge_place(RunQueue& queue, Core::u64 now)
    {
        Thread& running = *queue.current;
        Core::u64 ran = now - queue.running_since_ns;
        queue.running_since_ns = now;
        if (&running == queue.idle)
            return;
        __atomic_store_n(&running.m_runtime_ns, running.m_runtime_ns + ran, __ATOMIC_RELAXED);
        Thread& thread = running.m_running_for ? *running.m_running_for : running;
        if (is_in_deadline_queue(thread)) {
            auto& server = *thread.m_deadline_server;
            server.charge(ran);
            queue.throttle.charge(ran, now);
            if (server.replenish_if_due(now)) {
                // A new period began while it ran: its EDF key moves to the new deadline.
                queue.deadline.remove(thread);
                if (!server.is_throttled()) {
                    queue.deadline.insert(thread, server.absolute_deadline_ns());
                    return;
                }
                thread.m_waiting_for_budget = true;
                Time::arm_timer(thread.m_replenish_timer, server.absolute_deadline_ns());
                insert_into_class_queue(queue, thread, now);
                return;
            }
            if (server.is_throttled())
                start_waiting_for_budget(queue, thread, now);
            return;
        }
        if (is_in_fixed_queue(thread)) {
            queue.throttle.charge(ran, now);
            thread.m_quantum_used_ns += ran;
            if (thread.m_quantum_used_ns >= Scheduling::fixed_priority_time_slice_ns) {
                thread.m_quantum_used_ns = 0;
                queue.fixed.rotate(thread);
            }
            return;
        }
        if (is_in_fair_queue(thread)) {
            queue.fair.charge(thread, ran);
            return;
        }
        // A deadline thread whose budget ran out while it was running, and that has not been
        // switched away from yet: the time is overrun, repaid from its next budget.
        if (thread.m_policy == SchedulingPolicy::Deadline && thread.m_waiting_for_budget)
            thread.m_deadline_server->charge(ran);
    }

    // Deadline first, then fixed priority unless throttled while fair threads wait, then
    // fair; fixed-priority threads still run when nothing fair waits (throttling never
    // idles a CPU); idle last.
    static Thread* pick_next(RunQueue& queue, Core::u64 now)
    {
        if (auto* entity = queue.deadline.earliest())
            return thread_of(entity);
        auto* fixed = queue.fixed.highest();
        if (fixed && !(queue.fair.count() > 0 && queue.throttle.is_throttled(now)))
            return thread_of(fixed);
        if (auto* entity = queue.fair.pick_next())
            return thread_of(entity);
        if (fixed)
            return thread_of(fixed);
        return queue.idle;
    }

    // The time of the next decision for `next`, or 0 when nothing can take the CPU from it
    // until something wakes (then no timer runs at all).
    static Core::u64 next_decision_time(RunQueue& queue, Thread& next, Core::u64 now)
    {
        Core::u64 decide_at = 0;
        auto no_later_than = [&](Core::u64 time) {
            if (decide_at == 0 || time < decide_at)
                decide_at = time;
        };
        if (is_in_deadline_queue(next)) {
            // Budget enforcement: the server must stop when its budget is spent, alone or not.
            no_later_than(now + next.m_deadline_server->remaining_runtime_ns());
            no_later_than(next.m_deadline_server->absolute_deadline_ns());
        } else if (is_in_fixed_queue(next)) {
            if (queue.fixed.count() > 1)
                no_later_than(now + (Scheduling::fixed_priority_time_slice_ns - next.m_quantum_used_ns));
            if (queue.fair.count() > 0)
                no_later_than(now + queue.throttle.remaining_budget_ns(now));
        } else if (is_in_fair_queue(next)) {
            if (queue.fair.count() > 1)
                no_later_than(now + fair_slice_ns);
            if (queue.fixed.count() > 0)
                no_later_than(queue.throttle.throttled_until_ns(now));
        }
        return decide_at;
    }

    // The context of the decision and balance timers is the run queue that owns them (set in
    // initialize_on_this_cpu); they fire on that queue's CPU.
    static void request_reschedule(Time::Timer&, void* run_queue)
    {
        static_cast<RunQueue*>(run_queue)->need_reschedule = true;
    }

    static void request_balance(Time::Timer&, void* run_queue)
    {
        static_cast<RunQueue*>(run_queue)->balance_due = true;
    }

    // Interrupts are off. Picks the next thread (or idle) and switches to it.
    static void schedule(RunQueue& queue)
    {
        queue.need_reschedule = false;
        Core::u64 now = Time::monotonic_nanoseconds();
        Thread* previous = queue.current;
        charge_current(queue, now);
        if (previous != queue.idle) {
            // Woken before it could switch away: it stays (its wake-up call, when it comes,
            // finds it Runnable and does nothing), filed again in case its rank changed.
            if (change_state(*previous, Thread::State::Waking, Thread::State::Runnable)) {
                remove_from_class_queue(queue, *previous, now);
                insert_into_class_queue(queue, *previous, now);
            }
            if (previous->state() != Thread::State::Runnable)
                remove_from_class_queue(queue, *previous, now);
        }
        Thread* next = pick_next(queue, now);
        if (Core::u64 decide_at = next_decision_time(queue, *next, now))
            Time::arm_timer(queue.decision_timer, decide_at);
        else
            (void)Time::cancel_timer(queue.decision_timer);
        // A busy CPU looks for imbalance now and then; an idle one looks each time it idles.
        if (next == queue.idle)
            (void)Time::cancel_timer(queue.balance_timer);
        else if (!queue.balance_timer.is_armed())
            Time::arm_timer(queue.balance_timer, now + Scheduling::load_balance_interval_ns);
        if (next == previous) {
            publish_load(queue);
            return;
        }
        queue.current = next;
        Arch::set_current_thread_pointer(next);
        publish_load(queue);
        switch_to(queue, *previous, *next);
    }

    // Interrupts are off; `next` is queue.current already. Switches the CPU's state (FPU,
    // address space, entry stack) and stack from `previous` to `next`, and returns when
    // `previous` runs again.
    [[gnu::always_inline]] static void switch_to(RunQueue& queue, Thread& previous, Thread& next)
    {
        if (previous.state() == Thread::State::Exiting)
            queue.exited = &previous;
        else if (previous.m_fpu_state)
            Arch::save_fpu_state(previous.m_fpu_state);
        if (next.m_fpu_state)
            Arch::restore_fpu_state(next.m_fpu_state);
        // The next thread's address space: its own for a user thread, the kernel's for a
        // kernel thread (which so never keeps a user space's tables alive by running on them).
        Memory::AddressSpace* space = next.m_address_space;
        Core::u64 root = space ? space->root() : Memory::kernel_page_table_root();
        if (root != queue.loaded_root) {
            // With PCIDs a user space keeps its TLB entries across switches while its
            // generation says they are current (PcidCache.h); the kernel's root is PCID 0,
            // and its own mappings are global.
            if (space && Arch::pcids_enabled()) {
                auto decision = queue.pcids.activate(space->id(), space->tlb_generation());
                Arch::load_page_table_root_with_pcid(root, decision.pcid, decision.flush);
            } else {
                Arch::load_page_table_root(root);
            }
            queue.loaded_root = root;
        }
        // A user thread's thread pointer, when this CPU holds another; kernel threads never
        // use FS and leave it as it is.
        if (space && next.m_thread_pointer != queue.loaded_thread_pointer) {
            Arch::write_msr(Arch::fs_base_msr, next.m_thread_pointer);
            queue.loaded_thread_pointer = next.m_thread_pointer;
        }
        // Entries from user mode (system calls, interrupts) land on the next thread's stack.
        // A CPU's first thread runs on a stack it did not allocate and never enters user mode.
        if (next.m_stack.top != 0)
            Arch::set_kernel_entry_stack(next.m_stack.top);
        switch_kernel_stack(&previous.m_saved_stack_pointer, next.m_saved_stack_pointer);
        // Back on this thread.
        finish_switch(this_run_queue());
    }

    // Runs on the thread that was switched to, before it goes on: frees what exited and
    // hands over what is migrating, now that neither runs on this CPU any more.
    static void finish_switch(RunQueue& queue)
    {
        if (queue.exited)
            reap_exited(queue);
        if (Thread* migrating = queue.migrating) {
            queue.migrating = nullptr;
            // The target owns its run queue and enqueues the thread itself. This waits
            // for it, serving calls made to this CPU meanwhile (the queue is consistent).
            // The argument is the migrating thread, alive (it is Runnable) and in no queue.
            Arch::run_on_processor(
                migrating->cpu(), [](void* thread) { queue_here(*static_cast<Thread*>(thread)); }, migrating);
        }
    }

    // Frees the stack and FPU state of a thread that exited and was switched away from;
    // nothing runs on it any more. Its Thread object stays, Exited, for whoever still holds
    // a pointer to it.
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
        if (exited->m_fpu_allocation)
            Memory::free(exited->m_fpu_allocation);
        exited->m_fpu_allocation = nullptr;
        exited->m_fpu_state = nullptr;
        Memory::free(exited->m_spare_message);
        exited->m_spare_message = nullptr;
        // Its process (and with the last reference, the address space it ran on) may go
        // now that nothing runs on that address space here: CR3 holds the next thread's.
        if (Process* process = exited->m_process) {
            exited->m_process = nullptr;
            exited->m_address_space = nullptr;
            Process::release_from_exited_thread(*process, *exited);
        }
        // Now it is gone: whoever waits for it (join, tests) may free what it used, such as
        // an address space it ran on. Published under the join queue's lock, so a joiner
        // cannot miss it.
        s_exit_waiters.with_lock([&] { set_state(*exited, Thread::State::Exited); });
        s_exit_waiters.wake_all();
    }

    // Runs after every interrupt's handler and EOI, if the interrupted code had interrupts
    // on (code with them off, such as a spinlock holder, is never preempted): balances if
    // it is time, then switches if a decision timer or a wake-up asked for it.
    static void preempt_on_interrupt_exit(Arch::RegisterState& registers)
    {
        if (!(registers.rflags & Arch::interrupt_flag))
            return;
        RunQueue& queue = this_run_queue();
        if (!queue.active)
            return;
        if (queue.balance_due) {
            queue.balance_due = false;
            (void)pull_one_thread(queue);
            if (queue.current != queue.idle)
                Time::arm_timer(queue.balance_timer,
                    Time::monotonic_nanoseconds() + Scheduling::load_balance_interval_ns);
        }
        if (queue.need_reschedule)
            schedule(queue);
        // Back to user mode only if its process lives on (Process::terminate). The thread
        // may have resumed on another CPU after the switch, so `queue` is not its own any
        // more: the check is for the thread that is running here now.
        Thread& self = Scheduler::current();
        if ((registers.cs & 3) == 3 && Scheduler::termination_requested(self))
            Scheduler::exit_current(self.process()->exit_status());
    }

    // A woken or started thread arrives (the call wake() or start() sent). It is queued only
    // if it still lives here and is still Waking: a late call for a thread that meanwhile
    // ran on, blocked again or moved finds it in another state or on another CPU and does
    // nothing. Interrupts are off.
    static void enqueue_woken(Thread& thread)
    {
        if (thread.cpu() != Arch::current_processor_index())
            return;
        if (!change_state(thread, Thread::State::Waking, Thread::State::Runnable))
            return;
        queue_here(thread);
    }

    // Queues a Runnable thread that is in no queue (woken, started, or handed over by
    // migration or balancing) on this CPU. Interrupts are off.
    static void queue_here(Thread& thread)
    {
        // The run queue is this CPU's, guarded only by interrupts being off.
        VERIFY(!(Arch::read_flags() & Arch::interrupt_flag));
        RunQueue& queue = this_run_queue();
        Core::u64 now = Time::monotonic_nanoseconds();
        // Charge the running thread first, so the fair queue's average virtual time (where
        // a newcomer is placed) and budgets are current; this also ends a hand-off, so the
        // checks below see every thread in its own place.
        charge_current(queue, now);
        // Still queued means it never left: it was woken before its CPU switched away, or it
        // is a caller whose place a hand-off used. The latter, not running, competes now.
        if (is_in_a_class_queue(thread) || thread.m_waiting_for_budget) {
            if (&thread != queue.current) {
                queue.need_reschedule = true;
                if (pick_next(queue, now) != queue.current)
                    Time::arm_timer(queue.decision_timer, now);
            }
            return;
        }
        if (thread.m_policy == SchedulingPolicy::Deadline) {
            // The CBS wake-up rule: keep the deadline if the budget left fits, else a new
            // period; a server woken with no budget waits for its replenishment.
            auto& server = *thread.m_deadline_server;
            server.on_wakeup(now);
            if (server.is_throttled()) {
                thread.m_waiting_for_budget = true;
                Time::arm_timer(thread.m_replenish_timer, server.absolute_deadline_ns());
            }
        }
        insert_into_class_queue(queue, thread, now);
        queue.need_reschedule = true;
        publish_load(queue);
        if (pick_next(queue, now) != queue.current) {
            // The newcomer should run now. An interrupt exit or the caller switches; a timer
            // due at once makes sure of it even when this CPU has interrupts off for a while
            // (a call served inside a wait loop, a wake-up under a spinlock).
            Time::arm_timer(queue.decision_timer, now);
        } else if (!queue.decision_timer.is_armed()) {
            // The running thread may not block or take an interrupt soon: the newcomer is
            // considered again within one slice.
            Time::arm_timer(queue.decision_timer, now + fair_slice_ns);
        }
        kick_an_idle_cpu_if_busy(queue, thread);
    }

    // Pull-based balancing needs an idle CPU to notice work elsewhere; one asleep in hlt
    // would not, so a CPU that has work waiting wakes one idle CPU the newcomer may run on
    // (searching from the next CPU up, so that kicks spread), which then pulls.
    static void kick_an_idle_cpu_if_busy(RunQueue& queue, const Thread& newcomer)
    {
        // Only fair threads move, and only if one waits.
        if (!is_in_fair_queue(newcomer) || balance_load(queue) < 2)
            return;
        Core::u32 self = Arch::current_processor_index();
        Core::u32 count = Arch::processor_count();
        for (Core::u32 offset = 1; offset < count; ++offset) {
            Core::u32 cpu = (self + offset) % count;
            if (newcomer.m_affinity.contains(cpu) && is_schedulable_cpu(cpu)
                && __atomic_load_n(&s_published_loads[cpu].idle, __ATOMIC_RELAXED)) {
                Arch::send_reschedule(cpu);
                return;
            }
        }
    }

    struct PullRequest {
        Core::u32 puller;
        Thread* thread;
    };

    // On the busy CPU (a cross-CPU call from the puller): detaches one waiting fair thread
    // that may run on the puller and points it there. The running thread never moves
    // (it is on this CPU's stack), nor do real-time threads (their reservations are per CPU).
    static void detach_for_puller(void* argument)
    {
        // The puller's request on its stack; the puller waits for this call to finish.
        auto& request = *static_cast<PullRequest*>(argument);
        RunQueue& queue = this_run_queue();
        if (!queue.active)
            return;
        Scheduling::FairEntity* candidate = queue.fair.find_first([&](Scheduling::FairEntity& entity) {
            Thread& thread = *thread_of(&entity);
            // A caller whose place the running thread uses (Scheduler::hand_off) stays too.
            return &thread != queue.current && &thread != queue.current->m_running_for
                && thread.state() == Thread::State::Runnable && thread.m_affinity.contains(request.puller)
                && thread.inherited_priority() == 0;
        });
        if (!candidate)
            return;
        Thread& thread = *thread_of(candidate);
        queue.fair.dequeue(thread, Time::monotonic_nanoseconds());
        set_cpu(thread, request.puller);
        __atomic_add_fetch(&thread.m_migrations, 1, __ATOMIC_RELAXED);
        publish_load(queue);
        request.thread = &thread;
    }

    // Asks the busiest CPU, if it is busier enough, for one of its waiting threads.
    // Called with interrupts off where the run queue is consistent (idle loop, interrupt
    // exit). Returns whether a thread came.
    static bool pull_one_thread(RunQueue& queue)
    {
        Scheduling::CpuLoad loads[Arch::max_processors];
        Core::u32 self = Arch::current_processor_index();
        Core::u32 count = snapshot_loads(loads, self);
        auto source
            = Scheduling::choose_cpu_to_pull_from(Core::Span<const Scheduling::CpuLoad>(loads, count), self);
        if (!source.has_value())
            return false;
        PullRequest request { self, nullptr };
        Arch::run_on_processor(source.value(), detach_for_puller, &request);
        if (!request.thread)
            return false;
        queue_here(*request.thread);
        return queue.need_reschedule;
    }

    [[noreturn]] static void idle_loop(void*)
    {
        for (;;) {
            Arch::disable_interrupts();
            RunQueue& queue = this_run_queue();
            if (pull_one_thread(queue) || queue.need_reschedule) {
                schedule(queue);
                continue;
            }
            // Sleeps until an interrupt; the interrupt-exit hook switches to whatever it
            // made runnable. sti takes effect after hlt starts, so no wake-up is missed.
            asm volatile("sti; hlt" ::: "memory");
        }
    }

    static void run_thread(Thread& thread)
    {
        // A new thread starts here from schedule(), with interrupts off; it runs with them on,
        // after finishing the switch (as a returning thread would).
        finish_switch(this_run_queue());
        // Enables interrupts; touches no register or memory.
        asm volatile("sti" ::: "memory");
        thread.m_entry(thread.m_argument);
        Scheduler::exit_current();
    }

    // Runs on the thread's CPU: re-files it by its current policy and inherited priority.
    struct RequeueRequest {
        Thread* thread;
        bool done;
    };

    static void requeue_here(void* argument)
    {
        // The caller's request on its stack; the caller waits for this call to finish.
        auto& request = *static_cast<RequeueRequest*>(argument);
        Thread& thread = *request.thread;
        // It moved on before the call arrived: the caller tries its new CPU.
        if (thread.cpu() != Arch::current_processor_index())
            return;
        request.done = true;
        RunQueue& queue = this_run_queue();
        // Charged (and a hand-off settled) first, so that a server running in its caller's
        // place has a place of its own to be re-filed in.
        Core::u64 now = Time::monotonic_nanoseconds();
        charge_current(queue, now);
        // Not queued here (blocked, or in flight to this CPU): whoever queues it reads the
        // new priority then.
        if (thread.state() != Thread::State::Runnable
            || !(is_in_a_class_queue(thread) || thread.m_waiting_for_budget))
            return;
        remove_from_class_queue(queue, thread, now);
        insert_into_class_queue(queue, thread, now);
        queue.need_reschedule = true;
        publish_load(queue);
    }

    // Returns a deadline thread's reservation (nothing for other classes). The thread is
    // the calling one or not started, so its policy cannot change meanwhile.
    static void release_deadline_reservation(Thread& thread)
    {
        if (thread.m_policy != SchedulingPolicy::Deadline)
            return;
        s_admissions.with([&](Admissions& admissions) {
            admissions.cpus[thread.cpu()].release(
                thread.m_deadline_server->runtime_ns(), thread.m_deadline_server->period_ns());
        });
    }

    // Changes a thread's policy through `apply(cpu)`, which gets the CPU the thread is on
    // and either changes the policy or refuses with an error (changing nothing).
    //  - A thread not started yet is changed directly.
    //  - The calling thread is taken out of its class queue with interrupts off (so it can be
    //    neither preempted nor moved meanwhile), changed, filed again by its new policy, and
    //    then whatever is due runs.
    //  - Any other thread: InvalidArgument.
    template<typename Apply> static Core::Result<void> change_policy(Thread& thread, Apply apply)
    {
        if (Arch::in_interrupt_handler())
            Panic::panic("scheduler: a scheduling policy was changed inside an interrupt handler");
        if (thread.state() == Thread::State::Created)
            return apply(thread.cpu());
        Locking::assert_may_sleep();
        Arch::InterruptsDisabled interrupts_disabled;
        RunQueue& queue = this_run_queue();
        if (&thread != queue.current)
            return Core::ErrorCode::InvalidArgument;
        Core::u64 now = Time::monotonic_nanoseconds();
        charge_current(queue, now);
        remove_from_class_queue(queue, thread, now);
        if (thread.m_waiting_for_budget) {
            (void)Time::cancel_timer(thread.m_replenish_timer);
            thread.m_waiting_for_budget = false;
        }
        auto result = apply(Arch::current_processor_index());
        if (thread.m_policy == SchedulingPolicy::Deadline) {
            // Joining the deadline class is a wake-up as far as CBS goes: a fresh period (or
            // the current one, for a thread that changes and keeps its reservation).
            thread.m_deadline_server->on_wakeup(now);
            if (thread.m_deadline_server->is_throttled()) {
                thread.m_waiting_for_budget = true;
                Time::arm_timer(thread.m_replenish_timer, thread.m_deadline_server->absolute_deadline_ns());
            }
        }
        insert_into_class_queue(queue, thread, now);
        schedule(queue);
        return result;
    }

    // The CPU a deadline reservation goes on: for a thread not started yet, the least loaded
    // allowed CPU where it fits (worst fit spreads real-time load); for the calling thread,
    // its own CPU if it fits there. The admission lock is held.
    static Core::Optional<Core::u32> place_reservation(Admissions& admissions, const Thread& thread,
        bool not_started, Core::u32 cpu, Core::u64 runtime_ns, Core::u64 period_ns)
    {
        if (!not_started) {
            if (admissions.cpus[cpu].fits(runtime_ns, period_ns))
                return cpu;
            return {};
        }
        Core::Optional<Core::u32> chosen;
        CpuMask allowed = thread.m_affinity.intersection(schedulable_cpus());
        for (Core::u32 candidate = 0; candidate < Arch::processor_count(); ++candidate) {
            if (!allowed.contains(candidate) || !admissions.cpus[candidate].fits(runtime_ns, period_ns))
                continue;
            if (!chosen.has_value()
                || admissions.cpus[candidate].utilization() < admissions.cpus[chosen.value()].utilization())
                chosen = candidate;
        }
        return chosen;
    }
};

extern "C" [[noreturn]] void thread_main(Thread* thread)
{
    SchedulerInternals::run_thread(*thread);
    __builtin_unreachable();
}

Thread::Thread(const char* name, Entry entry, void* argument, Core::u32 cpu, int nice)
    : Scheduling::FairEntity(nice)
    , m_name(name)
    , m_entry(entry)
    , m_argument(argument)
    , m_cpu(cpu)
    , m_base_nice(nice)
{
    // Both timers' context is this thread, which outlives them (they are cancelled or have
    // fired before its stack goes).
    m_wake_timer.callback
        = [](Time::Timer&, void* sleeper) { Scheduler::wake(*static_cast<Thread*>(sleeper)); };
    m_wake_timer.context = this;
    m_replenish_timer.callback = SchedulerInternals::replenish;
    m_replenish_timer.context = this;
}

Core::Result<Thread*> Thread::create(
    const char* name, Entry entry, void* argument, Core::u32 cpu, ThreadOptions options)
{
    // Idle threads are created while their CPU is still setting up; everything else only
    // for CPUs that schedule.
    if (cpu >= Arch::processor_count()
        || (entry != SchedulerInternals::idle_loop && !Scheduler::is_ready(cpu)))
        return Core::ErrorCode::InvalidArgument;
    if (!Scheduling::is_valid_nice(options.nice))
        return Core::ErrorCode::InvalidArgument;
    void* fpu_allocation = nullptr;
    if (options.has_fpu_state)
        fpu_allocation = TRY(Memory::allocate(Arch::fpu_state_size() + Arch::fpu_state_alignment));
    auto stack = Memory::allocate_kernel_stack(thread_stack_size);
    auto* thread
        = stack.is_error() ? nullptr : new (Core::nothrow) Thread(name, entry, argument, cpu, options.nice);
    if (!thread) {
        if (!stack.is_error())
            Memory::free_kernel_stack(stack.value());
        if (fpu_allocation)
            Memory::free(fpu_allocation);
        return Core::ErrorCode::OutOfMemory;
    }
    thread->m_stack = stack.value();
    if (fpu_allocation) {
        // The heap returns 16-byte aligned blocks; rounding the address up to the XSAVE
        // alignment stays inside the block, which has fpu_state_alignment spare bytes.
        auto address = reinterpret_cast<Core::u64>(fpu_allocation);
        address = (address + Arch::fpu_state_alignment - 1) & ~Core::u64(Arch::fpu_state_alignment - 1);
        thread->m_fpu_allocation = fpu_allocation;
        thread->m_fpu_state = reinterpret_cast<void*>(address);
        Arch::initialize_fpu_state(thread->m_fpu_state);
    }
    // The initial frame switch_kernel_stack pops: r15, r14, r13, r12 (= the thread),
    // rbx, rbp, RFLAGS, then the return address thread_start.
    auto* frame = reinterpret_cast<Core::u64*>(thread->m_stack.top) - 8;
    // Invariant: the stack is `thread_stack_size` mapped bytes below stack.top; the 8 words
    // written here lie at its top. After switch_kernel_stack pops seven and returns, RSP is
    // stack.top (16-byte aligned), so thread_start's call enters thread_main with RSP = 8
    // mod 16, as the ABI requires. RFLAGS holds only its reserved bit: interrupts stay off
    // until run_thread turns them on, and AC (SMAP) starts clear.
    frame[0] = 0;
    frame[1] = 0;
    frame[2] = 0;
    frame[3] = reinterpret_cast<Core::u64>(thread);
    frame[4] = 0;
    frame[5] = 0;
    frame[6] = 0x2;
    frame[7] = reinterpret_cast<Core::u64>(thread_start);
    thread->m_saved_stack_pointer = reinterpret_cast<Core::u64>(frame);
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
    // The first thread is where this CPU started: it stays here.
    first->m_affinity = CpuMask::only(cpu);
    SchedulerInternals::set_state(*first, Thread::State::Runnable);
    queue.decision_timer.callback = SchedulerInternals::request_reschedule;
    queue.decision_timer.context = &queue;
    queue.balance_timer.callback = SchedulerInternals::request_balance;
    queue.balance_timer.context = &queue;
    queue.current = first;
    Arch::set_current_thread_pointer(first);
    queue.loaded_root = Memory::kernel_page_table_root();
    queue.fair.enqueue(*first, Time::monotonic_nanoseconds());
    queue.running_since_ns = Time::monotonic_nanoseconds();
    auto idle = Thread::create("idle", SchedulerInternals::idle_loop, nullptr, cpu);
    if (idle.is_error())
        Panic::panic("scheduler: no memory for CPU {}'s idle thread", cpu);
    queue.idle = idle.value();
    queue.idle->m_affinity = CpuMask::only(cpu);
    Arch::set_interrupt_exit_hook(SchedulerInternals::preempt_on_interrupt_exit);
    queue.active = true;
    SchedulerInternals::publish_load(queue);
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

Core::u64 Scheduler::current_runtime_ns()
{
    Arch::InterruptsDisabled interrupts_disabled;
    RunQueue& queue = SchedulerInternals::this_run_queue();
    return queue.current->m_runtime_ns + (Time::monotonic_nanoseconds() - queue.running_since_ns);
}

// Moves a thread from `from` (Created or Blocked) to Waking and sends it to its CPU, which
// queues it. A local wake-up from thread context with interrupts on switches right away if
// the newcomer is due; otherwise the switch happens at the next interrupt exit or at the
// decision timer queue_here armed.
static void make_runnable(Thread& thread, Thread::State from)
{
    Core::u64 flags = Arch::read_flags();
    // Interrupts stay off from the state change to the hand-off, so this CPU cannot be
    // preempted in between and leave the thread Waking for long.
    Arch::InterruptsDisabled interrupts_disabled;
    if (!SchedulerInternals::change_state(thread, from, Thread::State::Waking))
        return;
    Core::u32 cpu = thread.cpu();
    if (cpu == Arch::current_processor_index()) {
        SchedulerInternals::enqueue_woken(thread);
        if ((flags & Arch::interrupt_flag) && !Arch::in_interrupt_handler())
            SchedulerInternals::schedule(SchedulerInternals::this_run_queue());
        return;
    }
    // The target CPU owns its run queue: it queues the thread itself. The call's IPI also
    // wakes it from hlt, and its interrupt exit then switches to the thread. The argument
    // is the thread, which stays alive: only its own CPU frees its stack once it exits.
    Arch::run_on_processor(
        cpu, [](void* argument) { SchedulerInternals::enqueue_woken(*static_cast<Thread*>(argument)); },
        &thread);
}

void Scheduler::start(Thread& thread)
{
    // Only a created thread can be started, and only once.
    make_runnable(thread, Thread::State::Created);
}

void Scheduler::wake(Thread& thread)
{
    // Only a blocked thread can be woken: a stale or repeated wake-up (an exited thread, a
    // runnable one) does nothing.
    make_runnable(thread, Thread::State::Blocked);
}

void Scheduler::interrupt_for_termination(Thread& thread)
{
    // The caller has published the termination (seq_cst), which pairs with the waiter's
    // flag in WaitQueue::wait_interruptible.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&thread.m_in_interruptible_wait, __ATOMIC_SEQ_CST))
        wake(thread);
    // A thread running user code on another CPU notices at its next kernel entry; the
    // reschedule interrupt makes that now (its interrupt exit checks, see
    // preempt_on_interrupt_exit). On this CPU the caller is in the kernel already.
    Core::u32 cpu = thread.cpu();
    if (thread.state() == Thread::State::Runnable && cpu != Arch::current_processor_index())
        Arch::send_reschedule(cpu);
}

void Scheduler::yield()
{
    if (Arch::in_interrupt_handler())
        Panic::panic("scheduler: a thread tried to yield inside an interrupt handler");
    Locking::assert_may_sleep();
    Arch::InterruptsDisabled interrupts_disabled;
    RunQueue& queue = SchedulerInternals::this_run_queue();
    SchedulerInternals::charge_current(queue, Time::monotonic_nanoseconds());
    Thread& self = *queue.current;
    // Give up the rest of this turn: a fair thread its current request, a fixed-priority
    // one its place in its level (to the back, with a fresh quantum). A deadline thread
    // keeps its place: EDF order is by deadline, and its budget already bounds it.
    if (SchedulerInternals::is_in_fair_queue(self)) {
        queue.fair.yield(self);
    } else if (SchedulerInternals::is_in_fixed_queue(self)) {
        self.m_quantum_used_ns = 0;
        queue.fixed.rotate(self);
    }
    SchedulerInternals::schedule(queue);
}

void Scheduler::yield_if_due()
{
    // Only where a switch is allowed: a caller with interrupts off (a spinlock holder among
    // them) or in an interrupt handler leaves it to the decision timer.
    if (!(Arch::read_flags() & Arch::interrupt_flag) || Arch::in_interrupt_handler())
        return;
    Arch::InterruptsDisabled interrupts_disabled;
    RunQueue& queue = SchedulerInternals::this_run_queue();
    if (queue.need_reschedule)
        SchedulerInternals::schedule(queue);
}

void Scheduler::block_current()
{
    if (Arch::in_interrupt_handler())
        Panic::panic("scheduler: a thread tried to block inside an interrupt handler");
    Locking::assert_may_sleep();
    VERIFY(!(Arch::read_flags() & Arch::interrupt_flag));
    SchedulerInternals::schedule(SchedulerInternals::this_run_queue());
}

void Scheduler::sleep_until(Core::u64 deadline_ns)
{
    Arch::InterruptsDisabled interrupts_disabled;
    Thread& self = current();
    SchedulerInternals::set_state(self, Thread::State::Blocked);
    self.m_wake_timer_cpu = Arch::current_processor_index();
    Time::arm_timer(self.m_wake_timer, deadline_ns);
    block_current();
    // Woken before the deadline by someone else (Scheduler::wake is public).
    SchedulerInternals::cancel_wake_timer(self);
}

void Scheduler::exit_current(Core::i64 status)
{
    if (Arch::in_interrupt_handler())
        Panic::panic("scheduler: a thread tried to exit inside an interrupt handler");
    Locking::assert_may_sleep();
    Thread& self = current();
    // Waiters on a contended mutex it still holds would never be handed it.
    if (!self.m_contended_mutexes.is_empty())
        Panic::panic("scheduler: thread '{}' exited holding a mutex others wait for", self.name());
    SchedulerInternals::release_deadline_reservation(self);
    Arch::disable_interrupts();
    RunQueue& queue = SchedulerInternals::this_run_queue();
    // Its last stretch is counted before anyone can see it Exited.
    SchedulerInternals::charge_current(queue, Time::monotonic_nanoseconds());
    // A pending replenishment would later touch a thread whose stack is gone (the wake
    // timer is never left armed: sleep_until cancels it).
    (void)Time::cancel_timer(self.m_replenish_timer);
    self.m_exit_status = status;
    // Exited is published under the join queue's lock, so a joiner cannot miss it.
    // Exited (and joiners woken) only once the switch away is complete: reap_exited.
    SchedulerInternals::set_state(self, Thread::State::Exiting);
    SchedulerInternals::schedule(queue);
    Panic::panic("scheduler: an exited thread was scheduled again");
}

Core::Result<Core::i64> Scheduler::join(Thread& thread)
{
    if (&thread == &current() || thread.state() == Thread::State::Created)
        return Core::ErrorCode::InvalidArgument;
    s_exit_waiters.wait_until([&] { return thread.state() == Thread::State::Exited; });
    return thread.exit_status();
}

Core::Result<Core::i64> Scheduler::join_interruptible(Thread& thread)
{
    if (&thread == &current() || thread.state() == Thread::State::Created)
        return Core::ErrorCode::InvalidArgument;
    TRY(s_exit_waiters.wait_until_interruptible(
        [&] { return thread.state() == Thread::State::Exited; }, no_deadline));
    return thread.exit_status();
}

// The nice level the fair class runs a thread at: its own, less the game-mode boost.
static int effective_nice(int base_nice, bool game_mode_boost)
{
    if (!game_mode_boost)
        return base_nice;
    int boosted = base_nice - game_mode_nice_boost;
    return boosted < Scheduling::minimum_nice ? Scheduling::minimum_nice : boosted;
}

Core::Result<void> Scheduler::set_fair(Thread& thread, int nice)
{
    if (!Scheduling::is_valid_nice(nice))
        return Core::ErrorCode::InvalidArgument;
    return SchedulerInternals::change_policy(thread, [&](Core::u32) -> Core::Result<void> {
        SchedulerInternals::release_deadline_reservation(thread);
        thread.m_policy = SchedulingPolicy::Fair;
        thread.m_deadline_server = {};
        thread.m_base_nice = nice;
        // The thread is in no queue here: the queue only rescales its saved lag.
        SchedulerInternals::this_run_queue().fair.set_nice(
            thread, effective_nice(nice, thread.m_game_mode_boost));
        return {};
    });
}

Core::Result<void> Scheduler::set_game_mode_boost(Thread& thread, bool boosted)
{
    return SchedulerInternals::change_policy(thread, [&](Core::u32) -> Core::Result<void> {
        if (thread.m_policy != SchedulingPolicy::Fair)
            return Core::ErrorCode::InvalidArgument;
        thread.m_game_mode_boost = boosted;
        SchedulerInternals::this_run_queue().fair.set_nice(
            thread, effective_nice(thread.m_base_nice, boosted));
        return {};
    });
}

Core::Result<void> Scheduler::set_fixed_priority(Thread& thread, Core::u32 priority)
{
    if (!Scheduling::is_valid_fixed_priority(priority))
        return Core::ErrorCode::InvalidArgument;
    return SchedulerInternals::change_policy(thread, [&](Core::u32) -> Core::Result<void> {
        SchedulerInternals::release_deadline_reservation(thread);
        thread.m_policy = SchedulingPolicy::FixedPriority;
        thread.m_fixed_priority = priority;
        thread.m_quantum_used_ns = 0;
        thread.m_deadline_server = {};
        return {};
    });
}

Core::Result<void> Scheduler::set_deadline(Thread& thread, Core::u64 runtime_ns, Core::u64 period_ns)
{
    auto server = TRY(Scheduling::DeadlineServer::create(runtime_ns, period_ns));
    return SchedulerInternals::change_policy(thread, [&](Core::u32 cpu) -> Core::Result<void> {
        bool not_started = thread.state() == Thread::State::Created;
        Core::Optional<Core::u32> chosen = s_admissions.with([&](Admissions& admissions) {
            // The old reservation is returned first, so a thread can change its parameters
            // within the bandwidth it already holds; it is taken again if nothing fits.
            bool was_deadline = thread.m_policy == SchedulingPolicy::Deadline;
            Core::u64 old_runtime = was_deadline ? thread.m_deadline_server->runtime_ns() : 0;
            Core::u64 old_period = was_deadline ? thread.m_deadline_server->period_ns() : 0;
            if (was_deadline)
                admissions.cpus[cpu].release(old_runtime, old_period);
            auto placed = SchedulerInternals::place_reservation(
                admissions, thread, not_started, cpu, runtime_ns, period_ns);
            if (placed.has_value()) {
                auto admitted = admissions.cpus[placed.value()].admit(runtime_ns, period_ns);
                VERIFY(!admitted.is_error()); // fits() said so, under the same lock
            } else if (was_deadline) {
                // Giving back what was just released always fits.
                auto readmitted = admissions.cpus[cpu].admit(old_runtime, old_period);
                VERIFY(!readmitted.is_error());
            }
            return placed;
        });
        if (!chosen.has_value())
            return Core::ErrorCode::Busy;
        // Only a thread not started yet moves to the CPU chosen; the calling thread was
        // admitted where it runs.
        if (not_started)
            SchedulerInternals::set_cpu(thread, chosen.value());
        thread.m_policy = SchedulingPolicy::Deadline;
        thread.m_deadline_server = server;
        return {};
    });
}

Core::Result<void> Scheduler::set_affinity(Thread& thread, CpuMask affinity)
{
    if (Arch::in_interrupt_handler())
        Panic::panic("scheduler: an affinity was changed inside an interrupt handler");
    affinity = affinity.intersection(schedulable_cpus());
    if (affinity.is_empty())
        return Core::ErrorCode::InvalidArgument;
    auto least_loaded_allowed = [&]() {
        Scheduling::CpuLoad loads[Arch::max_processors];
        Core::u32 count = snapshot_loads(loads);
        return Scheduling::choose_cpu_for_thread(
            Core::Span<const Scheduling::CpuLoad>(loads, count), affinity, Core::Optional<Core::u32> {});
    };
    if (thread.state() == Thread::State::Created) {
        if (thread.m_policy == SchedulingPolicy::Deadline && !affinity.contains(thread.cpu()))
            return Core::ErrorCode::InvalidArgument;
        if (!affinity.contains(thread.cpu())) {
            auto target = least_loaded_allowed();
            if (!target.has_value())
                return Core::ErrorCode::InvalidArgument;
            SchedulerInternals::set_cpu(thread, target.value());
        }
        thread.m_affinity = affinity;
        return {};
    }
    Locking::assert_may_sleep();
    // With interrupts off the caller can be neither preempted nor moved, and no balancing
    // call can see the mask half-written.
    Arch::InterruptsDisabled interrupts_disabled;
    RunQueue& queue = SchedulerInternals::this_run_queue();
    if (&thread != queue.current)
        return Core::ErrorCode::InvalidArgument;
    Core::u32 here = Arch::current_processor_index();
    if (affinity.contains(here)) {
        thread.m_affinity = affinity;
        return {};
    }
    if (thread.m_policy == SchedulingPolicy::Deadline)
        return Core::ErrorCode::InvalidArgument;
    auto target = least_loaded_allowed();
    if (!target.has_value())
        return Core::ErrorCode::InvalidArgument;
    thread.m_affinity = affinity;
    // Leave this CPU: off its queues, then switch away; the next thread here hands this
    // one to the target (finish_switch), which can only queue it once it is off this stack.
    Core::u64 now = Time::monotonic_nanoseconds();
    SchedulerInternals::charge_current(queue, now);
    SchedulerInternals::remove_from_class_queue(queue, thread, now);
    SchedulerInternals::set_cpu(thread, target.value());
    __atomic_add_fetch(&thread.m_migrations, 1, __ATOMIC_RELAXED);
    queue.migrating = &thread;
    SchedulerInternals::schedule(queue);
    return {};
}

void Scheduler::run_claimed(Thread& thread)
{
    verify_interrupts_off();
    // A caller whose place the running thread uses is queued already: settled, it keeps it.
    SchedulerInternals::queue_here(thread);
}

// Inline into block_under, its caller on every same-CPU call and reply.
[[gnu::always_inline]] inline void Scheduler::hand_off(Thread& next)
{
    Locking::assert_may_sleep();
    verify_interrupts_off();
    RunQueue& queue = SchedulerInternals::this_run_queue();
    Thread& self = *queue.current;
    if (self.m_running_for == &next) {
        // The reply: `next` is still queued in the place this thread used; this thread,
        // Blocked, was in no queue of its own.
        self.m_running_for = nullptr;
    } else if (!self.m_running_for && !next.m_running_for && SchedulerInternals::is_in_a_class_queue(self)
        && !SchedulerInternals::is_in_a_class_queue(next) && !next.m_waiting_for_budget) {
        // The call: the caller stays queued, Blocked, and `next` runs in its place until it
        // replies or anything else happens here (settle_loan). Nothing is charged now: the
        // next charge bills the caller's place for the caller's time and the call's
        // (charge_place), which is what a hand-off means.
        next.m_running_for = &self;
    } else {
        run_claimed(next);
        block_current();
        return;
    }
    queue.current = &next;
    Arch::set_current_thread_pointer(&next);
    SchedulerInternals::switch_to(queue, self, next);
}

void Scheduler::block_releasing(
    Locking::Spinlock& lock, Core::u64 saved_flags, Core::u64 deadline_ns, Thread* hand_off_target)
{
    verify_interrupts_off();
    Thread& self = current();
    // Blocked before the flag, and the flag before the termination check: the pairing
    // WaitQueue::wait_interruptible describes, so a termination either is seen here or
    // wakes this thread.
    SchedulerInternals::set_state(self, Thread::State::Blocked);
    __atomic_store_n(&self.m_in_interruptible_wait, true, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    bool give_up = termination_requested(self)
        || (deadline_ns != no_deadline && Time::monotonic_nanoseconds() >= deadline_ns);
    lock.unlock(saved_flags);
    bool timer_armed = false;
    if (give_up) {
        if (hand_off_target)
            run_claimed(*hand_off_target);
        // Blocked, but it must not sleep: made runnable again, the switch only yields.
        wake(self);
        block_current();
    } else {
        if (deadline_ns != no_deadline) {
            self.m_wake_timer_cpu = Arch::current_processor_index();
            Time::arm_timer(self.m_wake_timer, deadline_ns);
            timer_armed = true;
        }
        if (hand_off_target)
            hand_off(*hand_off_target);
        else
            block_current();
    }
    __atomic_store_n(&self.m_in_interruptible_wait, false, __ATOMIC_RELAXED);
    if (timer_armed)
        SchedulerInternals::cancel_wake_timer(self);
}

void Scheduler::set_thread_pointer(Core::u64 address)
{
    // Interrupts off: the thread and the CPU agree on the value before any switch.
    Arch::InterruptsDisabled interrupts_disabled;
    Thread& self = current();
    self.m_thread_pointer = address;
    RunQueue& queue = SchedulerInternals::this_run_queue();
    Arch::write_msr(Arch::fs_base_msr, address);
    queue.loaded_thread_pointer = address;
}

Core::Result<void> Scheduler::wait_outcome(Core::u64 deadline_ns)
{
    if (termination_requested(current()))
        return Core::ErrorCode::Interrupted;
    if (deadline_ns != no_deadline && Time::monotonic_nanoseconds() >= deadline_ns)
        return Core::ErrorCode::TimedOut;
    return {};
}

Core::Result<void> Scheduler::block_under(
    Locking::Spinlock& lock, Core::u64 saved_flags, Core::u64 deadline_ns, Thread* hand_off_target)
{
    block_releasing(lock, saved_flags, deadline_ns, hand_off_target);
    // Interrupts are off (the caller's), so the flags this returns add nothing to
    // `saved_flags`, which the caller's unlock restores.
    (void)lock.lock();
    return wait_outcome(deadline_ns);
}

void Scheduler::requeue_after_priority_change(Thread& thread)
{
    VERIFY(!(Arch::read_flags() & Arch::interrupt_flag));
    // The thread may migrate between reading its CPU and the call arriving there; the
    // call then does nothing and the next round tries where it went.
    SchedulerInternals::RequeueRequest request { &thread, false };
    while (!request.done)
        Arch::run_on_processor(thread.cpu(), SchedulerInternals::requeue_here, &request);
}

void WaitQueue::enqueue_current_as_waiter()
{
    Thread& self = Scheduler::current();
    SchedulerInternals::set_state(self, Thread::State::Blocked);
    // A thread woken by something other than this queue (Scheduler::wake is public) is
    // still on the list when it waits again.
    if (!m_waiters.contains(self))
        m_waiters.push_back(self);
}

void WaitQueue::wait()
{
    Arch::InterruptsDisabled interrupts_disabled;
    {
        Locking::SpinlockLocker locker(m_lock);
        enqueue_current_as_waiter();
    }
    // A waker that runs before the switch finds the thread Blocked but still current and
    // makes it Waking; schedule() then keeps it. Only wake_one()/wake_all() take it off the
    // list, so a wake-up from anywhere else finds it still there, and it waits on.
    Thread& self = Scheduler::current();
    for (;;) {
        Scheduler::block_current();
        Locking::SpinlockLocker locker(m_lock);
        if (!m_waiters.contains(self))
            return;
        SchedulerInternals::set_state(self, Thread::State::Blocked);
    }
}

Core::Result<void> WaitQueue::wait_interruptible(ConditionCheck check, void* context, Core::u64 deadline_ns)
{
    Thread& self = Scheduler::current();
    bool timer_armed = false;
    bool enqueued = false;
    Core::Result<void> result = {};
    // Whether a waker took this thread off the list (and so spent a wake_one on it) while
    // it gives up for another reason: that wake-up is passed on, so it is not lost.
    bool wake_consumed = false;
    {
        Arch::InterruptsDisabled interrupts_disabled;
        for (;;) {
            bool give_up_now = false;
            {
                Locking::SpinlockLocker locker(m_lock);
                bool queued = m_waiters.contains(self);
                if (check(context)) {
                    if (queued)
                        m_waiters.remove(self);
                    break;
                }
                Core::ErrorCode give_up = Core::ErrorCode::Count;
                if (Scheduler::termination_requested(self))
                    give_up = Core::ErrorCode::Interrupted;
                else if (deadline_ns != no_deadline && Time::monotonic_nanoseconds() >= deadline_ns)
                    give_up = Core::ErrorCode::TimedOut;
                if (give_up != Core::ErrorCode::Count) {
                    if (queued)
                        m_waiters.remove(self);
                    wake_consumed = enqueued && !queued;
                    result = give_up;
                    break;
                }
                enqueue_current_as_waiter();
                enqueued = true;
                // Pairs with interrupt_for_termination (flag, then the process's state; it
                // stores the state, then reads the flag): either this thread sees the
                // termination below, or the terminating thread sees the flag and wakes it.
                __atomic_store_n(&self.m_in_interruptible_wait, true, __ATOMIC_SEQ_CST);
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                give_up_now = Scheduler::termination_requested(self);
                // The same for the deadline: the wake timer, armed on the CPU of the first
                // round, may have fired while this thread was still runnable (on another
                // CPU, after a stray wake-up), when its wake-up did nothing. Now that the
                // thread is Blocked, a timer that fires wakes it; one that fired before
                // shows in the clock.
                if (timer_armed && Time::monotonic_nanoseconds() >= deadline_ns)
                    give_up_now = true;
            }
            if (give_up_now) {
                // Blocked and queued, but it must not sleep: made runnable again, the
                // switch below only yields, and the loop then gives up.
                Scheduler::wake(self);
            } else if (deadline_ns != no_deadline && !timer_armed) {
                self.m_wake_timer_cpu = Arch::current_processor_index();
                Time::arm_timer(self.m_wake_timer, deadline_ns);
                timer_armed = true;
            }
            Scheduler::block_current();
            __atomic_store_n(&self.m_in_interruptible_wait, false, __ATOMIC_RELAXED);
        }
    }
    if (timer_armed)
        SchedulerInternals::cancel_wake_timer(self);
    if (wake_consumed)
        (void)wake_one();
    return result;
}

bool WaitQueue::wake_one()
{
    // Woken under the lock (waking takes no lock): once a waiter is off the list nothing
    // else links it, and a waiter that gives up (a timeout, a termination) finds itself
    // either still on the list or already woken, never on some waker's private list.
    bool woken = false;
    {
        Locking::SpinlockLocker locker(m_lock);
        if (Thread* waiter = m_waiters.first()) {
            m_waiters.remove(*waiter);
            Scheduler::wake(*waiter);
            woken = true;
        }
    }
    // With the lock held, interrupts were off, so a woken thread that should run here
    // first only asked for a switch; it happens now.
    Scheduler::yield_if_due();
    return woken;
}

Core::usize WaitQueue::wake_all()
{
    // The waiters present now: a woken thread that waits again takes the lock first, so it
    // cannot be woken twice by this call.
    Core::usize count = 0;
    {
        Locking::SpinlockLocker locker(m_lock);
        while (Thread* waiter = m_waiters.first()) {
            m_waiters.remove(*waiter);
            Scheduler::wake(*waiter);
            ++count;
        }
    }
    Scheduler::yield_if_due();
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

Core::Result<void> Event::wait_interruptible(Core::u64 deadline_ns)
{
    return m_waiters.wait_until_interruptible([this] { return m_signalled; }, deadline_ns);
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
