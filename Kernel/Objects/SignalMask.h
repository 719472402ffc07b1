#pragma once

// The bit logic of an object's signals (Signals.h), apart from waiting, so that host tests
// can check it (Tests/Host/SignalMaskTests.cpp). Not synchronised: Signals keeps it under
// its wait queue's lock.
//
// An object fixes which signals it can raise (`supported`) and which of them a wait
// consumes (`auto_clear`): a wait that returns because of an auto-clear bit it asked for
// clears that bit, so each raise releases one waiter (an auto-reset timer). Other bits
// stay raised until the object clears them, and every waiter sees them.

#include <Core/Types.h>

namespace Kernel::Objects {

class SignalMask {
public:
    // `auto_clear` is trimmed to `supported`: a bit the object never raises cannot be
    // consumed either.
    constexpr SignalMask(Core::u32 supported, Core::u32 auto_clear)
        : m_supported(supported)
        , m_auto_clear(auto_clear & supported)
    {
    }

    [[nodiscard]] constexpr Core::u32 raised() const { return m_raised; }
    [[nodiscard]] constexpr Core::u32 supported() const { return m_supported; }
    [[nodiscard]] constexpr Core::u32 auto_clear() const { return m_auto_clear; }

    // Whether every bit of `wanted` is one the object can raise (a wait for any other bit
    // could only time out, which is a caller's mistake worth reporting).
    [[nodiscard]] constexpr bool can_raise(Core::u32 wanted) const { return (wanted & ~m_supported) == 0; }

    // Raises the supported bits of `bits`; others are ignored.
    constexpr void raise(Core::u32 bits) { m_raised |= bits & m_supported; }
    constexpr void clear(Core::u32 bits) { m_raised &= ~bits; }

    // A wait's check: when any bit of `wanted` is raised, returns every raised bit as it
    // is now (non-zero) and clears the auto-clear bits among those the wait asked for;
    // otherwise returns 0 and changes nothing.
    [[nodiscard]] constexpr Core::u32 observe(Core::u32 wanted)
    {
        Core::u32 observed = m_raised;
        if ((observed & wanted) == 0)
            return 0;
        m_raised &= ~(observed & wanted & m_auto_clear);
        return observed;
    }

private:
    Core::u32 m_supported;
    Core::u32 m_auto_clear;
    Core::u32 m_raised { 0 };
};

} // namespace Kernel::Objects
