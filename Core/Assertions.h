#pragma once

// VERIFY states an invariant of the program itself. It is never used to check input
// from outside (user programs, devices, disk images, packets): such input is validated
// and rejected with an Error instead. A failed VERIFY is a bug, so it stops the program:
// the kernel panics, host programs abort.

namespace Core {

// Provided by each environment that links Core (kernel, user runtime, host tests).
[[noreturn]] void verification_failed(const char* expression, const char* file, int line);

} // namespace Core

#define VERIFY(expression)                                                                                   \
    do {                                                                                                     \
        if (!static_cast<bool>(expression)) [[unlikely]]                                                     \
            ::Core::verification_failed(#expression, __FILE__, __LINE__);                                    \
    } while (0)

#define VERIFY_NOT_REACHED() ::Core::verification_failed("not reached", __FILE__, __LINE__)
