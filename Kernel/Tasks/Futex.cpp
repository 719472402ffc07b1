#include <Core/IntrusiveList.h>
#include <Kernel/Locking/Spinlock.h>
#include <Kernel/Memory/UserCopy.h>
#include <Kernel/Tasks/Futex.h>
#include <Kernel/Tasks/FutexKey.h>
#include <Kernel/Tasks/Scheduler.h>

namespace Kernel::Tasks {

namespace {

// One sleeping futex_wait, on its thread's kernel stack.
struct FutexWaiter {
    explicit FutexWaiter(FutexKey waiter_key)
        : key(waiter_key)
    {
    }

    FutexKey key;
    // Its own queue (rank WaitQueue, under the bucket's lock), so that a wake reaches this
    // thread alone. `woken` is guarded by the queue's lock.
    WaitQueue queue;
    bool woken { false };
    // On the bucket's list while the waiter may be woken; guarded by the bucket's lock.
    Core::IntrusiveListNode<FutexWaiter> m_bucket_node;
};

struct FutexBucket {
    Locking::Spinlock lock { "futex bucket", Locking::LockRank::FutexBucket };
    // Oldest first, so futex_wake wakes in arrival order.
    Core::IntrusiveList<FutexWaiter, &FutexWaiter::m_bucket_node> waiters;
    // Bumped by every futex_wake on the bucket, under the lock (the argument in Futex.h).
    Core::u64 wake_sequence { 0 };
};

FutexBucket s_buckets[futex_bucket_count];

FutexKey key_for(Memory::AddressSpace& space, Core::u64 address)
{
    return FutexKey { reinterpret_cast<Core::u64>(&space), address };
}

} // namespace

Core::Result<void> futex_wait(
    Memory::AddressSpace& space, Core::u64 address, Core::u32 expected, Core::u64 deadline_ns)
{
    TRY(validate_futex_address(address));
    FutexWaiter waiter(key_for(space, address));
    FutexBucket& bucket = s_buckets[futex_bucket_index(waiter.key)];
    for (;;) {
        Core::u64 sequence = __atomic_load_n(&bucket.wake_sequence, __ATOMIC_ACQUIRE);
        // Aligned, so the word never straddles a page; a missing page is brought in here,
        // with no lock held.
        Core::u32 current = 0;
        TRY(Memory::copy_from_user(&current, address, sizeof(current)));
        if (current != expected)
            return Core::ErrorCode::WouldBlock;
        Locking::SpinlockLocker locker(bucket.lock);
        if (__atomic_load_n(&bucket.wake_sequence, __ATOMIC_RELAXED) != sequence)
            continue;
        bucket.waiters.push_back(waiter);
        break;
    }
    auto slept = waiter.queue.wait_until_interruptible([&] { return waiter.woken; }, deadline_ns);
    bool woken = false;
    {
        // Taking the lock also waits out a waker still inside its section, which touches
        // this record: once it is held, the record is this thread's alone.
        Locking::SpinlockLocker locker(bucket.lock);
        if (bucket.waiters.contains(waiter))
            bucket.waiters.remove(waiter);
        else
            woken = true;
    }
    // A thread whose process is being terminated leaves even if woken: its process's
    // futexes die with it, so the wake it took matters to nobody.
    if (slept.is_error() && slept.error().code() == Core::ErrorCode::Interrupted)
        return slept;
    if (woken)
        return {};
    return slept;
}

Core::Result<Core::u64> futex_wake(Memory::AddressSpace& space, Core::u64 address, Core::u64 count)
{
    TRY(validate_futex_address(address));
    FutexKey key = key_for(space, address);
    FutexBucket& bucket = s_buckets[futex_bucket_index(key)];
    Core::u64 woken = 0;
    Locking::SpinlockLocker locker(bucket.lock);
    __atomic_store_n(&bucket.wake_sequence, bucket.wake_sequence + 1, __ATOMIC_RELEASE);
    FutexWaiter* waiter = bucket.waiters.first();
    while (waiter && woken < count) {
        FutexWaiter* next = bucket.waiters.next(*waiter);
        if (waiter->key == key) {
            bucket.waiters.remove(*waiter);
            waiter->queue.with_lock([&] { waiter->woken = true; });
            // Interrupts are off under the bucket lock: this only makes the thread
            // runnable. The record stays valid until this section ends (futex_wait takes
            // the bucket lock before its record goes).
            waiter->queue.wake_all();
            ++woken;
        }
        waiter = next;
    }
    return woken;
}

} // namespace Kernel::Tasks
