#pragma once

// How user space names a kernel object: a 32-bit handle value, meaningful only in the
// process that holds it. The value is opaque to user space (the kernel's encoding is
// described in docs/abi/handles.md and may change); the one fixed point is that zero is
// never a valid handle, so it can mean "no handle" in every system call.

#include <stdint.h>

namespace ABI {

using HandleValue = uint32_t;

inline constexpr HandleValue invalid_handle = 0;

} // namespace ABI
