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
