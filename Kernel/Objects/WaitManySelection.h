#pragma once

// Which item an object_wait_many ends with, apart from waiting, so that host tests can
// check it (Tests/Host/WaitManySelectionTests.cpp). MultiWait.cpp runs it under each
// object's signals lock in turn; here the objects are anything with an observe(wanted)
// that behaves like SignalMask::observe.
//
// The rule: items are checked in index order and the first whose wanted bits are raised
// wins. Only that item's observe() runs to success, so only its object's auto-clear bits
// (those it asked for) are consumed; the items after it are not looked at, and the items
// before it were not satisfied, so nothing of theirs is consumed either.

#include <Core/Optional.h>
#include <Core/Types.h>

namespace Kernel::Objects {

struct WaitManyChoice {
    Core::u32 index;
    // Every bit the winning object had raised when it was observed (non-zero).
    Core::u32 observed;
};

// `observe(index)` returns what SignalMask::observe(wanted of item `index`) would.
template<typename Observe>
[[nodiscard]] Core::Optional<WaitManyChoice> first_satisfied_item(Core::u32 item_count, Observe observe)
{
    for (Core::u32 index = 0; index < item_count; ++index) {
        Core::u32 observed = observe(index);
        if (observed != 0)
            return WaitManyChoice { index, observed };
    }
    return {};
}

} // namespace Kernel::Objects
