#pragma once

// What the memory tests (MemoryTests.cpp) and their probe program (MemoryProbe.cpp) agree
// on: the probe's argument is a page-aligned address, with the low bits saying how to touch
// it.

#include <stdint.h>

namespace MemoryProbe {

// Set in the argument: write instead of read.
inline constexpr uint64_t write_flag = 1;

// What a probe that writes stores, and exits with when the store went through.
inline constexpr uint8_t written_byte = 0x77;

} // namespace MemoryProbe
