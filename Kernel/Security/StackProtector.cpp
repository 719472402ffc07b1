#include <Kernel/Panic/Panic.h>
#include <Kernel/Security/BootEntropy.h>
#include <Kernel/Security/StackProtector.h>

// A fixed value until initialize_stack_protector() replaces it; the zero byte at the
// bottom stops string functions from copying a leaked canary.
extern "C" {
Core::u64 __stack_chk_guard = 0x595E9FBD94FDA700ull;
}

namespace Kernel::Security {

__attribute__((no_stack_protector)) Core::StringView initialize_stack_protector()
{
    BootRandom random = boot_random_u64();
    // Keep the low byte zero (see above).
    __stack_chk_guard = random.value & ~0xFFull;
    return random.source;
}

} // namespace Kernel::Security

extern "C" [[noreturn]] __attribute__((no_stack_protector)) void __stack_chk_fail()
{
    // The return address lies inside the function whose canary check failed.
    auto caller = reinterpret_cast<Core::u64>(__builtin_return_address(0));
    auto match = Kernel::Panic::kernel_symbols().lookup(caller - 1);
    if (match.has_value())
        Kernel::Panic::panic("stack smashing detected in {}", match->name);
    Kernel::Panic::panic("stack smashing detected at {:#x}", caller);
}
