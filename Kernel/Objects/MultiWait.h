#pragma once

// Waiting for any of several objects' signals at once (object_wait_many). The waiting
// thread attaches an observer to each object's Signals; a raise that touches a watched bit
// sets the wait's flag and wakes its thread, which then checks the items in order
// (WaitManySelection.h). No polling, no timer per object.
//
// Lost wake-ups: the observers are attached before the first check, so a raise after the
// check notifies; the notification sets the flag under the wait's own queue lock, which
// the sleep's condition reads under the same lock (WaitQueue::wait_until_interruptible).
// The wait's queue ranks SignalObserver, above the signals' WaitQueue locks it is taken
// under; nothing is taken under it.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>
#include <Kernel/Objects/Signals.h>
#include <Kernel/Objects/WaitManySelection.h>

namespace Kernel::Objects {

struct MultiWaitItem {
    // The object's signals; the caller keeps the object alive for the whole wait.
    Signals* signals;
    Core::u32 wanted;
    // Written by wait_for_any: the object's signals when the wait ended.
    Core::u32 observed;
};

// Blocks until any item's wanted bits are raised and returns the first such item, with
// its auto-clear bits it asked for consumed (and nobody else's). Every item's `observed`
// is filled in, on TimedOut too. TimedOut at `deadline_ns` (Tasks::no_deadline: never),
// Interrupted when the caller's process is terminated; signals already raised win over a
// past deadline. OutOfMemory when the observers cannot be had (before any wait). Items
// may name the same object more than once.
[[nodiscard]] Core::Result<WaitManyChoice> wait_for_any(
    Core::Span<MultiWaitItem> items, Core::u64 deadline_ns);

} // namespace Kernel::Objects
