#pragma once

// A lock for the C library's shared state (malloc's heap, for one), on futexes: taken with
// one compare-and-swap when free; a thread that finds it held sleeps in futex_wait until
// the holder's unlock wakes one waiter. The three states are the usual ones: 0 free, 1 held,
// 2 held with (maybe) waiters.

#include <Userland/Runtime/System.h>
#include <stdint.h>

namespace LibC {

// The lock on a futex word, as free functions, for FutexLock and for pthread mutexes
// (whose word is the state of a pthread_mutex_t).
inline void lock_futex_word(uint32_t& state)
{
    uint32_t expected = 0;
    if (__atomic_compare_exchange_n(&state, &expected, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    // Held: mark it contended and sleep until it is free, then take it as contended (other
    // sleepers may remain).
    while (__atomic_exchange_n(&state, 2, __ATOMIC_ACQUIRE) != 0)
        (void)System::futex_wait(&state, 2);
}

// Takes the lock as contended at once: for a thread woken from a condition variable, which
// cannot know whether others wait for the lock.
inline void lock_futex_word_contended(uint32_t& state)
{
    while (__atomic_exchange_n(&state, 2, __ATOMIC_ACQUIRE) != 0)
        (void)System::futex_wait(&state, 2);
}

inline bool try_lock_futex_word(uint32_t& state)
{
    uint32_t expected = 0;
    return __atomic_compare_exchange_n(&state, &expected, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

inline void unlock_futex_word(uint32_t& state)
{
    if (__atomic_exchange_n(&state, 0, __ATOMIC_RELEASE) == 2)
        (void)System::futex_wake(&state, 1);
}

class FutexLock {
public:
    void lock() { lock_futex_word(m_state); }
    void unlock() { unlock_futex_word(m_state); }

private:
    uint32_t m_state { 0 };
};

// Holds a FutexLock for its scope.
class FutexLocker {
public:
    explicit FutexLocker(FutexLock& lock)
        : m_lock(lock)
    {
        m_lock.lock();
    }
    ~FutexLocker() { m_lock.unlock(); }
    FutexLocker(const FutexLocker&) = delete;
    FutexLocker& operator=(const FutexLocker&) = delete;

private:
    FutexLock& m_lock;
};

} // namespace LibC
