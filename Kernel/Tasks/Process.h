#pragma once

// A process: a user address space, a handle table, and the threads that run in it. It is a
// kernel object (handles name it) and reference counted: its handles, and each of its
// threads until that thread's stack is gone, keep it alive. docs/abi/syscalls.md.

#include <Core/Error.h>
#include <Core/IntrusiveList.h>
#include <Core/RefPtr.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Memory/AddressSpace.h>
#include <Kernel/Objects/HandleTable.h>
#include <Kernel/Objects/KernelObject.h>
#include <Kernel/Security/AuditLog.h>

namespace Kernel::Tasks {

class Process final : public Objects::TypedKernelObject<ABI::ObjectType::Process> {
public:
    // A process with an empty address space and an empty handle table. OutOfMemory.
    [[nodiscard]] static Core::Result<Core::RefPtr<Process>> create(const char* name);
    ~Process() override;

    [[nodiscard]] const char* name() const { return m_name; }
    [[nodiscard]] Memory::AddressSpace& address_space() { return *m_address_space; }
    // This process's share of the audit log (Security/AuditLog.h).
    [[nodiscard]] Security::AuditBudget& audit_budget() { return m_audit_budget; }

    // Runs `use(HandleTable&)` with the table's lock held. Closing a handle there may
    // destroy its object, whose destructor never takes a handle-table lock.
    template<typename Use> decltype(auto) with_handles(Use use)
    {
        Locking::SpinlockLocker locker(m_handles_lock);
        return use(m_handles);
    }

    // Thread accounting (UserThread.cpp, the scheduler): a process whose last thread has
    // ended closes all its handles, so that one holding a handle to itself (process 1
    // does) is not kept alive by it.
    void thread_started() { __atomic_add_fetch(&m_live_threads, 1, __ATOMIC_RELAXED); }
    // Returns whether that was the last thread.
    [[nodiscard]] bool thread_ended()
    {
        return __atomic_sub_fetch(&m_live_threads, 1, __ATOMIC_ACQ_REL) == 0;
    }
    // Called by the scheduler, with interrupts off, once a thread of the process is off its
    // CPU for good; takes over that thread's reference. The last thread's hands the process
    // to the reaper thread, which closes its handles and drops the reference with interrupts
    // on: how long that takes is up to the program (thousands of handles, a large address
    // space), and it must not hold up the switch path.
    static void release_from_exited_thread(Process& process);

    // Starts the reaper thread. Called once at boot, once every CPU schedules; until then
    // (and if it cannot start) the last thread's CPU tears the process down itself.
    static void start_reaper();

private:
    Process(const char* name, Memory::AddressSpace* address_space)
        : m_name(name)
        , m_address_space(address_space)
    {
    }

    const char* m_name;
    Memory::AddressSpace* m_address_space;
    Locking::Spinlock m_handles_lock { "process handles", Locking::LockRank::ProcessHandles };
    Objects::HandleTable m_handles;
    Core::u32 m_live_threads { 0 };
    // Links the process into the reaper's list between its last thread and its teardown.
    Core::IntrusiveListNode<Process> m_reaper_node;
    friend class ProcessReaper;
    Security::AuditBudget m_audit_budget;
};

} // namespace Kernel::Tasks
