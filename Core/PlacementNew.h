#pragma once

// Placement new. Hosted builds (host tests, tools) take it from the C++ library; the
// freestanding kernel has no C++ library, so it is declared here.

#include <stddef.h>

#if __STDC_HOSTED__
#include <new>
#else
inline void* operator new(size_t, void* where) noexcept
{
    return where;
}
inline void* operator new[](size_t, void* where) noexcept
{
    return where;
}
#endif
