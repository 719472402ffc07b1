#pragma once

// A spinlock that also disables interrupts on the local CPU while held, so that an
// interrupt handler on the same CPU can never spin on a lock its own CPU holds.
// docs/lock-order.md lists every lock and the order in which they may nest.

#include <Core/Types.h>
#include <Core/Utility.h>
#include <Kernel/Arch/x86_64/CPU.h>
#include <Kernel/Arch/x86_64/ProcessorCalls.h>
#include <Kernel/BuildConfiguration.h>
#include <Kernel/Locking/LockRank.h>

namespace Kernel::Locking {

class Spinlock;

// Debug kernels check every acquisition and release against the global lock order
// (LockOrderChecker.h) and panic with a report on a violation. Release kernels skip it.
// check_not_held_before_spinning catches recursion before it can deadlock; the order is
// checked and the lock recorded only once it is held, so interrupt handlers and cross-CPU
// calls served while spinning are never judged against a lock this CPU does not hold.
void check_not_held_before_spinning(const Spinlock& lock);
void check_lock_acquisition(const Spinlock& lock);
void check_lock_release(const Spinlock& lock);
// Panics if this CPU holds any spinlock: a thread must never block while holding one. The
// scheduler calls it before blocking. Release kernels skip it, inline.
void check_may_sleep();
inline void assert_may_sleep()
{
    if constexpr (is_debug_build)
        check_may_sleep();
}

class Spinlock {
public:
    constexpr Spinlock(const char* name, LockRank rank)
        : m_name(name)
        , m_rank(rank)
    {
    }
    Spinlock(const Spinlock&) = delete;
    Spinlock& operator=(const Spinlock&) = delete;

    // Returns the interrupt flag state to hand back to unlock(). While it waits, the CPU
    // keeps interrupts as they were and answers cross-CPU calls, so that a CPU holding
    // this lock and waiting for a TLB shootdown from this one cannot deadlock with it.
    [[nodiscard]] Core::u64 lock()
    {
        Core::u64 saved_flags = Arch::read_flags();
        if constexpr (is_debug_build)
            check_not_held_before_spinning(*this);
        for (;;) {
            Arch::disable_interrupts();
            if (!__atomic_exchange_n(&m_locked, true, __ATOMIC_ACQUIRE)) {
                if constexpr (is_debug_build)
                    check_lock_acquisition(*this);
                return saved_flags;
            }
            Arch::restore_interrupts(saved_flags);
            while (__atomic_load_n(&m_locked, __ATOMIC_RELAXED)) {
                Arch::process_pending_processor_calls();
                Arch::pause();
            }
        }
    }

    void unlock(Core::u64 saved_flags)
    {
        if constexpr (is_debug_build)
            check_lock_release(*this);
        __atomic_store_n(&m_locked, false, __ATOMIC_RELEASE);
        Arch::restore_interrupts(saved_flags);
    }

    [[nodiscard]] bool is_locked() const { return __atomic_load_n(&m_locked, __ATOMIC_RELAXED); }
    [[nodiscard]] const char* name() const { return m_name; }
    [[nodiscard]] LockRank rank() const { return m_rank; }

private:
    const char* m_name;
    LockRank m_rank;
    bool m_locked { false };
};

// Holds a Spinlock for the lifetime of the scope.
class SpinlockLocker {
public:
    explicit SpinlockLocker(Spinlock& lock)
        : m_lock(lock)
        , m_saved_flags(lock.lock())
    {
    }
    ~SpinlockLocker() { m_lock.unlock(m_saved_flags); }
    SpinlockLocker(const SpinlockLocker&) = delete;
    SpinlockLocker& operator=(const SpinlockLocker&) = delete;

private:
    Spinlock& m_lock;
    Core::u64 m_saved_flags;
};

// Data that may only be touched with its lock held: with() runs a callback under the
// lock, so the protected object cannot be reached without it.
template<typename T> class SpinlockProtected {
public:
    template<typename... Arguments>
    constexpr SpinlockProtected(const char* name, LockRank rank, Arguments&&... arguments)
        : m_lock(name, rank)
        , m_value(Core::forward<Arguments>(arguments)...)
    {
    }

    template<typename Callback> decltype(auto) with(Callback callback)
    {
        SpinlockLocker locker(m_lock);
        return callback(m_value);
    }

    // For the panic path only: reads the data without the lock, because the CPU that
    // panicked may itself hold it. Never used while the system is running normally.
    T& unsafe_unlocked_for_panic() { return m_value; }

private:
    Spinlock m_lock;
    T m_value;
};

} // namespace Kernel::Locking
