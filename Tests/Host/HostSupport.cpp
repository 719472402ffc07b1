// What host test programs provide to Core: a failed VERIFY aborts with a message, so
// that death tests can observe it and sanitizers report where it happened.

#include <Core/Assertions.h>
#include <cstdio>
#include <cstdlib>

namespace Core {

[[noreturn]] void verification_failed(const char* expression, const char* file, int line)
{
    std::fprintf(stderr, "VERIFY(%s) failed at %s:%d\n", expression, file, line);
    std::abort();
}

} // namespace Core

// Host programs back the kernel's no-throw allocation operators with the C++ library's,
// so that the library's operator delete (and ASan's pairing checks) match.
#include <Core/NoThrow.h>
#include <new>

void* operator new(size_t size, const Core::NoThrowTag&) noexcept
{
    return ::operator new(size, std::nothrow);
}

void* operator new[](size_t size, const Core::NoThrowTag&) noexcept
{
    return ::operator new[](size, std::nothrow);
}
