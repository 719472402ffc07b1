#pragma once

#include <stddef.h>

namespace LibC {

// Makes environ a copy of `strings` ("NAME=value" each). Once, before main.
void set_environment(const char* const* strings, size_t count);

} // namespace LibC
