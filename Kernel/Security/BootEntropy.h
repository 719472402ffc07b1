#pragma once

#include <Core/StringView.h>
#include <Core/Types.h>

// Unpredictable values for boot-time hardening: the stack-protector canary and the slab
// free-list secrets. This is not a CSPRNG and must not be used for cryptography; the
// kernel's cryptographic random source comes with the entropy issue and a vetted library.
namespace Kernel::Security {

struct BootRandom {
    Core::u64 value;
    // "RDSEED/RDRAND" or "TSC jitter".
    Core::StringView source;
};

// Hardware random numbers where the CPU has them; otherwise timing jitter of the TSC
// across port I/O, folded through a 64-bit mixing function.
[[nodiscard]] BootRandom boot_random_u64();

} // namespace Kernel::Security
