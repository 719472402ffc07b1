#pragma once

#include <Core/Optional.h>
#include <Core/Types.h>

namespace Kernel::Arch {

// One 64-bit value from RDSEED (true entropy) or, failing that, RDRAND (a DRBG seeded by
// the same source), each retried a few times as Intel recommends. Nothing when the CPU
// has neither or both keep failing.
[[nodiscard]] Core::Optional<Core::u64> hardware_random_u64();

} // namespace Kernel::Arch
