#pragma once

// Futexes (docs/ipc.md#futexes): a thread sleeps on a 32-bit word of user memory while it
// holds an expected value, and another thread of the same process wakes it after changing
// the word. User-space locks spin or use atomics for the uncontended case and come here
// only to sleep and to wake.
//
// The table is a fixed array of hash buckets (FutexKey.h), each a spinlock, a list of
// waiters and a wake sequence. A waiter's record lives on its own kernel stack and has a
// wait queue of its own, so futex_wake wakes exactly the threads it picks.
//
// Atomicity of check and sleep. The user word cannot be read under the bucket's spinlock:
// a user copy may fault to bring in a demand-zero page, and the fault path takes its
// address space lock, which ranks below any spinlock here. So futex_wait reads the bucket's
// wake sequence (acquire), then the word, then takes the bucket lock and links itself only
// if the sequence is unchanged (otherwise it reads again). futex_wake takes the bucket lock
// and bumps the sequence (release) before it looks for waiters. A waker changes the word
// before calling futex_wake, so for a waiter that read the word before that change:
//   - the waker's locked section came first: either the waiter's sequence read was older
//     (it sees a new sequence under the lock and reads again) or it saw the new sequence,
//     and with it (acquire/release) the changed word;
//   - the waiter's locked section came first: it is linked, and the waker finds it.
// No wake-up is lost in either order.

#include <Core/Error.h>
#include <Core/Types.h>

namespace Kernel::Memory {
class AddressSpace;
}

namespace Kernel::Tasks {

// Sleeps while the word at `address` in `space` (the caller's) holds `expected`.
// WouldBlock at once when it does not; TimedOut at `deadline_ns` (no_deadline: never);
// Interrupted when the caller's process is terminated; BadAddress / InvalidArgument for an
// address validate_futex_address refuses or a word that cannot be read. A wake that races
// with the deadline wins: the call then succeeds, so the wake is never spent on nobody.
[[nodiscard]] Core::Result<void> futex_wait(
    Memory::AddressSpace& space, Core::u64 address, Core::u32 expected, Core::u64 deadline_ns);

// Wakes up to `count` threads waiting on `address` in `space`, oldest first, and returns
// how many it woke. The word is not read. BadAddress / InvalidArgument as for futex_wait.
[[nodiscard]] Core::Result<Core::u64> futex_wake(
    Memory::AddressSpace& space, Core::u64 address, Core::u64 count);

} // namespace Kernel::Tasks
