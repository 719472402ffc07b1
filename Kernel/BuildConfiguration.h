#pragma once

// Build-time settings as constants, so code branches with `if constexpr` and both sides
// always compile (an #ifdef'd-out branch can rot unnoticed).

namespace Kernel {

#ifndef RAEEN_DEBUG
#error "RAEEN_DEBUG must be defined to 0 or 1 by the build (Kernel/CMakeLists.txt)"
#endif

// Debug kernels add checks that cost time: heap red zones and poisoning, page poisoning.
inline constexpr bool is_debug_build = RAEEN_DEBUG != 0;

} // namespace Kernel
