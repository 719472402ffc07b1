#pragma once

// Fixed-width integer and size types. These come from the compiler's freestanding
// headers, so the same names work in the kernel, in user space and in host tests.

#include <stddef.h>
#include <stdint.h>

namespace Core {

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i8 = int8_t;
using i16 = int16_t;
using i32 = int32_t;
using i64 = int64_t;
using usize = size_t;
using uptr = uintptr_t;

} // namespace Core
