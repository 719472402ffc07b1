#pragma once

#include <Core/Optional.h>
#include <Core/Types.h>

namespace Kernel::Arch {

// Measures the TSC frequency against the 8254 PIT (channel 2, polled through port 0x61,
// no interrupts needed). Returns nothing if the PIT does not count, so the caller can
// fall back to another source.
Core::Optional<Core::u64> measure_tsc_frequency_with_pit();

} // namespace Kernel::Arch
