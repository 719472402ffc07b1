// The pieces of the C++ ABI that freestanding kernel code still needs.

#include <Core/Assertions.h>
#include <Kernel/Panic/Panic.h>
#include <Kernel/Runtime/CxxRuntime.h>

extern "C" {

// Called if a pure virtual function is reached through a partly built or destroyed
// object: always a kernel bug.
[[noreturn]] void __cxa_pure_virtual()
{
    Kernel::Panic::panic("pure virtual function called");
}

} // extern "C"

namespace Core {

[[noreturn]] void verification_failed(const char* expression, const char* file, int line)
{
    Kernel::Panic::panic("VERIFY({}) failed at {}:{}", expression, file, line);
}

} // namespace Core

namespace Kernel::Runtime {

using Constructor = void (*)();
extern "C" Constructor __init_array_start[];
extern "C" Constructor __init_array_end[];

void run_global_constructors()
{
    for (Constructor* constructor = __init_array_start; constructor != __init_array_end; ++constructor)
        (*constructor)();
}

} // namespace Kernel::Runtime
