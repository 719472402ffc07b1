// The start of a RaeenOS-native program (raeen_user_program): main(argument, self, startup)
// with what the kernel passed, as docs/abi/processes.md describes. Start.S calls it after the
// global constructors, and exit()s with its result.

#include <ABI/Process.h>
#include <stdint.h>

// The program's own main, reached by its symbol name (C++ may not name main itself).
extern "C" int64_t native_program_main(
    uint64_t argument, uint64_t self, const ABI::StartupHandles* startup) __asm__("main");

extern "C" int64_t raeen_call_main(uint64_t argument, uint64_t self, const ABI::StartupHandles* startup)
{
    return native_program_main(argument, self, startup);
}
